package query

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/engine/physical"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Snapshots gives the runner a view's current contents and a system
// relation's rows.
type Snapshots interface {
	ViewSnapshot(obj *catalog.Object) (*view.Snapshot, error)
	SystemRows(obj *catalog.Object) ([]arrow.RecordBatch, error)
}

// Runner executes plans. A Runner runs one statement: it caches the
// results of WITH queries and uncorrelated subqueries for the statement's
// duration, and is not safe for concurrent use.
type Runner struct {
	Snap Snapshots
	Ctx  *functions.Context
	// BatchSize is the number of rows per scanned batch (default 1024).
	BatchSize int

	// ctes holds the WITH queries of the enclosing With nodes being run,
	// by CTE id.
	ctes map[int]*cteState
	// subqueries caches the results of uncorrelated subqueries that read
	// no outer WITH query, by plan.
	subqueries map[plan.Node]*subResult
}

// Run executes n and returns its rows.
func (r *Runner) Run(n plan.Node) ([]arrow.RecordBatch, error) {
	switch n := n.(type) {
	case *plan.Scan:
		return r.scan(n)
	case *plan.SetFunc:
		return r.setFunc(n)
	case *plan.ProjectSet:
		return r.projectSet(n)
	case *plan.Values:
		return r.values(n)
	case *plan.Filter:
		return r.filter(n)
	case *plan.Project:
		return r.project(n)
	case *plan.Aggregate:
		return r.aggregate(n)
	case *plan.Sort:
		return r.sort(n)
	case *plan.Limit:
		return r.limit(n)
	case *plan.Join:
		return r.join(n)
	case *plan.SetOp:
		return r.setOp(n)
	case *plan.Window:
		return r.window(n)
	case *plan.With:
		return r.with(n)
	case *plan.CTEScan:
		return r.cteScan(n)
	case *plan.WindowTVF:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window table functions can only be used in materialized views")
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "this query is not supported")
}

func (r *Runner) scan(n *plan.Scan) ([]arrow.RecordBatch, error) {
	switch n.Rel.Kind {
	case catalog.KindSource:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cannot SELECT from source %q; create a materialized view over it and query the view", n.Rel.Name)
	case catalog.KindSystem:
		return r.Snap.SystemRows(n.Rel)
	}
	snap, err := r.Snap.ViewSnapshot(n.Rel)
	if err != nil {
		return nil, err
	}
	size := r.BatchSize
	if size <= 0 {
		size = 1024
	}
	var out []arrow.RecordBatch
	err = snap.Scan(size, func(rec arrow.RecordBatch) error {
		out = append(out, rec)
		return nil
	})
	return out, err
}

func (r *Runner) values(n *plan.Values) ([]arrow.RecordBatch, error) {
	schema := n.Cols.Arrow()
	cols := make([]arrow.Array, len(n.Cols))
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	for j, c := range n.Cols {
		ds := make([]types.Datum, len(n.Rows))
		for i, row := range n.Rows {
			ev, err := r.compile(row[j], 0)
			if err != nil {
				return nil, err
			}
			v, err := ev.eval(one)
			if err != nil {
				return nil, err
			}
			ds[i] = functions.ValueDatum(v, c.Type, 0)
			ds[i].Type = c.Type
		}
		cols[j] = functions.BuildArray(c.Type, ds)
	}
	return []arrow.RecordBatch{array.NewRecordBatch(schema, cols, int64(len(n.Rows)))}, nil
}

func (r *Runner) filter(n *plan.Filter) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	ev, err := r.compile(n.Pred, len(n.Input.Schema()))
	if err != nil {
		return nil, err
	}
	if ev.plain() {
		return pushAll(r.Ctx, ops.NewFilter(ev.ev), in)
	}
	var out []arrow.RecordBatch
	var idx []int32
	for _, rec := range in {
		v, err := ev.eval(rec)
		if err != nil {
			return nil, err
		}
		var keep arrow.RecordBatch
		if keep, idx = selectRows(rec, v, idx); keep != nil {
			out = append(out, keep)
		}
	}
	return out, nil
}

// selectRows keeps the rows of rec where the boolean v is true (nil if
// none).
func selectRows(rec arrow.RecordBatch, v functions.Value, buf []int32) (arrow.RecordBatch, []int32) {
	if v.IsScalar() {
		if v.Scalar.Null || !v.Scalar.Bool() {
			return nil, buf
		}
		return rec, buf
	}
	idx, all := batch.Selected(v.Array, buf)
	switch {
	case all:
		return rec, idx
	case len(idx) == 0:
		return nil, idx
	}
	return batch.Take(rec, idx), idx
}

func (r *Runner) project(n *plan.Project) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	width := len(n.Input.Schema())
	evs := make([]*evaluator, len(n.Exprs))
	plain := make([]*expr.Evaluator, len(n.Exprs))
	allPlain := true
	for i, e := range n.Exprs {
		if evs[i], err = r.compile(e, width); err != nil {
			return nil, err
		}
		plain[i] = evs[i].ev
		allPlain = allPlain && evs[i].plain()
	}
	if allPlain {
		return pushAll(r.Ctx, ops.NewProject(plain, n.Schema()), in)
	}
	schema := n.Schema()
	arrowSchema := schema.Arrow()
	out := make([]arrow.RecordBatch, 0, len(in))
	for _, rec := range in {
		cols := make([]arrow.Array, len(evs))
		for i, ev := range evs {
			v, err := ev.eval(rec)
			if err != nil {
				return nil, err
			}
			cols[i] = materialize(v, schema[i].Type, int(rec.NumRows()))
		}
		out = append(out, array.NewRecordBatch(arrowSchema, cols, rec.NumRows()))
	}
	return out, nil
}

// materialize turns a value into an array of n rows.
func materialize(v functions.Value, t types.Type, n int) arrow.Array {
	if v.IsScalar() {
		return functions.Broadcast(v, t, n)
	}
	return v.Array
}

func (r *Runner) aggregate(n *plan.Aggregate) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	cfg := ops.HashAggConfig{Input: n.Input.Schema(), Keys: n.Keys, Out: n.Schema(), EmitOnClose: true}
	for _, a := range n.Aggs {
		spec, err := physical.AggSpec(a, false)
		if err != nil {
			return nil, err
		}
		cfg.Aggs = append(cfg.Aggs, spec)
	}
	h := ops.NewHashAgg(cfg)
	for _, rec := range in {
		if err := h.Push(r.Ctx, batch.Chunk{Rec: rec}, nil); err != nil {
			return nil, err
		}
	}
	var out []arrow.RecordBatch
	err = h.Flush(func(c batch.Chunk) error {
		out = append(out, c.Rec)
		return nil
	})
	return out, err
}

// errBug reports a broken invariant between the binder and the runner
// (SQLSTATE XX000 at the query root).
func errBug(format string, args ...any) error {
	return fmt.Errorf("BUG: "+format, args...)
}

func pushAll(ctx *functions.Context, op ops.Operator, in []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	emit := func(c batch.Chunk) error {
		out = append(out, c.Rec)
		return nil
	}
	for _, rec := range in {
		if err := op.Push(ctx, batch.Chunk{Rec: rec}, emit); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Runner) sort(n *plan.Sort) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil || len(in) == 0 {
		return in, err
	}
	schema := n.Schema()
	rec, err := batch.Concat(schema.Arrow(), in)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{batch.Take(rec, sortIndex(nil, sortKeyBytes(rec, schema, n.Keys)))}, nil
}

// sortKeyBytes encodes each row's sort keys into one byte string whose
// bytewise order is the ORDER BY order: per key a tag (NULLs before or
// after values as the key asks) and the memcomparable value, with every
// byte inverted for a descending key (the encodings are prefix-free, so
// inversion reverses their order).
func sortKeyBytes(rec arrow.RecordBatch, schema types.Schema, keys []plan.SortKey) [][]byte {
	n := int(rec.NumRows())
	if len(keys) == 0 {
		return make([][]byte, n)
	}
	out := arenaRows(n, 10*len(keys))
	tmp := arenaRows(n, 10)
	for _, k := range keys {
		for i := range tmp {
			tmp[i] = tmp[i][:0]
		}
		rowcodec.AppendColumn(tmp, rec.Column(k.Col), schema[k.Col].Type)
		nullTag := byte(2)
		if k.NullsFirst {
			nullTag = 0
		}
		for i, v := range tmp {
			if v[0] == 0 {
				out[i] = append(out[i], nullTag)
				continue
			}
			out[i] = append(out[i], 1)
			start := len(out[i])
			out[i] = append(out[i], v[1:]...)
			if k.Desc {
				for j := start; j < len(out[i]); j++ {
					out[i][j] = ^out[i][j]
				}
			}
		}
	}
	return out
}

// arenaRows returns n empty byte slices carved from one allocation, each
// with room for width bytes (appending more reallocates that row only).
func arenaRows(n, width int) [][]byte {
	arena := make([]byte, n*width)
	out := make([][]byte, n)
	for i := range out {
		out[i] = arena[i*width : i*width : (i+1)*width]
	}
	return out
}

// joinStrings returns the byte rows as strings sharing one allocation
// (for map keys that do not allocate per row).
func joinStrings(rows [][]byte) []string {
	size := 0
	for _, r := range rows {
		size += len(r)
	}
	buf := make([]byte, 0, size)
	for _, r := range rows {
		buf = append(buf, r...)
	}
	all := string(buf)
	out := make([]string, len(rows))
	off := 0
	for i, r := range rows {
		out[i] = all[off : off+len(r)]
		off += len(r)
	}
	return out
}

// sortIndex returns the order of rows by an optional per-row prefix (the
// partition key of a window, compared first) and then their sort key
// bytes; ties keep input order. Prefixes are rowcodec encodings, which
// are self-delimiting, so prefix and key are compared as one string.
func sortIndex(prefix, keys [][]byte) []int32 {
	full := keys
	if prefix != nil {
		size := 0
		for i := range keys {
			size += len(prefix[i]) + len(keys[i])
		}
		arena := make([]byte, 0, size)
		full = make([][]byte, len(keys))
		for i := range keys {
			start := len(arena)
			arena = append(append(arena, prefix[i]...), keys[i]...)
			full[i] = arena[start:len(arena):len(arena)]
		}
	}
	// Compare 16-byte big-endian heads as integers first; most pairs
	// differ there.
	heads := make([][2]uint64, len(full))
	for i, k := range full {
		var b [16]byte
		copy(b[:], k)
		heads[i] = [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
	}
	idx := make([]int32, len(keys))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(x, y int32) int {
		hx, hy := heads[x], heads[y]
		switch {
		case hx[0] != hy[0]:
			return cmp.Compare(hx[0], hy[0])
		case hx[1] != hy[1]:
			return cmp.Compare(hx[1], hy[1])
		}
		if c := bytes.Compare(full[x], full[y]); c != 0 {
			return c
		}
		return int(x - y)
	})
	return idx
}

func (r *Runner) limit(n *plan.Limit) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	skip, left := n.Offset, n.Count
	var out []arrow.RecordBatch
	for _, rec := range in {
		rows := rec.NumRows()
		if skip >= rows {
			skip -= rows
			continue
		}
		end := rows
		if left >= 0 && skip+left < end {
			end = skip + left
		}
		if skip > 0 || end < rows {
			rec = rec.NewSlice(skip, end)
		}
		if left >= 0 {
			left -= end - skip
		}
		skip = 0
		out = append(out, rec)
		if left == 0 {
			break
		}
	}
	return out, nil
}
