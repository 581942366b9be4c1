package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds the SQL forms that are not plain function calls: CASE,
// COALESCE, NULLIF, IS [NOT] DISTINCT FROM, IS [NOT] TRUE/FALSE/UNKNOWN,
// LIKE / ILIKE and EXTRACT. Those with a function equivalent become calls
// (like, ilike, date_part) so their kernels live with the others.

// commonType finds the type a list of branches is unified to, as
// Postgres's UNION/CASE resolution does: untyped literals adopt the first
// typed branch's type, numerics widen, strings become text.
func (b *Binder) commonType(xs []plan.Expr, pos int, what string) (types.Type, error) {
	t := types.UnknownType
	for _, x := range xs {
		xt := x.Type()
		switch {
		case xt.Kind == types.Unknown:
		case t.Kind == types.Unknown:
			t = xt
		case t == xt:
		default:
			c, ok := types.Comparable(t, xt)
			if !ok {
				return types.Type{}, sqlerr.At(sqlerr.DatatypeMismatch, pos, "%s types %s and %s cannot be matched", what, t, xt)
			}
			t = c
		}
	}
	if t.Kind == types.Unknown {
		t = types.TextType
	}
	return t, nil
}

func (b *Binder) bindCase(e *ast.Case, sc *scope, agg *aggCtx) (plan.Expr, error) {
	var operand plan.Expr
	if e.Operand != nil {
		var err error
		if operand, err = b.bindExpr(e.Operand, sc, agg); err != nil {
			return nil, err
		}
	}
	c := &plan.Case{}
	results := make([]plan.Expr, 0, len(e.Whens)+1)
	for _, w := range e.Whens {
		var cond plan.Expr
		var err error
		if operand != nil {
			// Simple CASE: operand = value.
			v, err := b.bindExpr(w.Cond, sc, agg)
			if err != nil {
				return nil, err
			}
			if cond, err = b.callFn("=", []plan.Expr{operand, v}, []int{e.Operand.Position(), w.Cond.Position()}, w.Cond.Position(), "="); err != nil {
				return nil, err
			}
		} else if cond, err = b.bindExpr(w.Cond, sc, agg); err != nil {
			return nil, err
		}
		if cond, err = b.coerceBool(cond, w.Cond.Position(), "CASE/WHEN"); err != nil {
			return nil, err
		}
		r, err := b.bindExpr(w.Result, sc, agg)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, plan.When{Cond: cond, Result: r})
		results = append(results, r)
	}
	if e.Else != nil {
		r, err := b.bindExpr(e.Else, sc, agg)
		if err != nil {
			return nil, err
		}
		c.Else = r
		results = append(results, r)
	}
	t, err := b.commonType(results, e.Off, "CASE")
	if err != nil {
		return nil, err
	}
	c.Typ = t
	for i := range c.Whens {
		if c.Whens[i].Result, err = b.coerce(c.Whens[i].Result, t, e.Whens[i].Result.Position()); err != nil {
			return nil, err
		}
	}
	if c.Else == nil {
		c.Else = &plan.Const{Val: types.NullDatum(t)}
	} else if c.Else, err = b.coerce(c.Else, t, e.Else.Position()); err != nil {
		return nil, err
	}
	return c, nil
}

// bindCoalesce binds COALESCE(a, b, ...); the parser gives it as a call.
func (b *Binder) bindCoalesce(f *ast.FuncCall, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if len(f.Args) == 0 {
		return nil, sqlerr.At(sqlerr.SyntaxError, f.Off, "COALESCE needs at least one argument")
	}
	args := make([]plan.Expr, len(f.Args))
	for i, a := range f.Args {
		x, err := b.bindExpr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	t, err := b.commonType(args, f.Off, "COALESCE")
	if err != nil {
		return nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], t, f.Args[i].Position()); err != nil {
			return nil, err
		}
	}
	return &plan.Coalesce{Args: args, Typ: t}, nil
}

// bindNullIf binds NULLIF(a, b) as CASE WHEN a = b THEN NULL ELSE a END.
func (b *Binder) bindNullIf(f *ast.FuncCall, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if len(f.Args) != 2 {
		return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "NULLIF takes two arguments")
	}
	a, err := b.bindExpr(f.Args[0], sc, agg)
	if err != nil {
		return nil, err
	}
	v, err := b.bindExpr(f.Args[1], sc, agg)
	if err != nil {
		return nil, err
	}
	eq, err := b.callFn("=", []plan.Expr{a, v}, []int{f.Args[0].Position(), f.Args[1].Position()}, f.Off, "=")
	if err != nil {
		return nil, err
	}
	t := a.Type()
	if t.Kind == types.Unknown {
		t = types.TextType
		if a, err = b.coerce(a, t, f.Args[0].Position()); err != nil {
			return nil, err
		}
	}
	return &plan.Case{Whens: []plan.When{{Cond: eq, Result: &plan.Const{Val: types.NullDatum(t)}}}, Else: a, Typ: t}, nil
}

// bindDistinctFrom binds a IS [NOT] DISTINCT FROM b: NULLs compare equal
// to each other and unequal to everything else; the result is never NULL.
func (b *Binder) bindDistinctFrom(e *ast.Binary, sc *scope, agg *aggCtx) (plan.Expr, error) {
	l, err := b.bindExpr(e.L, sc, agg)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(e.R, sc, agg)
	if err != nil {
		return nil, err
	}
	ne, err := b.callFn("<>", []plan.Expr{l, r}, []int{e.L.Position(), e.R.Position()}, e.Off, "<>")
	if err != nil {
		return nil, err
	}
	lNull, rNull := &plan.IsNull{X: l}, &plan.IsNull{X: r}
	distinct := &plan.Case{Typ: types.BoolType, Whens: []plan.When{
		{Cond: &plan.BoolOp{And: true, Args: []plan.Expr{lNull, rNull}}, Result: &plan.Const{Val: types.BoolDatum(false)}},
		{Cond: &plan.BoolOp{Args: []plan.Expr{lNull, rNull}}, Result: &plan.Const{Val: types.BoolDatum(true)}},
	}, Else: ne}
	if e.Op == ast.OpIsNotDistinctFrom {
		return &plan.Not{X: distinct}, nil
	}
	return distinct, nil
}

// bindIsBool binds x IS [NOT] TRUE / FALSE / UNKNOWN, which are never
// NULL.
func (b *Binder) bindIsBool(e *ast.IsBool, sc *scope, agg *aggCtx) (plan.Expr, error) {
	x, err := b.bindExpr(e.X, sc, agg)
	if err != nil {
		return nil, err
	}
	if x, err = b.coerceBool(x, e.X.Position(), "IS"); err != nil {
		return nil, err
	}
	var out plan.Expr
	switch {
	case e.Value == nil:
		out = &plan.IsNull{X: x}
	case *e.Value:
		out = &plan.Coalesce{Args: []plan.Expr{x, &plan.Const{Val: types.BoolDatum(false)}}, Typ: types.BoolType}
	default:
		out = &plan.Coalesce{Args: []plan.Expr{&plan.Not{X: x}, &plan.Const{Val: types.BoolDatum(false)}}, Typ: types.BoolType}
	}
	if e.Not {
		out = &plan.Not{X: out}
	}
	return out, nil
}

// bindLike binds [NOT] LIKE / ILIKE as the like / ilike functions.
func (b *Binder) bindLike(e *ast.Like, sc *scope, agg *aggCtx) (plan.Expr, error) {
	name := "like"
	if e.CaseInsensitive {
		name = "ilike"
	}
	parts := []ast.Expr{e.X, e.Pattern}
	if e.Escape != nil {
		parts = append(parts, e.Escape)
	}
	args := make([]plan.Expr, len(parts))
	pos := make([]int, len(parts))
	for i, p := range parts {
		x, err := b.bindExpr(p, sc, agg)
		if err != nil {
			return nil, err
		}
		args[i], pos[i] = x, p.Position()
	}
	out, err := b.callFn(name, args, pos, e.Off, name)
	if err != nil {
		return nil, err
	}
	if e.Not {
		return &plan.Not{X: out}, nil
	}
	return out, nil
}

// bindExtract binds EXTRACT(field FROM x) as date_part('field', x).
func (b *Binder) bindExtract(e *ast.Extract, sc *scope, agg *aggCtx) (plan.Expr, error) {
	x, err := b.bindExpr(e.X, sc, agg)
	if err != nil {
		return nil, err
	}
	field := &plan.Const{Val: types.StringDatum(types.TextType, e.Field)}
	return b.callFn("date_part", []plan.Expr{field, x}, []int{e.Off, e.X.Position()}, e.Off, "extract")
}
