package query

import (
	"bytes"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

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

// Runner executes plans.
type Runner struct {
	Snap Snapshots
	Ctx  *functions.Context
	// BatchSize is the number of rows per scanned batch (default 1024).
	BatchSize int
}

// Run executes n and returns its rows.
func (r *Runner) Run(n plan.Node) ([]arrow.RecordBatch, error) {
	switch n := n.(type) {
	case *plan.Scan:
		return r.scan(n)
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
			ev, err := expr.Compile(row[j])
			if err != nil {
				return nil, err
			}
			v, err := ev.Eval(r.Ctx, one)
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
	ev, err := expr.Compile(n.Pred)
	if err != nil {
		return nil, err
	}
	f := ops.NewFilter(ev)
	return pushAll(r.Ctx, f, in)
}

func (r *Runner) project(n *plan.Project) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	evs, err := expr.CompileAll(n.Exprs)
	if err != nil {
		return nil, err
	}
	return pushAll(r.Ctx, ops.NewProject(evs, n.Schema()), in)
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

// concat joins batches into one.
func concat(schema *arrow.Schema, in []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(in) == 1 {
		return in[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, rec := range in {
		rows += rec.NumRows()
	}
	for j := range cols {
		parts := make([]arrow.Array, len(in))
		for i, rec := range in {
			parts[i] = rec.Column(j)
		}
		if len(parts) == 0 {
			cols[j] = array.MakeArrayOfNull(memory.DefaultAllocator, schema.Field(j).Type, 0)
			continue
		}
		c, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

func (r *Runner) sort(n *plan.Sort) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil || len(in) == 0 {
		return in, err
	}
	schema := n.Schema()
	rec, err := concat(schema.Arrow(), in)
	if err != nil {
		return nil, err
	}
	rows := int(rec.NumRows())
	// Sort on the memcomparable encoding of each key column; descending
	// keys and NULL placement are applied per column.
	keys := make([][][]byte, len(n.Keys))
	for k, sk := range n.Keys {
		keys[k] = make([][]byte, rows)
		rowcodec.AppendColumn(keys[k], rec.Column(sk.Col), schema[sk.Col].Type)
	}
	idx := make([]int32, rows)
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(a, b int) bool {
		for k, sk := range n.Keys {
			x, y := keys[k][idx[a]], keys[k][idx[b]]
			xn, yn := x[0] == 0, y[0] == 0
			switch {
			case xn && yn:
				continue
			case xn || yn:
				return xn == sk.NullsFirst
			}
			c := bytes.Compare(x, y)
			if c == 0 {
				continue
			}
			return (c < 0) != sk.Desc
		}
		return false
	})
	return []arrow.RecordBatch{batch.Take(rec, idx)}, nil
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
