package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// pairChunk is how many candidate (left, right) pairs are assembled and
// filtered at a time.
const pairChunk = 16384

// joinRun holds one execution of a Join: both inputs materialised as
// single records, the residual condition, and which rows found a match.
type joinRun struct {
	r           *Runner
	n           *plan.Join
	left, right arrow.RecordBatch
	out         *arrow.Schema
	residual    *evaluator
	lMatched    []bool
	rMatched    []bool
	li, ri      []int32
	result      []arrow.RecordBatch
}

// join executes a Join: a hash join on the equi-keys (build on the
// right input, probe with the left), nested loops when there are none;
// the residual condition filters candidate pairs in chunks; rows of the
// preserved side(s) without a match are padded with NULLs at the end.
func (r *Runner) join(n *plan.Join) ([]arrow.RecordBatch, error) {
	lin, err := r.Run(n.Left)
	if err != nil {
		return nil, err
	}
	rin, err := r.Run(n.Right)
	if err != nil {
		return nil, err
	}
	j := &joinRun{r: r, n: n, out: n.Schema().Arrow()}
	if j.left, err = batch.Concat(n.Left.Schema().Arrow(), lin); err != nil {
		return nil, err
	}
	if j.right, err = batch.Concat(n.Right.Schema().Arrow(), rin); err != nil {
		return nil, err
	}
	if n.Residual != nil {
		if j.residual, err = r.compile(n.Residual, len(n.Schema())); err != nil {
			return nil, err
		}
	}
	j.lMatched = make([]bool, j.left.NumRows())
	j.rMatched = make([]bool, j.right.NumRows())
	if len(n.EquiKeys) > 0 {
		err = j.hash()
	} else {
		err = j.nestedLoop()
	}
	if err != nil {
		return nil, err
	}
	if err := j.flush(); err != nil {
		return nil, err
	}
	return j.padUnmatched()
}

// hash builds a chained hash table over the right input's keys and
// probes it with each left row; a row with a NULL key matches nothing.
func (j *joinRun) hash() error {
	ls, rs := j.n.Left.Schema(), j.n.Right.Schema()
	lcols := make([]int, len(j.n.EquiKeys))
	rcols := make([]int, len(j.n.EquiKeys))
	for i, k := range j.n.EquiKeys {
		lcols[i], rcols[i] = k.Left, k.Right
	}
	rkeys, rnull := encodeJoinKeys(j.right, rs, rcols)
	nr := len(rkeys)
	heads := make(map[string]int32, nr)
	next := make([]int32, nr)
	// Insert backwards so each chain lists right rows in input order.
	for i := nr - 1; i >= 0; i-- {
		if rnull[i] {
			continue
		}
		h, ok := heads[rkeys[i]]
		if !ok {
			h = -1
		}
		next[i] = h
		heads[rkeys[i]] = int32(i)
	}
	lkeys, lnull := encodeJoinKeys(j.left, ls, lcols)
	for i, k := range lkeys {
		if lnull[i] {
			continue
		}
		h, ok := heads[k]
		if !ok {
			continue
		}
		for x := h; x >= 0; x = next[x] {
			if err := j.candidate(int32(i), x); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodeJoinKeys encodes the key columns of rec per row and flags rows
// with a NULL key.
func encodeJoinKeys(rec arrow.RecordBatch, schema types.Schema, cols []int) ([]string, []bool) {
	n := int(rec.NumRows())
	bufs := arenaRows(n, 10*len(cols))
	rowcodec.NewEncoder(schema, cols).Append(bufs, rec)
	null := make([]bool, n)
	for _, c := range cols {
		a := rec.Column(c)
		if a.NullN() == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			null[i] = null[i] || a.IsNull(i)
		}
	}
	return joinStrings(bufs), null
}

// nestedLoop pairs every left row with every right row.
func (j *joinRun) nestedLoop() error {
	nl, nr := int32(j.left.NumRows()), int32(j.right.NumRows())
	for i := int32(0); i < nl; i++ {
		for x := int32(0); x < nr; x++ {
			if err := j.candidate(i, x); err != nil {
				return err
			}
		}
	}
	return nil
}

// candidate queues a pair for the residual condition.
func (j *joinRun) candidate(l, r int32) error {
	j.li = append(j.li, l)
	j.ri = append(j.ri, r)
	if len(j.li) >= pairChunk {
		return j.flush()
	}
	return nil
}

// flush filters the queued pairs and emits the matching ones.
func (j *joinRun) flush() error {
	if len(j.li) == 0 {
		return nil
	}
	defer func() { j.li, j.ri = j.li[:0], j.ri[:0] }()
	rec := j.assemble(batch.Take(j.left, j.li), batch.Take(j.right, j.ri))
	n := len(j.li)
	if j.residual == nil {
		for k := 0; k < n; k++ {
			j.lMatched[j.li[k]], j.rMatched[j.ri[k]] = true, true
		}
		j.result = append(j.result, rec)
		return nil
	}
	v, err := j.residual.eval(rec)
	if err != nil {
		return err
	}
	var idx []int32
	if v.IsScalar() {
		if v.Scalar.Null || !v.Scalar.Bool() {
			return nil
		}
		idx = make([]int32, n)
		for k := range idx {
			idx[k] = int32(k)
		}
	} else {
		idx, _ = batch.Selected(v.Array, nil)
	}
	for _, k := range idx {
		j.lMatched[j.li[k]], j.rMatched[j.ri[k]] = true, true
	}
	switch len(idx) {
	case 0:
	case n:
		j.result = append(j.result, rec)
	default:
		j.result = append(j.result, batch.Take(rec, idx))
	}
	return nil
}

// assemble puts left and right columns side by side.
func (j *joinRun) assemble(l, r arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, 0, l.NumCols()+r.NumCols())
	cols = append(cols, l.Columns()...)
	cols = append(cols, r.Columns()...)
	return array.NewRecordBatch(j.out, cols, l.NumRows())
}

// padUnmatched adds the NULL-padded rows of an outer join.
func (j *joinRun) padUnmatched() ([]arrow.RecordBatch, error) {
	kind := j.n.Kind
	if kind == plan.JoinLeft || kind == plan.JoinFull {
		if idx := unmatched(j.lMatched); len(idx) > 0 {
			j.result = append(j.result, j.assemble(batch.Take(j.left, idx), nullRecord(j.right.Schema(), len(idx))))
		}
	}
	if kind == plan.JoinRight || kind == plan.JoinFull {
		if idx := unmatched(j.rMatched); len(idx) > 0 {
			j.result = append(j.result, j.assemble(nullRecord(j.left.Schema(), len(idx)), batch.Take(j.right, idx)))
		}
	}
	return j.result, nil
}

func unmatched(matched []bool) []int32 {
	var idx []int32
	for i, m := range matched {
		if !m {
			idx = append(idx, int32(i))
		}
	}
	return idx
}

// nullRecord is n rows of NULLs.
func nullRecord(schema *arrow.Schema, n int) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, n)
	}
	return array.NewRecordBatch(schema, cols, int64(n))
}
