package binder

import (
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// coerce converts x to type t where an implicit cast allows it (as for a
// function argument), folding constants. Untyped literals take any type
// their text parses as.
func (b *Binder) coerce(x plan.Expr, t types.Type, pos int) (plan.Expr, error) {
	from := x.Type()
	if from == t {
		return x, nil
	}
	if p, ok := x.(*plan.Param); ok && from.Kind == types.Unknown {
		return b.inferParam(p, t, pos)
	}
	if from.Kind != types.Unknown && !types.ImplicitCast(from, t) {
		return nil, sqlerr.At(sqlerr.DatatypeMismatch, pos, "expression of type %s cannot be used as %s", from, t)
	}
	return b.cast(x, t, pos)
}

// cast converts x to t explicitly (CAST, ::).
func (b *Binder) cast(x plan.Expr, t types.Type, pos int) (plan.Expr, error) {
	from := x.Type()
	if from == t {
		return x, nil
	}
	if p, ok := x.(*plan.Param); ok && from.Kind == types.Unknown {
		return b.inferParam(p, t, pos)
	}
	if c, ok := x.(*plan.Const); ok {
		var d types.Datum
		var err error
		if from.Kind == types.Unknown {
			if c.Val.Null {
				return &plan.Const{Val: types.NullDatum(t)}, nil
			}
			d, err = scalar.ParseText(c.Val.S, t)
		} else {
			d, err = scalar.CastDatum(c.Val, t)
		}
		if err != nil {
			return nil, positioned(err, pos)
		}
		return &plan.Const{Val: d}, nil
	}
	if from.IsString() && t.IsString() {
		return &plan.Cast{X: x, To: t, Kernel: scalar.CastValue}, nil
	}
	c, ok := b.reg.LookupCast(from, t)
	if !ok {
		return nil, sqlerr.At(sqlerr.InvalidParameterType, pos, "cannot cast type %s to %s", from, t)
	}
	return &plan.Cast{X: x, To: t, Kernel: c.Kernel}, nil
}

// coerceBool requires a boolean operand.
func (b *Binder) coerceBool(x plan.Expr, pos int, op string) (plan.Expr, error) {
	t := x.Type()
	if t.Kind != types.Bool && t.Kind != types.Unknown {
		return nil, sqlerr.At(sqlerr.DatatypeMismatch, pos, "argument of %s must be type boolean, not type %s", op, t)
	}
	return b.coerce(x, types.BoolType, pos)
}
