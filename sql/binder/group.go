package binder

import (
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

// bindAggregate binds an aggregate call inside a select list, HAVING or
// ORDER BY, registers it with agg and returns an AggRef to its result.
func (b *Binder) bindAggregate(f *ast.FuncCall, agg *aggCtx) (plan.Expr, error) {
	if agg == nil {
		return nil, sqlerr.At(sqlerr.GroupingError, f.Off, "aggregate functions are not allowed here")
	}
	switch {
	case f.Distinct:
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "%s(DISTINCT ...) is not supported yet", f.Name)
	case len(f.OrderBy) > 0 || len(f.WithinGroup) > 0:
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "ordered aggregates (%s with ORDER BY / WITHIN GROUP) are not supported yet", f.Name)
	}
	var args []plan.Expr
	var argTypes []types.Type
	for _, a := range f.Args {
		x, err := b.bindExpr(a, agg.input, nil)
		if err != nil {
			if se, ok := err.(*sqlerr.Error); ok && se.Code == sqlerr.GroupingError {
				return nil, sqlerr.At(sqlerr.GroupingError, se.Pos-1, "aggregate function calls cannot be nested")
			}
			return nil, err
		}
		args = append(args, x)
		argTypes = append(argTypes, x.Type())
	}
	if f.Star {
		args, argTypes = nil, nil
	}
	fn, params, err := b.reg.ResolveAggregate(f.Name, argTypes, f.Off)
	if err != nil {
		return nil, err
	}
	if f.Star != fn.Star {
		return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s(*) does not exist", f.Name)
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], params[i], f.Args[i].Position()); err != nil {
			return nil, err
		}
	}
	var filter plan.Expr
	if f.Filter != nil {
		if filter, err = b.bindPredicate(f.Filter, agg.input, "FILTER"); err != nil {
			return nil, err
		}
	}
	ret := fn.ReturnType(params)
	// The same call written twice (in the select list and HAVING, say)
	// is computed once.
	for i, p := range agg.calls {
		if p.call.Fn == fn && len(p.args) == len(args) && (p.filter == nil) == (filter == nil) &&
			(filter == nil || plan.Equal(p.filter, filter)) && sameExprs(p.args, args) {
			return &plan.AggRef{Idx: i, Typ: ret}, nil
		}
	}
	agg.calls = append(agg.calls, pendingAgg{
		call:   plan.AggCall{Fn: fn, ArgTypes: params, Typ: ret, Name: f.Name},
		args:   args,
		filter: filter,
	})
	return &plan.AggRef{Idx: len(agg.calls) - 1, Typ: ret}, nil
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
