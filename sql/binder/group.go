package binder

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// bindGroupBy binds GROUP BY items: an integer is a select-list
// position, a bare name that is not an input column may name a select
// item (input columns win, as in Postgres), anything else is an
// expression over the input.
func (b *Binder) bindGroupBy(groupBy []ast.Expr, items []selItem, sc *scope) ([]plan.Expr, error) {
	var keys []plan.Expr
	for _, g := range groupBy {
		var x plan.Expr
		switch e := g.(type) {
		case *ast.Literal:
			if e.Kind == ast.LitInt {
				n, err := selectPosition(e, len(items), "GROUP BY")
				if err != nil {
					return nil, err
				}
				x = items[n].expr
				if hasAggRef(x) {
					return nil, sqlerr.At(sqlerr.GroupingError, e.Off, "aggregate functions are not allowed in GROUP BY")
				}
			}
		case *ast.ColumnRef:
			if len(e.Parts) == 1 {
				if _, err := sc.resolve(e); err != nil {
					for _, it := range items {
						if it.name == e.Name() && !hasAggRef(it.expr) {
							x = it.expr
							break
						}
					}
				}
			}
		}
		if x == nil {
			var err error
			if x, err = b.bindExpr(g, sc, nil); err != nil {
				if se, ok := err.(*sqlerr.Error); ok && se.Code == sqlerr.GroupingError {
					return nil, sqlerr.At(sqlerr.GroupingError, se.Pos-1, "aggregate functions are not allowed in GROUP BY")
				}
				return nil, err
			}
		}
		dup := false
		for _, k := range keys {
			dup = dup || plan.Equal(k, x)
		}
		if !dup {
			keys = append(keys, x)
		}
	}
	return keys, nil
}

func selectPosition(l *ast.Literal, n int, clause string) (int, error) {
	pos := 0
	for _, c := range l.Value {
		pos = pos*10 + int(c-'0')
		if pos > n {
			break
		}
	}
	if pos < 1 || pos > n {
		return 0, sqlerr.At(sqlerr.InvalidColumnReference, l.Off, "%s position %s is not in select list", clause, l.Value)
	}
	return pos - 1, nil
}

func hasAggRef(e plan.Expr) bool {
	found := false
	plan.Walk(e, func(x plan.Expr) {
		if _, ok := x.(*plan.AggRef); ok {
			found = true
		}
	})
	return found
}

// buildAggregate projects the keys and aggregate arguments, adds the
// Aggregate node, and returns a function that rewrites expressions bound
// over the input into expressions over the Aggregate's output.
func (b *Binder) buildAggregate(input plan.Node, sc *scope, keys []plan.Expr, agg *aggCtx) (plan.Node, func(plan.Expr, int) (plan.Expr, error), error) {
	pre := &plan.Project{Input: input}
	add := func(e plan.Expr, name string) int {
		for i, x := range pre.Exprs {
			if plan.Equal(x, e) {
				return i
			}
		}
		pre.Exprs = append(pre.Exprs, e)
		pre.Names = append(pre.Names, name)
		return len(pre.Exprs) - 1
	}
	node := &plan.Aggregate{}
	for i, k := range keys {
		name := "?column?"
		if c, ok := k.(*plan.ColRef); ok {
			name = c.Name
		}
		// Keys occupy the first positions even when two are equal
		// expressions, so key i is always column i.
		pre.Exprs = append(pre.Exprs, k)
		pre.Names = append(pre.Names, name)
		node.Keys = append(node.Keys, i)
		node.KeyNames = append(node.KeyNames, name)
	}
	for _, p := range agg.calls {
		call := p.call
		call.Args = nil
		for _, a := range p.args {
			call.Args = append(call.Args, add(a, "_arg"))
		}
		call.Filter = -1
		if p.filter != nil {
			call.Filter = add(p.filter, "_filter")
		}
		node.Aggs = append(node.Aggs, call)
	}
	pre.Hidden = make([]bool, len(pre.Exprs))
	node.Input = pre
	out := node.Schema()
	nk := len(keys)
	var rewrite func(e plan.Expr) (plan.Expr, error)
	rewrite = func(e plan.Expr) (plan.Expr, error) {
		for i, k := range keys {
			if plan.Equal(e, k) {
				return &plan.ColRef{Idx: i, Typ: k.Type(), Name: out[i].Name}, nil
			}
		}
		switch x := e.(type) {
		case *plan.AggRef:
			return &plan.ColRef{Idx: nk + x.Idx, Typ: x.Typ, Name: out[nk+x.Idx].Name}, nil
		case *plan.ColRef:
			pos, ok := b.colPos[x]
			if !ok {
				pos = -1
			}
			return nil, sqlerr.At(sqlerr.GroupingError, pos,
				"column %q must appear in the GROUP BY clause or be used in an aggregate function", sc.cols[x.Idx].name)
		}
		return plan.MapChildren(e, rewrite)
	}
	post := func(e plan.Expr, _ int) (plan.Expr, error) { return rewrite(e) }
	return node, post, nil
}

// aggNotAllowedHere is the error of an aggregate where none may be; inside
// another aggregate's arguments it becomes "cannot be nested".
const aggNotAllowedHere = "aggregate functions are not allowed here"

// bindAggregate binds an aggregate call inside a select list, HAVING or
// ORDER BY, registers it with agg and returns an AggRef to its result.
// Direct arguments come first; the ORDER BY inside the call (or WITHIN
// GROUP) adds ordering arguments after them.
func (b *Binder) bindAggregate(f *ast.FuncCall, agg *aggCtx) (plan.Expr, error) {
	if agg == nil {
		return nil, sqlerr.At(sqlerr.GroupingError, f.Off, aggNotAllowedHere)
	}
	bindArgs := func(es []ast.Expr) ([]plan.Expr, []types.Type, error) {
		var xs []plan.Expr
		var ts []types.Type
		for _, a := range es {
			x, err := b.bindExpr(a, agg.input, nil)
			if err != nil {
				if se, ok := err.(*sqlerr.Error); ok && se.Code == sqlerr.GroupingError && se.Msg == aggNotAllowedHere {
					return nil, nil, sqlerr.At(sqlerr.GroupingError, se.Pos-1, "aggregate function calls cannot be nested")
				}
				return nil, nil, err
			}
			xs = append(xs, x)
			ts = append(ts, x.Type())
		}
		return xs, ts, nil
	}
	args, argTypes, err := bindArgs(f.Args)
	if err != nil {
		return nil, err
	}
	if f.Star {
		args, argTypes = nil, nil
	}
	order := f.OrderBy
	withinGroup := len(f.WithinGroup) > 0
	if withinGroup {
		order = f.WithinGroup
	}
	if err := b.checkAggregateForm(f, withinGroup); err != nil {
		return nil, err
	}
	orderExprs := make([]ast.Expr, len(order))
	for i, o := range order {
		orderExprs[i] = o.Expr
	}
	orderArgs, orderTypes, err := bindArgs(orderExprs)
	if err != nil {
		return nil, err
	}
	resolveTypes := argTypes
	if withinGroup {
		resolveTypes = append(append([]types.Type{}, argTypes...), orderTypes...)
	}
	fn, params, err := b.reg.ResolveAggregate(f.Name, resolveTypes, f.Off)
	if err != nil {
		return nil, err
	}
	switch {
	case f.Star != fn.Star:
		return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s(*) does not exist", f.Name)
	case fn.Ordered && !withinGroup:
		return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "WITHIN GROUP is required for ordered-set aggregate %s", f.Name)
	case !fn.Ordered && withinGroup:
		return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", f.Name)
	}
	// Coerce every argument to the chosen overload's parameter types;
	// ordering arguments outside WITHIN GROUP keep their own types.
	all := append(append([]plan.Expr{}, args...), orderArgs...)
	allTypes := append(append([]types.Type{}, argTypes...), orderTypes...)
	allPos := make([]int, 0, len(all))
	for _, a := range f.Args {
		allPos = append(allPos, a.Position())
	}
	if f.Star {
		allPos = nil
	}
	for _, o := range order {
		allPos = append(allPos, o.Expr.Position())
	}
	for i := range params {
		if all[i], err = b.coerce(all[i], params[i], allPos[i]); err != nil {
			return nil, err
		}
		allTypes[i] = params[i]
	}
	keys := make([]functions.OrderKey, len(order))
	for i, o := range order {
		keys[i] = functions.OrderKey{Desc: o.Desc, NullsFirst: o.Desc}
		switch o.Nulls {
		case ast.NullsFirst:
			keys[i].NullsFirst = true
		case ast.NullsLast:
			keys[i].NullsFirst = false
		}
	}
	// first_value and last_value order by event time unless told
	// otherwise.
	if (f.Name == "first_value" || f.Name == "last_value") && len(order) == 0 {
		if agg.input.eventTime < 0 {
			return nil, sqlerr.At(sqlerr.WindowingError, f.Off, "%s needs ORDER BY inside the call, or a source with an event time (WATERMARK FOR)", f.Name)
		}
		et := agg.input.eventTime
		all = append(all, &plan.ColRef{Idx: et, Typ: agg.input.cols[et].typ, Name: agg.input.cols[et].name})
		allTypes = append(allTypes, agg.input.cols[et].typ)
		keys = append(keys, functions.OrderKey{})
	}
	var filter plan.Expr
	if f.Filter != nil {
		if filter, err = b.bindPredicate(f.Filter, agg.input, "FILTER"); err != nil {
			return nil, err
		}
	}
	ret := fn.ReturnType(params)
	call := plan.AggCall{Fn: fn, ArgTypes: allTypes, Order: keys, Distinct: f.Distinct, Typ: ret, Name: f.Name}
	// The same call written twice (in the select list and HAVING, say)
	// is computed once.
	for i, p := range agg.calls {
		if p.call.Fn == fn && p.call.Distinct == call.Distinct && len(p.args) == len(all) && (p.filter == nil) == (filter == nil) &&
			(filter == nil || plan.Equal(p.filter, filter)) && sameExprs(p.args, all) && sameKeys(p.call.Order, keys) {
			return &plan.AggRef{Idx: i, Typ: ret}, nil
		}
	}
	agg.calls = append(agg.calls, pendingAgg{call: call, args: all, filter: filter})
	return &plan.AggRef{Idx: len(agg.calls) - 1, Typ: ret}, nil
}

func sameKeys(a, b []functions.OrderKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// orderItem is a bound ORDER BY item: either an output column or an
// extra expression.
type orderItem struct {
	outCol     int
	expr       plan.Expr
	desc       bool
	nullsFirst bool
	pos        int
}

func (b *Binder) bindOrderBy(order []ast.OrderItem, items []selItem, sc *scope, agg *aggCtx) ([]orderItem, error) {
	var out []orderItem
	for _, o := range order {
		it := orderItem{outCol: -1, desc: o.Desc, pos: o.Expr.Position()}
		it.nullsFirst = o.Desc
		switch o.Nulls {
		case ast.NullsFirst:
			it.nullsFirst = true
		case ast.NullsLast:
			it.nullsFirst = false
		}
		switch e := o.Expr.(type) {
		case *ast.Literal:
			if e.Kind == ast.LitInt {
				n, err := selectPosition(e, len(items), "ORDER BY")
				if err != nil {
					return nil, err
				}
				it.outCol = n
			}
		case *ast.ColumnRef:
			if len(e.Parts) == 1 {
				for i, s := range items {
					if s.name != e.Name() {
						continue
					}
					if it.outCol >= 0 && !plan.Equal(items[it.outCol].expr, s.expr) {
						return nil, sqlerr.At(sqlerr.AmbiguousColumn, e.Off, "ORDER BY %q is ambiguous", e.Name())
					}
					if it.outCol < 0 {
						it.outCol = i
					}
				}
			}
		}
		if it.outCol < 0 {
			x, err := b.bindExpr(o.Expr, sc, agg)
			if err != nil {
				return nil, err
			}
			for i, s := range items {
				if plan.Equal(s.expr, x) {
					it.outCol = i
					break
				}
			}
			if it.outCol < 0 {
				it.expr = x
			}
		}
		out = append(out, it)
	}
	return out, nil
}

func sameExprs(a, b []plan.Expr) bool {
	for i := range a {
		if !plan.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// checkAggregateForm rejects what Postgres rejects before resolving an
// aggregate: an ordered-set aggregate without WITHIN GROUP, DISTINCT
// with WITHIN GROUP, and DISTINCT ordered by something that is not an
// argument.
func (b *Binder) checkAggregateForm(f *ast.FuncCall, withinGroup bool) error {
	if !withinGroup {
		if cands := b.reg.Aggregates(f.Name); len(cands) > 0 {
			ordered := true
			for _, c := range cands {
				ordered = ordered && c.Ordered
			}
			if ordered {
				return sqlerr.At(sqlerr.WrongObjectType, f.Off, "WITHIN GROUP is required for ordered-set aggregate %s", f.Name)
			}
		}
	}
	if !f.Distinct {
		return nil
	}
	if withinGroup {
		return sqlerr.At(sqlerr.SyntaxError, f.Off, "cannot use DISTINCT with WITHIN GROUP")
	}
	for _, o := range f.OrderBy {
		found := false
		for _, a := range f.Args {
			found = found || ast.Format(a) == ast.Format(o.Expr)
		}
		if !found {
			return sqlerr.At(sqlerr.InvalidColumnReference, o.Expr.Position(), "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
		}
	}
	return nil
}
