package binder

import (
	"math"
	"strconv"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// opNames maps infix operators to the registry names of their functions.
var opNames = map[ast.BinaryOp]string{
	ast.OpAdd: "+", ast.OpSub: "-", ast.OpMul: "*", ast.OpDiv: "/", ast.OpMod: "%", ast.OpPow: "^",
	ast.OpEq: "=", ast.OpNe: "<>", ast.OpLt: "<", ast.OpLe: "<=", ast.OpGt: ">", ast.OpGe: ">=",
	ast.OpConcat:     "||",
	ast.OpRegexMatch: "~", ast.OpRegexIMatch: "~*", ast.OpNotRegexMatch: "!~", ast.OpNotRegexIMatch: "!~*",
	ast.OpJSONGet: "->", ast.OpJSONGetText: "->>", ast.OpJSONPath: "#>", ast.OpJSONPathText: "#>>",
	ast.OpBitAnd: "&", ast.OpBitOr: "|", ast.OpBitXor: "#", ast.OpShiftLeft: "<<", ast.OpShiftRight: ">>",
}

// bindExpr binds e over sc. agg is non-nil where aggregate calls are
// allowed (select list, HAVING, ORDER BY).
func (b *Binder) bindExpr(e ast.Expr, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if x, ok, err := b.bindPgCompat(e, sc, agg); ok {
		return x, err
	}
	switch e := e.(type) {
	case *ast.ColumnRef:
		return b.bindColumn(e, sc)
	case *ast.Literal:
		return bindLiteral(e)
	case *ast.IntervalLit:
		iv, err := types.ParseInterval(e.Value, e.Unit)
		if err != nil {
			return nil, sqlerr.At(sqlerr.InvalidDatetimeFormat, e.Off, "invalid input syntax for type interval: %q", e.Value)
		}
		return &plan.Const{Val: types.Datum{Type: types.IntervalType, Iv: iv}}, nil
	case *ast.TypedLit:
		t, err := lookupType(e.Type)
		if err != nil {
			return nil, err
		}
		return b.coerce(&plan.Const{Val: types.StringDatum(types.UnknownType, e.Value)}, t, e.Off)
	case *ast.Unary:
		return b.bindUnary(e, sc, agg)
	case *ast.Binary:
		return b.bindBinary(e, sc, agg)
	case *ast.FuncCall:
		if e.Over != nil {
			return b.withoutSRF("window function calls", func() (plan.Expr, error) { return b.bindWindowCall(e, sc, agg) })
		}
		if e.Name == "array_agg" && !b.reg.IsAggregate(e.Name) {
			if x, ok := arrayAggExpr(e); ok {
				return b.bindExpr(x, sc, agg)
			}
		}
		if b.reg.IsAggregate(e.Name) {
			return b.withoutSRF("aggregate", func() (plan.Expr, error) { return b.bindAggregateCall(e, agg) })
		}
		if e.Name == fieldSelectFunc && e.Schema == "" {
			return b.bindFieldSelect(e, sc, agg)
		}
		if b.isSetReturning(e.Name) {
			return b.bindSRFCall(e, "", sc, agg)
		}
		if _, ok := lookupWindowFunc(e); ok && !b.reg.HasScalar(e.Name) {
			return nil, sqlerr.At(sqlerr.WrongObjectType, e.Off, "window function %s requires an OVER clause", e.Name)
		}
		if _, ok := b.reg.Detector(e.Name); ok {
			return nil, sqlerr.At(sqlerr.WrongObjectType, e.Off, "detector %s requires an OVER clause, e.g. %s(x) OVER (PARTITION BY key ORDER BY ts)", e.Name, e.Name)
		}
		switch e.Name {
		case "coalesce":
			return b.withoutSRF("COALESCE", func() (plan.Expr, error) { return b.bindCoalesce(e, sc, agg) })
		case "nullif":
			return b.bindNullIf(e, sc, agg)
		}
		return b.bindCall(e, sc, agg)
	case *ast.Case:
		return b.withoutSRF("CASE", func() (plan.Expr, error) { return b.bindCase(e, sc, agg) })
	case *ast.IsBool:
		return b.bindIsBool(e, sc, agg)
	case *ast.Like:
		return b.bindLike(e, sc, agg)
	case *ast.Extract:
		return b.bindExtract(e, sc, agg)
	case *ast.Cast:
		x, err := b.bindExpr(e.X, sc, agg)
		if err != nil {
			return nil, err
		}
		t, err := lookupType(e.Type)
		if err != nil {
			return nil, err
		}
		pos := e.Off
		if c, ok := x.(*plan.Const); ok && c.Val.Type.Kind == types.Unknown {
			// A literal's input error points at the literal, as in
			// Postgres.
			pos = e.X.Position()
		}
		return b.cast(x, t, pos)
	case *ast.IsNull:
		x, err := b.bindExpr(e.X, sc, agg)
		if err != nil {
			return nil, err
		}
		return &plan.IsNull{X: x, Not: e.Not}, nil
	case *ast.Between:
		// Postgres expands x BETWEEN SYMMETRIC a AND b to
		// (x BETWEEN a AND b) OR (x BETWEEN b AND a).
		between := func(lo, hi ast.Expr) ast.Expr {
			ge := &ast.Binary{Pos: e.Pos, Op: ast.OpGe, L: e.X, R: lo}
			le := &ast.Binary{Pos: e.Pos, Op: ast.OpLe, L: e.X, R: hi}
			return &ast.Binary{Pos: e.Pos, Op: ast.OpAnd, L: ge, R: le}
		}
		x := between(e.Lo, e.Hi)
		if e.Symmetric {
			x = &ast.Binary{Pos: e.Pos, Op: ast.OpOr, L: x, R: between(e.Hi, e.Lo)}
		}
		if e.Not {
			x = &ast.Unary{Pos: e.Pos, Op: ast.UNot, X: x}
		}
		return b.bindExpr(x, sc, agg)
	case *ast.InList:
		// x IN (a, b) is x = a OR x = b under three-valued logic.
		var x ast.Expr
		for _, item := range e.List {
			eq := &ast.Binary{Pos: e.Pos, Op: ast.OpEq, L: e.X, R: item}
			if x == nil {
				x = eq
			} else {
				x = &ast.Binary{Pos: e.Pos, Op: ast.OpOr, L: x, R: eq}
			}
		}
		if e.Not {
			x = &ast.Unary{Pos: e.Pos, Op: ast.UNot, X: x}
		}
		return b.bindExpr(x, sc, agg)
	case *ast.Param:
		return b.bindParam(e)
	case *ast.Collate:
		return b.bindExpr(e.X, sc, agg)
	case *ast.SubqueryExpr:
		return b.bindScalarSubquery(e, sc)
	case *ast.Exists:
		return b.bindExists(e, sc)
	case *ast.InSubquery:
		return b.bindQuantified(e.Off, e.X, ast.OpEq, ast.QuantAny, e.Query, e.Not, sc, agg)
	case *ast.Quantified:
		if e.Query == nil {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, e.Off, "ANY/ALL over an array is not supported yet")
		}
		return b.bindQuantified(e.Off, e.X, e.Op, e.Quant, e.Query, false, sc, agg)
	}
	return nil, sqlerr.At(sqlerr.FeatureNotSupported, e.Position(), "%s is not supported yet", describe(e))
}

// bindAggregateCall binds an aggregate call; window functions in its
// arguments are an error, and so is an aggregate over outer-query
// columns only (which Postgres would compute in the outer query).
func (b *Binder) bindAggregateCall(f *ast.FuncCall, agg *aggCtx) (plan.Expr, error) {
	saved := b.noWindow
	b.noWindow = "aggregate"
	x, err := b.bindAggregate(f, agg)
	b.noWindow = saved
	if err != nil {
		return nil, err
	}
	if ref, ok := x.(*plan.AggRef); ok && b.outer != nil {
		p := agg.calls[ref.Idx]
		args := p.args
		if p.filter != nil {
			args = append(append([]plan.Expr{}, args...), p.filter)
		}
		if outerOnlyAggregate(args) {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "aggregates over outer-query columns only are not supported")
		}
	}
	return x, nil
}

func bindLiteral(e *ast.Literal) (plan.Expr, error) {
	switch e.Kind {
	case ast.LitNull:
		return &plan.Const{Val: types.NullDatum(types.UnknownType)}, nil
	case ast.LitBool:
		return &plan.Const{Val: types.BoolDatum(e.Value == "true")}, nil
	case ast.LitInt:
		v, err := strconv.ParseInt(e.Value, 10, 64)
		if err != nil {
			// Too big for bigint: Postgres would make it numeric.
			f, _ := strconv.ParseFloat(e.Value, 64)
			return &plan.Const{Val: types.FloatDatum(types.Float64Type, f)}, nil
		}
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return &plan.Const{Val: types.IntDatum(types.Int32Type, v)}, nil
		}
		return &plan.Const{Val: types.IntDatum(types.Int64Type, v)}, nil
	case ast.LitFloat:
		// Postgres types 1.5 as numeric; Tocsin has no numeric type and
		// uses double precision.
		f, err := strconv.ParseFloat(e.Value, 64)
		if err != nil {
			return nil, sqlerr.At(sqlerr.InvalidTextRepresentation, e.Off, "invalid number %q", e.Value)
		}
		return &plan.Const{Val: types.FloatDatum(types.Float64Type, f)}, nil
	case ast.LitString:
		return &plan.Const{Val: types.StringDatum(types.UnknownType, e.Value)}, nil
	}
	return nil, sqlerr.At(sqlerr.FeatureNotSupported, e.Off, "bit-string literals are not supported")
}

func lookupType(tn ast.TypeName) (types.Type, error) {
	name := tn.Name
	if tn.Array {
		name += "[]"
	}
	t, ok := types.LookupName(name)
	if !ok {
		return types.Type{}, sqlerr.At(sqlerr.UndefinedObject, tn.Off, "type %q does not exist", name)
	}
	return t, nil
}

func (b *Binder) bindUnary(e *ast.Unary, sc *scope, agg *aggCtx) (plan.Expr, error) {
	x, err := b.bindExpr(e.X, sc, agg)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case ast.UPlus:
		return x, nil
	case ast.UNot:
		if x, err = b.coerceBool(x, e.X.Position(), "NOT"); err != nil {
			return nil, err
		}
		if c, ok := x.(*plan.Const); ok {
			if c.Val.Null {
				return c, nil
			}
			return &plan.Const{Val: types.BoolDatum(!c.Val.Bool())}, nil
		}
		return &plan.Not{X: x}, nil
	case ast.UNeg:
		if isUntyped(x) {
			if x, err = b.coerce(x, types.Float64Type, e.Off); err != nil {
				return nil, err
			}
		}
		return b.callFn("neg", []plan.Expr{x}, []int{e.X.Position()}, e.Off, "-")
	}
	return nil, sqlerr.At(sqlerr.FeatureNotSupported, e.Off, "operator ~ is not supported yet")
}

func (b *Binder) bindBinary(e *ast.Binary, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if e.Op == ast.OpIsDistinctFrom || e.Op == ast.OpIsNotDistinctFrom {
		return b.bindDistinctFrom(e, sc, agg)
	}
	l, err := b.bindExpr(e.L, sc, agg)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(e.R, sc, agg)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case ast.OpAnd, ast.OpOr:
		word := "AND"
		if e.Op == ast.OpOr {
			word = "OR"
		}
		if l, err = b.coerceBool(l, e.L.Position(), word); err != nil {
			return nil, err
		}
		if r, err = b.coerceBool(r, e.R.Position(), word); err != nil {
			return nil, err
		}
		and := e.Op == ast.OpAnd
		var args []plan.Expr
		for _, x := range []plan.Expr{l, r} {
			if bo, ok := x.(*plan.BoolOp); ok && bo.And == and {
				args = append(args, bo.Args...)
			} else {
				args = append(args, x)
			}
		}
		return &plan.BoolOp{And: and, Args: args}, nil
	}
	name, ok := opNames[e.Op]
	if !ok {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, e.Off, "operator %s is not supported", e.Op)
	}
	// Two untyped literals compare as text, as in Postgres.
	return b.callFn(name, []plan.Expr{l, r}, []int{e.L.Position(), e.R.Position()}, e.Off, name)
}

func (b *Binder) bindCall(f *ast.FuncCall, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if f.Filter != nil || f.Distinct || f.Star || len(f.OrderBy) > 0 || len(f.WithinGroup) > 0 {
		if !b.reg.HasScalar(f.Name) {
			return nil, sqlerr.At(sqlerr.UndefinedFunction, f.Off, "function %s does not exist", f.Name)
		}
		return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "%s is not an aggregate function", f.Name)
	}
	args := make([]plan.Expr, len(f.Args))
	pos := make([]int, len(f.Args))
	for i, a := range f.Args {
		x, err := b.bindExpr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		args[i], pos[i] = x, a.Position()
	}
	return b.callFn(f.Name, args, pos, f.Off, f.Name)
}

// callFn resolves name for the argument types, inserts the casts the
// chosen overload needs, prepares the kernel and folds constants.
func (b *Binder) callFn(name string, args []plan.Expr, argPos []int, pos int, display string) (plan.Expr, error) {
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	// Two untyped literals: Postgres resolves them as text.
	if len(args) == 2 && ts[0].Kind == types.Unknown && ts[1].Kind == types.Unknown {
		ts[0], ts[1] = types.TextType, types.TextType
	}
	fn, params := b.sameTypeOperator(name, ts, pos)
	var err error
	if fn == nil {
		fn, params, err = b.reg.ResolveScalar(name, ts, pos)
	}
	if err != nil {
		if len(args) == 2 && !isFuncName(name) {
			return nil, sqlerr.At(sqlerr.UndefinedFunction, pos, "operator does not exist: %s %s %s", ts[0], display, ts[1]).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
		}
		return nil, err
	}
	for i := range args {
		if args[i], err = b.coerce(args[i], params[i], argPos[i]); err != nil {
			return nil, err
		}
	}
	call := &plan.Call{Fn: fn, Kernel: fn.Kernel, Args: args, Typ: fn.ReturnType(params)}
	allConst := true
	consts := make([]*types.Datum, len(args))
	for i, a := range args {
		if c, ok := a.(*plan.Const); ok {
			v := c.Val
			consts[i] = &v
		} else {
			allConst = false
		}
	}
	if fn.Prepare != nil {
		k, err := fn.Prepare(consts)
		if err != nil {
			return nil, sqlerr.Wrap(err, sqlerr.CodeOf(err), "")
		}
		call.Kernel = k
	}
	if fn.NewState != nil {
		k, st, err := fn.NewState(consts)
		if err != nil {
			return nil, sqlerr.At(sqlerr.CodeOf(err), pos, "%s", err.Error())
		}
		call.Kernel, call.State = k, st
		return call, nil
	}
	if allConst && fn.Vol == functions.Immutable {
		return b.fold(call, pos)
	}
	return call, nil
}

// sameTypeOperator applies Postgres's first rule for a binary operator
// with one untyped operand (a literal or a parameter): it takes the other
// operand's type if the operator exists for two operands of that type
// (so $1 + 1 is integer + integer, and '1' + 1 too). It returns nil if
// the rule does not apply.
func (b *Binder) sameTypeOperator(name string, ts []types.Type, pos int) (*functions.Scalar, []types.Type) {
	if len(ts) != 2 || isFuncName(name) || (ts[0].Kind == types.Unknown) == (ts[1].Kind == types.Unknown) {
		return nil, nil
	}
	t := ts[0]
	if t.Kind == types.Unknown {
		t = ts[1]
	}
	fn, params, err := b.reg.ResolveScalar(name, []types.Type{t, t}, pos)
	if err != nil || params[0] != t || params[1] != t {
		return nil, nil
	}
	return fn, params
}

func isFuncName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// fold evaluates a call whose arguments are all constants.
func (b *Binder) fold(call *plan.Call, pos int) (plan.Expr, error) {
	vals := make([]functions.Value, len(call.Args))
	for i, a := range call.Args {
		vals[i] = functions.ScalarValue(a.(*plan.Const).Val)
	}
	v, err := call.Kernel(&functions.Context{Now: b.Now}, vals, 1)
	if err != nil {
		return nil, positioned(err, pos)
	}
	d := functions.ValueDatum(v, call.Typ, 0)
	d.Type = call.Typ
	return &plan.Const{Val: d}, nil
}

// positioned gives a position to an error that has none.
func positioned(err error, pos int) error {
	se := sqlerr.As(err)
	if se.Pos == 0 && pos >= 0 {
		c := *se
		c.Pos = pos + 1
		return &c
	}
	return se
}

// describe names an expression kind for "not supported" errors.
func describe(e ast.Expr) string {
	switch e.(type) {
	case *ast.Case:
		return "CASE"
	case *ast.Like:
		return "LIKE"
	case *ast.ArraySubquery, *ast.ArrayLit:
		return "ARRAY"
	case *ast.Subscript:
		return "array subscripts"
	case *ast.IsBool:
		return "IS TRUE/FALSE/UNKNOWN"
	case *ast.Row:
		return "row constructors"
	case *ast.Extract:
		return "EXTRACT"
	}
	return "this expression"
}
