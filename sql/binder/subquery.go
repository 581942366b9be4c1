package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds subquery expressions: scalar (SELECT ...), EXISTS,
// IN / NOT IN and op ANY / ALL (SELECT ...), correlated or not.

// bindSubqueryPlan binds q as a subquery of the query whose scope is sc,
// returning its plan (unknown output types resolved to text and hidden
// columns dropped) and the outer expressions it is correlated on.
func (b *Binder) bindSubqueryPlan(q ast.Query, sc *scope) (plan.Node, []plan.Expr, error) {
	link := &outerLink{sc: sc}
	savedOuter, savedNoWindow := b.outer, b.noWindow
	b.outer, b.noWindow = link, ""
	n, err := b.bindQuery(q)
	b.outer, b.noWindow = savedOuter, savedNoWindow
	if err != nil {
		return nil, nil, err
	}
	n = b.textUnknowns(n)
	s := n.Schema()
	if vis := s.Visible(); len(vis) != len(s) {
		p := &plan.Project{Input: n}
		for _, c := range vis {
			p.Exprs = append(p.Exprs, &plan.ColRef{Idx: c, Typ: s[c].Type, Name: s[c].Name})
			p.Names = append(p.Names, s[c].Name)
			p.Hidden = append(p.Hidden, false)
		}
		n = p
	}
	return n, link.args, nil
}

func (b *Binder) nextID() int {
	b.lastID++
	return b.lastID
}

// bindScalarSubquery binds (SELECT ...) used as a value.
func (b *Binder) bindScalarSubquery(e *ast.SubqueryExpr, sc *scope) (plan.Expr, error) {
	n, args, err := b.bindSubqueryPlan(e.Query, sc)
	if err != nil {
		return nil, err
	}
	s := n.Schema()
	if len(s) != 1 {
		return nil, sqlerr.At(sqlerr.SyntaxError, e.Off, "subquery must return only one column")
	}
	return &plan.Subquery{ID: b.nextID(), Kind: plan.SubScalar, Plan: n, Args: args, Typ: s[0].Type}, nil
}

// bindExists binds [NOT] EXISTS (SELECT ...).
func (b *Binder) bindExists(e *ast.Exists, sc *scope) (plan.Expr, error) {
	n, args, err := b.bindSubqueryPlan(e.Query, sc)
	if err != nil {
		return nil, err
	}
	// Only whether a row exists matters.
	n = &plan.Limit{Input: n, Count: 1}
	var out plan.Expr = &plan.Subquery{ID: b.nextID(), Kind: plan.SubExists, Plan: n, Args: args, Typ: types.BoolType}
	if e.Not {
		out = &plan.Not{X: out}
	}
	return out, nil
}

// bindQuantified binds x op ANY|ALL (SELECT ...); x [NOT] IN (SELECT
// ...) is x = ANY (...) and its negation, which has exactly SQL's NULL
// semantics (NOT IN over a set with a NULL is never true).
func (b *Binder) bindQuantified(pos int, x ast.Expr, op ast.BinaryOp, quant ast.Quantifier, q ast.Query, not bool, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if _, ok := x.(*ast.Row); ok {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, x.Position(), "row-valued IN / ANY / ALL subqueries are not supported yet")
	}
	name, ok := opNames[op]
	if !ok {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, pos, "operator %s is not supported with ANY/ALL", op)
	}
	xv, err := b.bindExpr(x, sc, agg)
	if err != nil {
		return nil, err
	}
	n, args, err := b.bindSubqueryPlan(q, sc)
	if err != nil {
		return nil, err
	}
	s := n.Schema()
	if len(s) != 1 {
		return nil, sqlerr.At(sqlerr.SyntaxError, pos, "subquery has too many columns")
	}
	sub := s[0].Type
	if xv.Type().Kind == types.Unknown {
		if xv, err = b.coerce(xv, sub, x.Position()); err != nil {
			return nil, err
		}
	}
	// The comparison is bound over a pair row: #0 is x, #1 the
	// subquery's column.
	l := &plan.ColRef{Idx: 0, Typ: xv.Type(), Name: "x"}
	r := &plan.ColRef{Idx: 1, Typ: sub, Name: s[0].Name}
	cmp, err := b.callFn(name, []plan.Expr{l, r}, []int{x.Position(), pos}, pos, name)
	if err != nil {
		return nil, err
	}
	if cmp.Type().Kind != types.Bool {
		return nil, sqlerr.At(sqlerr.WrongObjectType, pos, "op ANY/ALL (array) requires operator to yield boolean")
	}
	kind := plan.SubAny
	if quant == ast.QuantAll {
		kind = plan.SubAll
	}
	var out plan.Expr = &plan.Subquery{ID: b.nextID(), Kind: kind, Plan: n, Args: args, X: xv, Cmp: cmp, Op: name, Typ: types.BoolType}
	if not {
		out = &plan.Not{X: out}
	}
	return out, nil
}

// outerOnlyAggregate reports whether an aggregate's bound arguments read
// only outer-query columns: Postgres evaluates such an aggregate in the
// outer query, which Tocsin does not support.
func outerOnlyAggregate(args []plan.Expr) bool {
	outer, local := false, false
	for _, a := range args {
		plan.Walk(a, func(x plan.Expr) {
			switch x.(type) {
			case *plan.OuterRef:
				outer = true
			case *plan.ColRef:
				local = true
			}
		})
	}
	return outer && !local
}
