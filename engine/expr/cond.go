package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// CASE and COALESCE evaluate lazily per row, as Postgres does: a WHEN
// condition runs only on the rows no earlier condition took, a THEN
// branch only on the rows that chose it, and a COALESCE argument only on
// the rows whose earlier arguments were NULL. So CASE WHEN x <> 0 THEN
// 1/x END never divides by zero. Each step runs once per batch on the
// subset of rows it concerns (a typed take), never per row.

// evalOn evaluates nd over the rows of rec listed in rows (all rows when
// rows is nil), returning a value of len(rows) rows.
func evalOn(ctx *functions.Context, nd node, rec arrow.RecordBatch, rows []int32) (functions.Value, error) {
	if rows == nil {
		return nd.eval(ctx, rec)
	}
	return nd.eval(ctx, batch.Take(rec, rows))
}

// subset returns rows (nil meaning all n) filtered by keep.
func subset(rows []int32, n int, keep func(j int) bool) []int32 {
	var out []int32
	if rows == nil {
		for i := 0; i < n; i++ {
			if keep(i) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for j, r := range rows {
		if keep(j) {
			out = append(out, r)
		}
	}
	return out
}

// assemble builds the result from per-branch values: parts[k] holds the
// values of the rows in sel[k] (in order).
func assemble(n int, sel [][]int32, parts []functions.Value, typ types.Type) (functions.Value, error) {
	arrs := make([]arrow.Array, 0, len(parts))
	idx := make([]int32, n)
	base := int32(0)
	for k, rows := range sel {
		if len(rows) == 0 {
			continue
		}
		arrs = append(arrs, functions.Broadcast(parts[k], typ, len(rows)))
		for j, r := range rows {
			idx[r] = base + int32(j)
		}
		base += int32(len(rows))
	}
	switch len(arrs) {
	case 0: // a batch of no rows
		return functions.ArrayValue(functions.BuildArray(typ, nil)), nil
	case 1:
		return functions.ArrayValue(arrs[0]), nil
	}
	all, err := array.Concatenate(arrs, memory.DefaultAllocator)
	if err != nil {
		return functions.Value{}, err
	}
	return functions.ArrayValue(batch.TakeArray(all, idx)), nil
}

// caseNode evaluates CASE WHEN c1 THEN r1 ... ELSE e END.
type caseNode struct {
	conds   []node
	results []node // len(conds)+1: the last is ELSE
	typ     types.Type
}

func (c *caseNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	n := int(rec.NumRows())
	sel := make([][]int32, len(c.results))
	var pending []int32 // nil: every row is still undecided
	allPending := true
	for k, cn := range c.conds {
		if !allPending && len(pending) == 0 {
			break
		}
		var rows []int32
		if !allPending {
			rows = pending
		}
		v, err := evalOn(ctx, cn, rec, rows)
		if err != nil {
			return functions.Value{}, err
		}
		m := n
		if !allPending {
			m = len(pending)
		}
		isTrue := func(j int) bool {
			if v.IsScalar() {
				return !v.Scalar.Null && v.Scalar.Bool()
			}
			b := v.Array.(*array.Boolean)
			return b.IsValid(j) && b.Value(j)
		}
		sel[k] = subset(rows, m, isTrue)
		pending = subset(rows, m, func(j int) bool { return !isTrue(j) })
		allPending = false
	}
	if allPending {
		sel[len(c.conds)] = subset(nil, n, func(int) bool { return true })
	} else {
		sel[len(c.conds)] = pending
	}
	return c.branches(ctx, rec, n, sel)
}

func (c *caseNode) branches(ctx *functions.Context, rec arrow.RecordBatch, n int, sel [][]int32) (functions.Value, error) {
	parts := make([]functions.Value, len(c.results))
	for k, rows := range sel {
		if len(rows) == 0 {
			continue
		}
		if len(rows) == n {
			// Every row chose this branch.
			return c.results[k].eval(ctx, rec)
		}
		v, err := evalOn(ctx, c.results[k], rec, rows)
		if err != nil {
			return functions.Value{}, err
		}
		parts[k] = v
	}
	return assemble(n, sel, parts, c.typ)
}

// coalesceNode returns, per row, its first non-NULL argument.
type coalesceNode struct {
	args []node
	typ  types.Type
}

func (c *coalesceNode) eval(ctx *functions.Context, rec arrow.RecordBatch) (functions.Value, error) {
	n := int(rec.NumRows())
	sel := make([][]int32, len(c.args))
	parts := make([]functions.Value, len(c.args))
	var pending []int32
	allPending := true
	for k, a := range c.args {
		if !allPending && len(pending) == 0 {
			break
		}
		var rows []int32
		m := n
		if !allPending {
			rows, m = pending, len(pending)
		}
		v, err := evalOn(ctx, a, rec, rows)
		if err != nil {
			return functions.Value{}, err
		}
		isValid := func(j int) bool {
			if v.IsScalar() {
				return !v.Scalar.Null
			}
			return v.Array.IsValid(j)
		}
		last := k == len(c.args)-1
		if allPending && !last {
			if v.IsScalar() && !v.Scalar.Null || !v.IsScalar() && v.Array.NullN() == 0 {
				return v, nil // no row needs a later argument
			}
		}
		if last {
			// The last argument answers every remaining row, NULL or not.
			sel[k] = subset(rows, m, func(int) bool { return true })
			parts[k] = v
			pending, allPending = nil, false
			break
		}
		taken := subset(rows, m, isValid)
		sel[k] = taken
		if len(taken) > 0 {
			keep := make([]int32, 0, len(taken))
			for j := 0; j < m; j++ {
				if isValid(j) {
					keep = append(keep, int32(j))
				}
			}
			if v.IsScalar() {
				parts[k] = v
			} else {
				parts[k] = functions.ArrayValue(batch.TakeArray(v.Array, keep))
			}
		}
		pending = subset(rows, m, func(j int) bool { return !isValid(j) })
		allPending = false
	}
	return assemble(n, sel, parts, c.typ)
}
