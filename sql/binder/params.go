package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds the parameters $1 .. $n of a prepared statement
// (ast.Param). A statement is bound in one of two modes:
//
//   - Preparing (SetParamTypes): each $n becomes a plan.Param. A
//     parameter whose type the client did not declare starts as unknown,
//     like an untyped literal, and takes the type of the first context
//     that coerces it, as in Postgres's parse_param.c: the other operand
//     of a comparison or arithmetic operator (col = $1, $1 + 1), the
//     parameter of a function's only candidate, the target of CAST or ::,
//     the target column of INSERT ... VALUES or UPDATE ... SET, bigint
//     for LIMIT / OFFSET. IN, BETWEEN and LIKE are bound as comparisons
//     and calls, so they follow. A parameter nothing constrains is text
//     (ParamTypes). The plan is only for describing the statement; it is
//     never run.
//   - Executing (SetParamValues): each $n is bound as a constant of its
//     value, so the plan is the one the same statement with literals in
//     place of the parameters would get, and runs like any other.
//
// Without either, a $n is an error (42P02), as for a simple query.

// paramSet is the parameters of the statement being bound.
type paramSet struct {
	// types are the types of $1 .. $n while preparing: declared by the
	// client, inferred from use, or unknown so far. It grows to the
	// highest $n the statement uses.
	types []types.Type
	// values, when executing, are the parameters' values.
	values []types.Datum
	exec   bool
}

// SetParamTypes makes the binder accept $n parameters for preparing a
// statement. declared holds the types the client declared, in order; a
// zero types.Type (unknown), or a slice shorter than the highest $n,
// leaves a parameter's type to be inferred from its use. ParamTypes
// reports the result after binding.
func (b *Binder) SetParamTypes(declared []types.Type) {
	b.params = &paramSet{types: append([]types.Type(nil), declared...)}
}

// SetParamValues makes the binder bind each $n as a constant holding
// vals[n-1], for executing a prepared statement. Each value should carry
// the parameter's type (a NULL too, as types.NullDatum(t)); a $n beyond
// len(vals) is an error (42P02).
func (b *Binder) SetParamValues(vals []types.Datum) {
	b.params = &paramSet{values: vals, exec: true}
}

// ParamTypes returns the types of the statement's parameters $1 .. $n
// after binding with SetParamTypes: n is the larger of the number of
// declared types and the highest $n used, and a parameter whose type
// nothing determined is text. It returns nil if the binder accepts no
// parameters.
func (b *Binder) ParamTypes() []types.Type {
	if b.params == nil {
		return nil
	}
	if b.params.exec {
		out := make([]types.Type, len(b.params.values))
		for i, v := range b.params.values {
			out[i] = v.Type
		}
		return out
	}
	out := append([]types.Type(nil), b.params.types...)
	for i, t := range out {
		if t.Kind == types.Unknown {
			out[i] = types.TextType
		}
	}
	return out
}

// preparing reports whether the binder binds parameters as plan.Params.
func (b *Binder) preparing() bool { return b.params != nil && !b.params.exec }

// bindParam binds $n according to the binder's mode.
func (b *Binder) bindParam(e *ast.Param) (plan.Expr, error) {
	ps := b.params
	if ps == nil || e.Index < 1 || ps.exec && e.Index > len(ps.values) {
		return nil, sqlerr.At(sqlerr.UndefinedParameter, e.Off, "there is no parameter $%d", e.Index)
	}
	if ps.exec {
		return &plan.Const{Val: ps.values[e.Index-1]}, nil
	}
	for len(ps.types) < e.Index {
		ps.types = append(ps.types, types.UnknownType)
	}
	return &plan.Param{Idx: e.Index, Typ: ps.types[e.Index-1]}, nil
}

// inferParam gives the untyped parameter p the type t its context
// coerces it to. An earlier use may already have fixed the type (p was
// bound before that); a different type then is an error, as in Postgres.
func (b *Binder) inferParam(p *plan.Param, t types.Type, pos int) (plan.Expr, error) {
	if t.Kind == types.Unknown {
		return p, nil
	}
	slot := &b.params.types[p.Idx-1]
	switch {
	case slot.Kind == types.Unknown:
		*slot = t
	case *slot != t:
		return nil, sqlerr.At(sqlerr.AmbiguousParameter, pos, "inconsistent types deduced for parameter $%d", p.Idx).
			WithDetail("%s versus %s", *slot, t)
	}
	return &plan.Param{Idx: p.Idx, Typ: t}, nil
}

// isUntyped reports whether x is an untyped literal (a string or NULL)
// or a parameter whose type is not known yet: something the context
// types rather than something of type unknown.
func isUntyped(x plan.Expr) bool {
	switch x := x.(type) {
	case *plan.Const:
		return x.Val.Type.Kind == types.Unknown
	case *plan.Param:
		return x.Typ.Kind == types.Unknown
	}
	return false
}

// paramLimit checks a LIMIT or OFFSET expression that uses parameters
// while preparing: it must be an integer (a bare $n becomes bigint).
// Its value is known only when the statement runs, so it binds as -1,
// the value that means "no limit" or "no offset".
func (b *Binder) paramLimit(x plan.Expr, pos int, clause string) (int64, error) {
	if isUntyped(x) {
		var err error
		if x, err = b.coerce(x, types.Int64Type, pos); err != nil {
			return 0, err
		}
	}
	if !x.Type().IsInteger() {
		return 0, sqlerr.At(sqlerr.DatatypeMismatch, pos, "argument of %s must be a constant integer", clause)
	}
	return -1, nil
}

// hasParam reports whether x reads a parameter.
func hasParam(x plan.Expr) bool {
	found := false
	plan.Walk(x, func(e plan.Expr) {
		if _, ok := e.(*plan.Param); ok {
			found = true
		}
	})
	return found
}
