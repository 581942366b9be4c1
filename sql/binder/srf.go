package binder

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds set-returning functions (unnest, generate_series,
// generate_subscripts, _pg_expandarray) called in a select list, with
// PostgreSQL 10+'s ProjectSet semantics, and field selection from their
// composite results:
//
//   - While a select-list item is bound (b.srfOK), a call of a
//     set-returning function binds to a plan.SRFCall in the expression
//     tree; anywhere else it is an error, as in PostgreSQL (WHERE, JOIN
//     conditions, GROUP BY, aggregate and window arguments, CASE,
//     COALESCE, another set-returning function's arguments).
//   - After grouping and window functions are placed, buildProjectSet
//     moves every SRFCall of the select list and ORDER BY into one
//     plan.ProjectSet under the projection and leaves a column reference
//     in its place.
//   - (f(x)).field binds to the SRFCall's field. f(x) alone, for a
//     function with several output columns (_pg_expandarray's x and n),
//     is the row as a composite value in record text form; a derived
//     table that outputs one remembers its fields (scopeCol.fields), so
//     (alias.col).field reads the field back with record_field.
//
// Array arguments are text (see functions/scalar/pgarray_text.go). The
// element column of unnest and _pg_expandarray takes the array's element
// type when the argument says it (x::int2[], string_to_array(...)) and
// is untyped otherwise (a catalog column such as pg_index.indkey), so it
// adapts to its context as an element of the real array type would:
// attnum = unnest(indkey) compares smallints.

// fieldSelectFunc is the call name sql/parser gives (x).field
// (parser.FieldSelectFunc): fieldSelectFunc(x, 'field').
const fieldSelectFunc = "__field_select"

// isSetReturning reports whether name is a set-returning function that
// has no scalar overload.
func (b *Binder) isSetReturning(name string) bool {
	return scalar.SetFuncs(name) != nil && !b.reg.HasScalar(name)
}

// srfNotAllowed is the error for a set-returning function outside a
// select list.
func (b *Binder) srfNotAllowed(off int) error {
	where := b.srfWhere
	if where == "" {
		where = b.noWindow
	}
	switch where {
	case "":
		where = "this context"
	case "aggregate":
		return sqlerr.At(sqlerr.FeatureNotSupported, off, "aggregate function calls cannot contain set-returning function calls").
			WithHint("You might be able to move the set-returning function into a LATERAL FROM item.")
	case "window function calls":
		return sqlerr.At(sqlerr.FeatureNotSupported, off, "window function calls cannot contain set-returning function calls").
			WithHint("You might be able to move the set-returning function into a LATERAL FROM item.")
	}
	return sqlerr.At(sqlerr.FeatureNotSupported, off, "set-returning functions are not allowed in %s", where)
}

// withoutSRF runs bind with set-returning functions disallowed; their
// error names clause.
func (b *Binder) withoutSRF(clause string, bind func() (plan.Expr, error)) (plan.Expr, error) {
	saved, savedWhere := b.srfOK, b.srfWhere
	b.srfOK, b.srfWhere = false, clause
	x, err := bind()
	b.srfOK, b.srfWhere = saved, savedWhere
	return x, err
}

// bindSRFCall binds a set-returning function call in a select list;
// field is the output column selected by (f(x)).field, "" for the call
// itself.
func (b *Binder) bindSRFCall(f *ast.FuncCall, field string, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if !b.srfOK {
		return nil, b.srfNotAllowed(f.Off)
	}
	if f.Filter != nil || f.Distinct || f.Star || len(f.OrderBy) > 0 || len(f.WithinGroup) > 0 {
		return nil, sqlerr.At(sqlerr.WrongObjectType, f.Off, "%s is not an aggregate function", f.Name)
	}
	b.srfOK = false
	args := make([]plan.Expr, len(f.Args))
	var err error
	for i, a := range f.Args {
		if args[i], err = b.bindExpr(a, sc, agg); err != nil {
			break
		}
	}
	b.srfOK = true
	if err != nil {
		if se := sqlerr.As(err); se.Code == sqlerr.FeatureNotSupported && strings.HasPrefix(se.Msg, "set-returning functions are not allowed") {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, f.Off, "set-returning functions must appear at top level of a select list").
				WithHint("Nested set-returning functions are not supported.")
		}
		return nil, err
	}
	fn, args, err := b.resolveSetFunc(f.Name, args, f.Args, f.Off)
	if err != nil {
		return nil, err
	}
	call := &plan.SRFCall{Name: f.Name, Args: args, Cols: fn.Cols, Field: 0, Gen: fn.Gen}
	if len(fn.Cols) > 1 {
		call.Field = -1
	}
	if field != "" {
		call.Field = fn.Cols.Index(field)
		if call.Field < 0 || len(fn.Cols) == 1 {
			return nil, sqlerr.At(sqlerr.UndefinedColumn, f.Off, "could not identify column %q in record data type", field)
		}
	}
	return call, nil
}

// resolveSetFunc picks the overload of the set-returning function name
// for the bound arguments (argASTs are their source), coerces the
// arguments to it and types its element column.
func (b *Binder) resolveSetFunc(name string, args []plan.Expr, argASTs []ast.Expr, off int) (*scalar.SetFunc, []plan.Expr, error) {
	overloads := scalar.SetFuncs(name)
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	var fn *scalar.SetFunc
	for i := range overloads {
		o := &overloads[i]
		if len(o.Args) != len(args) {
			continue
		}
		fits := true
		for j, a := range ts {
			fits = fits && (a == o.Args[j] || a.Kind == types.Unknown || types.ImplicitCast(a, o.Args[j]) ||
				(a.IsString() && o.Args[j].IsString()))
		}
		if fits {
			fn = o
			break
		}
	}
	if fn == nil {
		names := make([]string, len(ts))
		for i, a := range ts {
			names[i] = a.String()
		}
		return nil, nil, sqlerr.At(sqlerr.UndefinedFunction, off, "function %s(%s) does not exist", name, strings.Join(names, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	out := make([]plan.Expr, len(args))
	for i := range args {
		var err error
		if out[i], err = b.coerce(args[i], fn.Args[i], argASTs[i].Position()); err != nil {
			return nil, nil, err
		}
	}
	typed := *fn
	if len(argASTs) > 0 {
		if elem := arrayElemType(argASTs[0]); elem.Kind != types.Unknown {
			typed.Cols, typed.Gen = typedElems(fn.Cols, fn.Gen, elem)
		}
	}
	return &typed, out, nil
}

// arrayElemType is the element type of an array expression carried as
// text, when its syntax says it: a cast to T[] (a reg* array holds
// names, as text), string_to_array. It is unknown otherwise.
func arrayElemType(e ast.Expr) types.Type {
	switch e := e.(type) {
	case *ast.Cast:
		if !e.Type.Array {
			return types.UnknownType
		}
		name := strings.TrimPrefix(strings.ToLower(e.Type.Name), "pg_catalog.")
		if _, isReg := regTypes[name]; isReg {
			return types.TextType
		}
		if t, ok := types.LookupName(name); ok {
			return t
		}
	case *ast.FuncCall:
		switch e.Name {
		case "string_to_array", "regexp_split_to_array":
			return types.TextType
		}
	}
	return types.UnknownType
}

// typedElems gives the untyped columns of a set-returning function the
// element type elem, converting the generated values from their text.
func typedElems(cols types.Schema, gen func([]types.Datum) ([][]types.Datum, error), elem types.Type) (types.Schema, func([]types.Datum) ([][]types.Datum, error)) {
	out := append(types.Schema(nil), cols...)
	var conv []int
	for i, c := range out {
		if c.Type.Kind == types.Unknown {
			out[i].Type = elem
			conv = append(conv, i)
		}
	}
	if len(conv) == 0 {
		return cols, gen
	}
	return out, func(args []types.Datum) ([][]types.Datum, error) {
		rows, err := gen(args)
		if err != nil {
			return nil, err
		}
		for _, j := range conv {
			if j >= len(rows) {
				continue
			}
			for i, d := range rows[j] {
				if d.Null {
					rows[j][i] = types.NullDatum(elem)
					continue
				}
				v, err := scalar.ParseText(d.S, elem)
				if err != nil {
					return nil, err
				}
				rows[j][i] = v
			}
		}
		return rows, nil
	}
}

// bindFieldSelect binds (x).field: a field of a set-returning function's
// row, or of a composite column of a derived table.
func (b *Binder) bindFieldSelect(e *ast.FuncCall, sc *scope, agg *aggCtx) (plan.Expr, error) {
	if len(e.Args) != 2 {
		return nil, sqlerr.At(sqlerr.UndefinedFunction, e.Off, "function %s does not exist", e.Name)
	}
	lit, ok := e.Args[1].(*ast.Literal)
	if !ok || lit.Kind != ast.LitString {
		return nil, sqlerr.At(sqlerr.UndefinedFunction, e.Off, "function %s does not exist", e.Name)
	}
	field := lit.Value
	switch x := e.Args[0].(type) {
	case *ast.FuncCall:
		if b.isSetReturning(x.Name) && x.Over == nil {
			return b.bindSRFCall(x, field, sc, agg)
		}
	case *ast.ColumnRef:
		if i, err := sc.resolve(x); err == nil && sc.cols[i].fields != nil {
			fields := sc.cols[i].fields
			j := fields.Index(field)
			if j < 0 {
				return nil, sqlerr.At(sqlerr.UndefinedColumn, e.Off, "could not identify column %q in record data type", field)
			}
			col, err := b.bindColumn(x, sc)
			if err != nil {
				return nil, err
			}
			idx := &plan.Const{Val: types.IntDatum(types.Int32Type, int64(j+1))}
			v, err := b.callFn("record_field", []plan.Expr{col, idx}, []int{x.Off, e.Off}, e.Off, "record_field")
			if err != nil {
				return nil, err
			}
			return b.cast(v, fields[j].Type, e.Off)
		}
	}
	x, err := b.bindExpr(e.Args[0], sc, agg)
	if err != nil {
		return nil, err
	}
	return nil, sqlerr.At(sqlerr.WrongObjectType, e.Off, "column notation .%s applied to type %s, which is not a composite type", field, x.Type())
}

// buildProjectSet moves the set-returning function calls of exprs
// (select-list items, ORDER BY or GROUP BY expressions) into a
// ProjectSet over input, replacing each by a reference to its column,
// and returns the node that reads them (input itself when there are
// none). In also, only the calls found in exprs are replaced: a GROUP BY
// key naming a select-list item is one function, computed below the
// grouping, while the select list's other calls stay for the
// ProjectSet above it.
func buildProjectSet(input plan.Node, exprs, also []*plan.Expr) plan.Node {
	width := len(input.Schema())
	ps := &plan.ProjectSet{Input: input}
	cols := map[*plan.SRFCall]*plan.ColRef{}
	// The calls are matched by identity (plan.Equal's rule for them),
	// so the walk must not copy them as plan.Rewrite would; a call's
	// arguments hold no other call (the binder rejects nesting).
	adding := true
	var extract func(e plan.Expr) (plan.Expr, error)
	extract = func(e plan.Expr) (plan.Expr, error) {
		f, ok := e.(*plan.SRFCall)
		if !ok {
			return plan.MapChildren(e, extract)
		}
		if ref, ok := cols[f]; ok {
			return ref, nil
		}
		if !adding {
			return f, nil
		}
		ps.Funcs = append(ps.Funcs, f)
		ref := &plan.ColRef{Idx: width + len(ps.Funcs) - 1, Typ: f.Type(), Name: f.Name}
		cols[f] = ref
		return ref, nil
	}
	for _, e := range exprs {
		if *e != nil && plan.ContainsSRF(*e) {
			*e, _ = extract(*e)
		}
	}
	if len(ps.Funcs) == 0 {
		return input
	}
	adding = false
	for _, e := range also {
		if *e != nil && plan.ContainsSRF(*e) {
			*e, _ = extract(*e)
		}
	}
	return ps
}

// selectExprs returns pointers to the expressions of the select-list
// items and the bound ORDER BY expressions.
func selectExprs(items []selItem, order []orderItem) []*plan.Expr {
	var out []*plan.Expr
	for i := range items {
		out = append(out, &items[i].expr)
	}
	for i := range order {
		out = append(out, &order[i].expr)
	}
	return out
}

// compositeFields returns the fields of output column col of n when it
// is the composite row of a set-returning function (nil otherwise), so
// that a derived table's scope can select them.
func compositeFields(n plan.Node, col int) types.Schema {
	for {
		if in, ok := passThrough(n); ok {
			n = in
			continue
		}
		switch x := n.(type) {
		case *plan.Project:
			ref, ok := x.Exprs[col].(*plan.ColRef)
			if !ok {
				return nil
			}
			n, col = x.Input, ref.Idx
		case *plan.ProjectSet:
			w := len(x.Input.Schema())
			if col < w {
				n = x.Input
				continue
			}
			if f := x.Funcs[col-w]; f.Field < 0 {
				return f.Cols
			}
			return nil
		default:
			return nil
		}
	}
}

// passThrough returns the input of a node whose output columns are its
// input's, in order (Sort, Limit, Filter).
func passThrough(n plan.Node) (plan.Node, bool) {
	switch x := n.(type) {
	case *plan.Sort:
		return x.Input, true
	case *plan.Limit:
		return x.Input, true
	case *plan.Filter:
		return x.Input, true
	}
	return nil, false
}

// fieldSelectName returns the field name of a (x).field call.
func fieldSelectName(e *ast.FuncCall) (string, bool) {
	if e.Name != fieldSelectFunc || e.Schema != "" || len(e.Args) != 2 {
		return "", false
	}
	lit, ok := e.Args[1].(*ast.Literal)
	if !ok || lit.Kind != ast.LitString {
		return "", false
	}
	return lit.Value, true
}

// arrayElement reports whether output column col of n is an untyped
// array element: an SRFCall's element column, or an array_element or
// record_field call (untyped by design), possibly under casts to
// unknown-free forms it passes through unchanged.
func arrayElement(n plan.Node, col int) bool {
	for {
		if in, ok := passThrough(n); ok {
			n = in
			continue
		}
		switch x := n.(type) {
		case *plan.Aggregate:
			if col >= len(x.Keys) {
				return false
			}
			n, col = x.Input, x.Keys[col]
		case *plan.Project:
			switch e := x.Exprs[col].(type) {
			case *plan.ColRef:
				n, col = x.Input, e.Idx
			case *plan.Call:
				return e.Fn.Name == "array_element" || e.Fn.Name == "record_field"
			default:
				return false
			}
		case *plan.ProjectSet:
			if col < len(x.Input.Schema()) {
				n = x.Input
				continue
			}
			return true
		case *plan.SetFunc:
			return true
		default:
			return false
		}
	}
}
