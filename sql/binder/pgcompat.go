package binder

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds the Postgres constructs that client catalog queries
// (psql's \d family, drivers' metadata calls) use over array-valued and
// reg* columns. Tocsin carries arrays there as text in Postgres's array
// literal form (see functions/scalar/pgarray.go), so:
//
//   - ARRAY(subquery) is a scalar subquery that renders the rows as an
//     array literal; ARRAY(...) || x and x || ARRAY(...) concatenate
//     arrays (array_cat);
//   - x op ANY/ALL (array) is x op ANY/ALL (SELECT elem FROM unnest(array)),
//     with the elements cast to x's type;
//   - x[i] is array_element(x, i), an untyped value;
//   - array_agg(x [ORDER BY ...]) renders the aggregated values as an
//     array literal (see arrayAggCall);
//   - a cast to an array type keeps the text;
//   - x::regclass (regtype, regnamespace, regproc, regrole) of an oid is
//     the object's name (regclassout(x), ...) and of a string the oid
//     the name denotes (to_regclass(x), ...); both functions are
//     registered by the engine, which owns the catalog;
//   - x::regtype[] (and the other reg* arrays) of an array of oids, such
//     as pg_proc.proargtypes, is the array of the objects' names.
//
// Set-returning functions in FROM (generate_series, unnest,
// pg_options_to_table) bind to plan.SetFunc.

// bindPgCompat binds e if it is one of the constructs above; ok is
// false for every other expression.
func (b *Binder) bindPgCompat(e ast.Expr, sc *scope, agg *aggCtx) (x plan.Expr, ok bool, err error) {
	switch e := e.(type) {
	case *ast.ArraySubquery:
		x, err = b.bindArraySubquery(e, sc)
		return x, true, err
	case *ast.Subscript:
		call := &ast.FuncCall{Pos: e.Pos, Name: "array_element", Args: []ast.Expr{e.X, e.Index}}
		x, err = b.bindCall(call, sc, agg)
		return x, true, err
	case *ast.Quantified:
		if e.Query != nil {
			return nil, false, nil
		}
		x, err = b.bindArrayQuantified(e, sc, agg)
		return x, true, err
	case *ast.Binary:
		if cmp, ok := regComparison(e); ok {
			x, err = b.bindExpr(cmp, sc, agg)
			return x, true, err
		}
		if e.Op != ast.OpConcat || !(isArrayExpr(e.L) || isArrayExpr(e.R)) {
			return nil, false, nil
		}
		call := &ast.FuncCall{Pos: e.Pos, Name: "array_cat", Args: []ast.Expr{e.L, e.R}}
		x, err = b.bindCall(call, sc, agg)
		return x, true, err
	case *ast.Cast:
		name := strings.TrimPrefix(strings.ToLower(e.Type.Name), "pg_catalog.")
		if fn, isReg := regTypes[name]; isReg {
			if e.Type.Array {
				x, err = b.bindRegArrayCast(e, sc, agg)
			} else {
				x, err = b.bindRegCast(e, fn, sc, agg)
			}
			return x, true, err
		}
		if !e.Type.Array {
			return nil, false, nil
		}
		if _, err := lookupType(e.Type); err != nil {
			return nil, true, err
		}
		inner, err := b.bindExpr(e.X, sc, agg)
		if err != nil {
			return nil, true, err
		}
		if t := inner.Type(); t.Kind != types.Unknown && !t.IsString() {
			return nil, false, nil
		}
		x, err = b.cast(inner, types.TextType, e.Off)
		return x, true, err
	}
	return nil, false, nil
}

// regTypes maps each reg* type to the functions that convert an oid to a
// name and a name to an oid.
var regTypes = map[string][2]string{
	"regclass":     {"regclassout", "to_regclass"},
	"regtype":      {"regtypeout", "to_regtype"},
	"regnamespace": {"regnamespaceout", "to_regnamespace"},
	"regproc":      {"regprocout", "to_regproc"},
	"regprocedure": {"regprocout", "to_regproc"},
	"regrole":      {"regroleout", "to_regrole"},
}

// regComparison rewrites a comparison of two reg* casts
// (p.prorettype::regtype <> 'trigger'::regtype) into a comparison of the
// oids they denote: a reg* cast of an oid binds to the object's name and
// one of a string to its oid, so the two sides would otherwise not
// compare. ok is false for every other expression.
func regComparison(e *ast.Binary) (ast.Expr, bool) {
	if e.Op < ast.OpEq || e.Op > ast.OpGe {
		return nil, false
	}
	l, lok := regOid(e.L)
	r, rok := regOid(e.R)
	if !lok || !rok {
		return nil, false
	}
	cmp := *e
	cmp.L, cmp.R = l, r
	return &cmp, true
}

// regOid returns the oid that the reg* cast c denotes:
// coalesce(to_regtype('name'), 0) for a name literal, the operand cast to
// oid otherwise.
func regOid(e ast.Expr) (ast.Expr, bool) {
	c, ok := e.(*ast.Cast)
	if !ok || c.Type.Array {
		return nil, false
	}
	fns, ok := regTypes[strings.TrimPrefix(strings.ToLower(c.Type.Name), "pg_catalog.")]
	if !ok {
		return nil, false
	}
	if lit, isLit := c.X.(*ast.Literal); isLit && lit.Kind == ast.LitString {
		if _, err := scalar.ParseText(lit.Value, types.OidType); err != nil {
			// A name Tocsin does not know ('trigger'::regtype) is oid 0,
			// which no object has, rather than NULL.
			zero := &ast.Cast{Pos: c.Pos, X: &ast.Literal{Pos: c.Pos, Kind: ast.LitString, Value: "0"}, Type: ast.TypeName{Pos: c.Pos, Name: "oid"}}
			return &ast.FuncCall{Pos: c.Pos, Name: "coalesce", Args: []ast.Expr{
				&ast.FuncCall{Pos: c.Pos, Name: fns[1], Args: []ast.Expr{lit}}, zero}}, true
		}
	}
	return &ast.Cast{Pos: c.Pos, X: c.X, Type: ast.TypeName{Pos: c.Type.Pos, Name: "oid"}}, true
}

func isArrayExpr(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.ArraySubquery, *ast.ArrayLit:
		return true
	case *ast.Cast:
		return e.Type.Array
	}
	return false
}

// bindRegCast binds x::regclass and its siblings.
func (b *Binder) bindRegCast(e *ast.Cast, fns [2]string, sc *scope, agg *aggCtx) (plan.Expr, error) {
	inner, err := b.bindExpr(e.X, sc, agg)
	if err != nil {
		return nil, err
	}
	t := inner.Type()
	fn := fns[0]
	if t.Kind == types.Unknown || t.IsString() {
		fn = fns[1]
		if c, ok := inner.(*plan.Const); ok && !c.Val.Null {
			if _, err := scalar.ParseText(c.Val.S, types.OidType); err == nil {
				// '16384'::regclass is the oid itself.
				return b.cast(inner, types.OidType, e.X.Position())
			}
		}
	}
	return b.callFn(fn, []plan.Expr{inner}, []int{e.X.Position()}, e.Off, fn)
}

// bindRegArrayCast binds x::regtype[] (or another reg* array) as
// CASE WHEN x IS NULL THEN NULL ELSE ARRAY(SELECT e::oid::regtype FROM unnest(x) e) END:
// the names of the objects whose oids x holds, NULL for NULL.
func (b *Binder) bindRegArrayCast(e *ast.Cast, sc *scope, agg *aggCtx) (plan.Expr, error) {
	p := e.Pos
	elem := &ast.ColumnRef{Pos: p, Parts: []string{"_reg", "e"}}
	oid := &ast.Cast{Pos: p, X: elem, Type: ast.TypeName{Pos: p, Name: "oid"}}
	reg := &ast.Cast{Pos: p, X: oid, Type: ast.TypeName{Pos: p, Name: e.Type.Name}}
	q := &ast.Select{Pos: p, Items: []ast.SelectItem{{Pos: p, Expr: reg}},
		From: &ast.TableFunc{Pos: p, Name: "unnest", Args: []ast.Expr{e.X}, Alias: "_reg", ColumnAliases: []string{"e"}}}
	arr := &ast.ArraySubquery{Pos: p, Query: q}
	null := &ast.Literal{Pos: p, Kind: ast.LitNull}
	return b.bindExpr(&ast.Case{Pos: p, Whens: []ast.When{{Cond: &ast.IsNull{Pos: p, X: e.X}, Result: null}}, Else: arr}, sc, agg)
}

// bindArraySubquery binds ARRAY(q) as
// (SELECT '{' || coalesce(string_agg(array_elem_out(col::text), ','), ”) || '}' FROM (q) _array).
func (b *Binder) bindArraySubquery(e *ast.ArraySubquery, sc *scope) (plan.Expr, error) {
	n, _, err := b.bindSubqueryPlan(e.Query, sc)
	if err != nil {
		return nil, err
	}
	s := n.Schema()
	if len(s) != 1 {
		return nil, sqlerr.At(sqlerr.SyntaxError, e.Off, "subquery must return only one column")
	}
	p := e.Pos
	col := &ast.Cast{Pos: p, X: &ast.ColumnRef{Pos: p, Parts: []string{"_array", s[0].Name}}, Type: ast.TypeName{Pos: p, Name: "text"}}
	str := func(v string) ast.Expr { return &ast.Literal{Pos: p, Kind: ast.LitString, Value: v} }
	agg := &ast.FuncCall{Pos: p, Name: "string_agg", Args: []ast.Expr{
		&ast.FuncCall{Pos: p, Name: "array_elem_out", Args: []ast.Expr{col}}, str(",")}}
	body := &ast.FuncCall{Pos: p, Name: "coalesce", Args: []ast.Expr{agg, str("")}}
	lit := &ast.Binary{Pos: p, Op: ast.OpConcat, L: &ast.Binary{Pos: p, Op: ast.OpConcat, L: str("{"), R: body}, R: str("}")}
	q := &ast.Select{Pos: p, Items: []ast.SelectItem{{Pos: p, Expr: lit}},
		From: &ast.Subquery{Pos: p, Query: e.Query, Alias: "_array"}}
	return b.bindScalarSubquery(&ast.SubqueryExpr{Pos: p, Query: q}, sc)
}

// bindArrayQuantified binds x op ANY|ALL (array).
func (b *Binder) bindArrayQuantified(e *ast.Quantified, sc *scope, agg *aggCtx) (plan.Expr, error) {
	x, err := b.bindExpr(e.X, sc, agg)
	if err != nil {
		return nil, err
	}
	t := x.Type()
	if t.Kind == types.Unknown {
		t = types.TextType
	}
	p := e.Pos
	elem := &ast.Cast{Pos: p, X: &ast.ColumnRef{Pos: p, Parts: []string{"_elems", "unnest"}}, Type: ast.TypeName{Pos: p, Name: t.String()}}
	q := &ast.Select{Pos: p, Items: []ast.SelectItem{{Pos: p, Expr: elem}},
		From: &ast.TableFunc{Pos: p, Name: "unnest", Args: []ast.Expr{e.Array}, Alias: "_elems", ColumnAliases: []string{"unnest"}}}
	return b.bindQuantified(e.Off, e.X, e.Op, e.Quant, q, false, sc, agg)
}

// bindSetFunc binds a set-returning function in FROM. Its arguments see
// the enclosing queries' columns (a correlated subquery's outer
// references) but not the sibling FROM items.
func (b *Binder) bindSetFunc(t *ast.TableFunc) (plan.Node, *scope, error) {
	sc := &scope{eventTime: -1, outer: b.outer}
	args := make([]plan.Expr, len(t.Args))
	for i, a := range t.Args {
		x, err := b.bindExpr(a, sc, nil)
		if err != nil {
			return nil, nil, err
		}
		args[i] = x
	}
	fn, args, err := b.resolveSetFunc(t.Name, args, t.Args, t.Off)
	if err != nil {
		return nil, nil, err
	}
	cols := append(types.Schema(nil), fn.Cols...)
	alias := t.Alias
	if alias == "" {
		alias = t.Name
	}
	if len(cols) == 1 && t.Alias != "" {
		cols[0].Name = t.Alias
	}
	for i, a := range t.ColumnAliases {
		if i < len(cols) {
			cols[i].Name = a
		}
	}
	return &plan.SetFunc{Name: t.Name, Args: args, Cols: cols, Gen: fn.Gen}, scopeOf(alias, cols), nil
}

// bindScalarFrom binds a scalar function used as a FROM item
// (FROM string_to_array(...) AS s): one row with one column, named by
// the column alias, else the table alias, else the function, as in
// PostgreSQL. Like a set-returning function's, its arguments see the
// enclosing queries' columns but not the sibling FROM items.
func (b *Binder) bindScalarFrom(t *ast.TableFunc) (plan.Node, *scope, error) {
	sc := &scope{eventTime: -1, outer: b.outer}
	x, err := b.bindExpr(&ast.FuncCall{Pos: t.Pos, Name: t.Name, Args: t.Args}, sc, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(t.ColumnAliases) > 1 {
		return nil, nil, sqlerr.At(sqlerr.InvalidColumnReference, t.Off, "too many column aliases specified for function %s", t.Name)
	}
	alias, name := t.Alias, t.Name
	if alias == "" {
		alias = t.Name
	} else {
		name = t.Alias
	}
	if len(t.ColumnAliases) == 1 {
		name = t.ColumnAliases[0]
	}
	n := &plan.Project{Input: &plan.Values{Rows: [][]plan.Expr{{}}}, Exprs: []plan.Expr{x}, Names: []string{name}, Hidden: []bool{false}}
	return n, scopeOf(alias, n.Schema()), nil
}

// arrayAggExpr rewrites array_agg(x [ORDER BY ...] [FILTER ...]) as
// '{' || string_agg(array_elem_out(x::text), ',' [ORDER BY ...]) || '}':
// the array literal of the values in the call's order (NULL elements
// included), NULL when there are no rows, as array_agg's result. The
// array is text, like every array in Tocsin. ok is false for a form it
// does not cover (array_agg(*), several arguments).
func arrayAggExpr(f *ast.FuncCall) (ast.Expr, bool) {
	if len(f.Args) != 1 || f.Star || len(f.WithinGroup) > 0 || f.Over != nil {
		return nil, false
	}
	p := f.Pos
	str := func(v string) ast.Expr { return &ast.Literal{Pos: p, Kind: ast.LitString, Value: v} }
	elem := &ast.FuncCall{Pos: p, Name: "array_elem_out", Args: []ast.Expr{
		&ast.Cast{Pos: p, X: f.Args[0], Type: ast.TypeName{Pos: p, Name: "text"}}}}
	agg := *f
	agg.Name, agg.Schema, agg.Args = "string_agg", "", []ast.Expr{elem, str(",")}
	return &ast.Binary{Pos: p, Op: ast.OpConcat, L: &ast.Binary{Pos: p, Op: ast.OpConcat, L: str("{"), R: &agg}, R: str("}")}, true
}
