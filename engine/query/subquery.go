package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Subquery expressions are evaluated per batch of the enclosing node:
// the rows' correlation values (plan.Subquery.Args) are encoded, and the
// subquery's plan runs once per distinct combination, with its outer
// references replaced by those values (plan.SubstituteOuter). Results are
// memoised for the evaluator's lifetime (one execution of the enclosing
// node), and for the whole statement when the subquery is uncorrelated.
//
// x IN (SELECT ...) with a hashable equality probes a hash set of the
// subquery's values; other ANY/ALL comparisons run the bound comparison
// vectorised over the subquery's column, once per distinct left value.

// subResult is what one execution of a subquery plan yields.
type subResult struct {
	// val is the value of a scalar subquery or EXISTS.
	val types.Datum
	// col is the column of an ANY/ALL subquery.
	col arrow.Array
	// set and hasNull are the hashed values of col (hash path only).
	set     map[string]struct{}
	hasNull bool
}

// subEval evaluates one subquery expression.
type subEval struct {
	r        *Runner
	sq       *plan.Subquery
	args     []*expr.Evaluator
	argTypes []types.Type
	x        *expr.Evaluator
	cmp      *expr.Evaluator
	// keyX and keySub, set for a hashable equality, compute the coerced
	// comparison operands from a pair row.
	keyX, keySub *expr.Evaluator
	keyType      types.Type
	global       bool
	memo         map[string]*subResult
}

func (r *Runner) newSubEval(sq *plan.Subquery) (*subEval, error) {
	s := &subEval{r: r, sq: sq, memo: map[string]*subResult{}}
	if r.subqueries == nil {
		r.subqueries = map[plan.Node]*subResult{}
	}
	s.global = len(sq.Args) == 0 && len(plan.FreeCTEs(sq.Plan)) == 0
	var err error
	for _, a := range sq.Args {
		ev, err := expr.Compile(a)
		if err != nil {
			return nil, err
		}
		s.args = append(s.args, ev)
		s.argTypes = append(s.argTypes, a.Type())
	}
	if sq.Kind == plan.SubAny || sq.Kind == plan.SubAll {
		if s.x, err = expr.Compile(sq.X); err != nil {
			return nil, err
		}
		if s.cmp, err = expr.Compile(sq.Cmp); err != nil {
			return nil, err
		}
		if l, r, ok := hashableEquality(sq); ok && sq.Kind == plan.SubAny {
			if s.keyX, err = expr.Compile(l); err != nil {
				return nil, err
			}
			if s.keySub, err = expr.Compile(r); err != nil {
				return nil, err
			}
			s.keyType = l.Type()
		}
	}
	return s, nil
}

// hashableEquality returns the two coerced operands of an = comparison
// whose operands have one type with an exact memcomparable encoding.
func hashableEquality(sq *plan.Subquery) (plan.Expr, plan.Expr, bool) {
	call, ok := sq.Cmp.(*plan.Call)
	if !ok || call.Fn.Name != "=" || len(call.Args) != 2 {
		return nil, nil, false
	}
	l, r := call.Args[0], call.Args[1]
	if l.Type() != r.Type() {
		return nil, nil, false
	}
	switch t := l.Type(); {
	case t.IsInteger(), t.IsFloat(), t.IsString(), t.IsTimestamp(),
		t.Kind == types.Bool, t.Kind == types.Date, t.Kind == types.Bytea, t.Kind == types.Oid:
	default:
		return nil, nil, false
	}
	onlyCol := func(e plan.Expr, col int) bool {
		cols := plan.Columns(e)
		return len(cols) == 1 && cols[0] == col
	}
	if !onlyCol(l, 0) || !onlyCol(r, 1) {
		return nil, nil, false
	}
	return l, r, true
}

// column computes the subquery's value for every row of rec.
func (s *subEval) column(rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	if n == 0 {
		return array.MakeArrayOfNull(memory.DefaultAllocator, s.sq.Typ.Arrow(), 0), nil
	}
	// Group the rows by their correlation values.
	keyOf := make([]int32, n)
	var keys []string
	var firsts []int
	var argArrays []arrow.Array
	if len(s.args) == 0 {
		keys, firsts = []string{""}, []int{0}
	} else {
		bufs := arenaRows(n, 10*len(s.args))
		for k, ev := range s.args {
			a, err := ev.EvalArray(s.r.Ctx, rec)
			if err != nil {
				return nil, err
			}
			argArrays = append(argArrays, a)
			rowcodec.AppendColumn(bufs, a, s.argTypes[k])
		}
		index := map[string]int32{}
		for i, b := range bufs {
			k, ok := index[string(b)]
			if !ok {
				k = int32(len(keys))
				index[string(b)] = k
				keys = append(keys, string(b))
				firsts = append(firsts, i)
			}
			keyOf[i] = k
		}
	}
	results := make([]*subResult, len(keys))
	for k := range keys {
		var vals []types.Datum
		for j, a := range argArrays {
			vals = append(vals, functions.DatumAt(a, s.argTypes[j], firsts[k]))
		}
		res, err := s.result(keys[k], vals)
		if err != nil {
			return nil, err
		}
		results[k] = res
	}
	switch s.sq.Kind {
	case plan.SubScalar, plan.SubExists:
		vals := make([]types.Datum, len(results))
		for k, res := range results {
			vals[k] = res.val
			vals[k].Type = s.sq.Typ
		}
		if len(vals) == 1 {
			return functions.Broadcast(functions.ScalarValue(vals[0]), s.sq.Typ, n), nil
		}
		return batch.TakeArray(functions.BuildArray(s.sq.Typ, vals), keyOf), nil
	}
	return s.quantified(rec, keyOf, results)
}

// result runs the subquery for one combination of correlation values.
func (s *subEval) result(key string, vals []types.Datum) (*subResult, error) {
	if s.global {
		if res, ok := s.r.subqueries[s.sq.Plan]; ok {
			return res, nil
		}
	} else if res, ok := s.memo[key]; ok {
		return res, nil
	}
	p := s.sq.Plan
	if len(vals) > 0 {
		p = plan.SubstituteOuter(p, vals)
	}
	recs, err := s.r.Run(p)
	if err != nil {
		return nil, err
	}
	res := &subResult{}
	rows := 0
	for _, rec := range recs {
		rows += int(rec.NumRows())
	}
	switch s.sq.Kind {
	case plan.SubExists:
		res.val = types.BoolDatum(rows > 0)
	case plan.SubScalar:
		if rows > 1 {
			return nil, sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		res.val = types.NullDatum(s.sq.Typ)
		for _, rec := range recs {
			if rec.NumRows() > 0 {
				res.val = functions.DatumAt(rec.Column(0), s.sq.Typ, 0)
			}
		}
	default:
		schema := s.sq.Plan.Schema()
		all, err := batch.Concat(schema.Arrow(), recs)
		if err != nil {
			return nil, err
		}
		res.col = all.Column(0)
		if s.keySub != nil {
			if err := s.hashSet(res, schema[0].Type); err != nil {
				return nil, err
			}
		}
	}
	if s.global {
		s.r.subqueries[s.sq.Plan] = res
	} else {
		s.memo[key] = res
	}
	return res, nil
}

// pairRecord builds the two-column row the comparison is bound over.
func pairRecord(x arrow.Array, xt types.Type, sub arrow.Array, st types.Type, n int) arrow.RecordBatch {
	if x == nil {
		x = array.MakeArrayOfNull(memory.DefaultAllocator, xt.Arrow(), n)
	}
	if sub == nil {
		sub = array.MakeArrayOfNull(memory.DefaultAllocator, st.Arrow(), n)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: xt.Arrow(), Nullable: true}, {Name: "y", Type: st.Arrow(), Nullable: true},
	}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{x, sub}, int64(n))
}

// hashSet encodes the subquery's values for IN probes.
func (s *subEval) hashSet(res *subResult, st types.Type) error {
	n := res.col.Len()
	keys, err := s.keySub.EvalArray(s.r.Ctx, pairRecord(nil, s.sq.X.Type(), res.col, st, n))
	if err != nil {
		return err
	}
	bufs := arenaRows(n, 10)
	rowcodec.AppendColumn(bufs, keys, s.keyType)
	res.set = make(map[string]struct{}, n)
	for i, b := range bufs {
		if keys.IsNull(i) {
			res.hasNull = true
			continue
		}
		res.set[string(b)] = struct{}{}
	}
	return nil
}

// quantified computes x op ANY|ALL (subquery) for each row.
func (s *subEval) quantified(rec arrow.RecordBatch, keyOf []int32, results []*subResult) (arrow.Array, error) {
	n := int(rec.NumRows())
	xs, err := s.x.EvalArray(s.r.Ctx, rec)
	if err != nil {
		return nil, err
	}
	xt := s.sq.X.Type()
	st := s.sq.Plan.Schema()[0].Type
	val, valid := vec.Bitmap(n), vec.AllValid(n)
	set := func(i int, v, ok bool) {
		if !ok {
			valid[i>>3] &^= 1 << (i & 7)
		} else if v {
			val[i>>3] |= 1 << (i & 7)
		}
	}
	if s.keyX != nil {
		keys, err := s.keyX.EvalArray(s.r.Ctx, pairRecord(xs, xt, nil, st, n))
		if err != nil {
			return nil, err
		}
		bufs := arenaRows(n, 10)
		rowcodec.AppendColumn(bufs, keys, s.keyType)
		for i := 0; i < n; i++ {
			res := results[keyOf[i]]
			switch _, found := res.set[string(bufs[i])]; {
			case res.col.Len() == 0:
				set(i, false, true)
			case keys.IsNull(i):
				set(i, false, false)
			case found:
				set(i, true, true)
			default:
				set(i, false, !res.hasNull)
			}
		}
		return vec.NewBool(n, val, valid, -1), nil
	}
	// The general path: one vectorised comparison per distinct (group,
	// left value).
	xbufs := arenaRows(n, 10)
	rowcodec.AppendColumn(xbufs, xs, xt)
	type outcome struct{ v, ok bool }
	type memoKey struct {
		x     string
		group int32
	}
	done := map[memoKey]outcome{}
	isAny := s.sq.Kind == plan.SubAny
	for i := 0; i < n; i++ {
		mk := memoKey{x: string(xbufs[i]), group: keyOf[i]}
		if o, ok := done[mk]; ok {
			set(i, o.v, o.ok)
			continue
		}
		res := results[keyOf[i]]
		m := res.col.Len()
		o := outcome{v: !isAny, ok: true}
		if m > 0 {
			rep := make([]int32, m)
			for j := range rep {
				rep[j] = int32(i)
			}
			c, err := s.cmp.EvalArray(s.r.Ctx, pairRecord(batch.TakeArray(xs, rep), xt, res.col, st, m))
			if err != nil {
				return nil, err
			}
			o.v, o.ok = reduceQuantified(c, isAny)
		}
		done[mk] = o
		set(i, o.v, o.ok)
	}
	return vec.NewBool(n, val, valid, -1), nil
}

// reduceQuantified folds comparison results with ANY (OR) or ALL (AND)
// under three-valued logic; ok is false for NULL.
func reduceQuantified(c arrow.Array, isAny bool) (v, ok bool) {
	b := c.(*array.Boolean)
	sawNull := false
	for j := 0; j < b.Len(); j++ {
		if b.IsNull(j) {
			sawNull = true
			continue
		}
		if b.Value(j) == isAny {
			return isAny, true
		}
	}
	if sawNull {
		return false, false
	}
	return !isAny, true
}
