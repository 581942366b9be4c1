package binder

import (
	"strconv"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// aggCtx collects the aggregate calls of one SELECT block while its
// select list, HAVING and ORDER BY are bound, and (in win) its window
// function calls; win is nil where window functions are not allowed.
type aggCtx struct {
	input *scope
	calls []pendingAgg
	win   *winCtx
}

// pendingAgg is an aggregate call before its arguments are projected.
type pendingAgg struct {
	call   plan.AggCall
	args   []plan.Expr
	filter plan.Expr
}

// selItem is one bound select-list entry.
type selItem struct {
	expr plan.Expr
	name string
	pos  int
}

func (b *Binder) bindSelect(s *ast.Select) (plan.Node, error) {
	savedSRF, savedWhere := b.srfOK, b.srfWhere
	b.srfOK, b.srfWhere = false, ""
	defer func() { b.srfOK, b.srfWhere = savedSRF, savedWhere }()
	win, err := newWinCtx(s.Windows)
	if err != nil {
		return nil, err
	}
	var input plan.Node
	var sc *scope
	if s.From == nil {
		input, sc = &plan.Values{Rows: [][]plan.Expr{{}}}, &scope{eventTime: -1}
	} else if input, sc, err = b.bindFrom(s.From); err != nil {
		return nil, err
	}
	sc.outer = b.outer
	if s.Where != nil {
		pred, err := b.bindPredicate(s.Where, sc, "WHERE")
		if err != nil {
			return nil, err
		}
		var rest []plan.Expr
		input, rest = pushWhere(input, plan.Conjuncts(pred))
		if len(rest) > 0 {
			input = &plan.Filter{Input: input, Pred: plan.AndOf(rest)}
		}
	}

	agg := &aggCtx{input: sc, win: win}
	items, err := b.bindSelectList(s.Items, sc, agg)
	if err != nil {
		return nil, err
	}
	var having plan.Expr
	if s.Having != nil {
		agg.win, b.noWindow = nil, "HAVING"
		having, err = b.bindExpr(s.Having, sc, agg)
		agg.win, b.noWindow = win, ""
		if err != nil {
			return nil, err
		}
		if having, err = b.coerce(having, types.BoolType, s.Having.Position()); err != nil {
			return nil, err
		}
	}
	// ORDER BY items that are not output columns are bound now, against
	// the input, so their aggregates join the others.
	order, err := b.bindOrderBy(s.OrderBy, items, sc, agg)
	if err != nil {
		return nil, err
	}

	grouped := len(s.GroupBy) > 0 || len(agg.calls) > 0 || having != nil
	var keyExprs []plan.Expr
	post := func(e plan.Expr, _ int) (plan.Expr, error) { return e, nil }
	if grouped {
		b.noWindow = "GROUP BY"
		keyExprs, err = b.bindGroupBy(s.GroupBy, items, sc)
		b.noWindow = ""
		if err != nil {
			return nil, err
		}
		// A GROUP BY key that is a set-returning function (GROUP BY
		// the alias of one) is computed below the grouping, as in
		// PostgreSQL; the select list's references to it become
		// references to the key.
		exprs := make([]*plan.Expr, len(keyExprs))
		for i := range keyExprs {
			exprs[i] = &keyExprs[i]
		}
		input = buildProjectSet(input, exprs, selectExprs(items, order))
		input, post, err = b.buildAggregate(input, sc, keyExprs, agg)
		if err != nil {
			return nil, err
		}
		for i := range items {
			if items[i].expr, err = post(items[i].expr, items[i].pos); err != nil {
				return nil, err
			}
		}
		for i := range order {
			if order[i].expr != nil {
				if order[i].expr, err = post(order[i].expr, order[i].pos); err != nil {
					return nil, err
				}
			}
		}
		if having != nil {
			if having, err = post(having, s.Having.Position()); err != nil {
				return nil, err
			}
			input = &plan.Filter{Input: input, Pred: having}
		}
	}
	// Window functions run over the grouped rows.
	input, winRewrite, err := b.buildWindows(input, win, post)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].expr = winRewrite(items[i].expr)
	}
	for i := range order {
		if order[i].expr != nil {
			order[i].expr = winRewrite(order[i].expr)
		}
	}

	// Set-returning functions run over the grouped and windowed rows.
	input = buildProjectSet(input, selectExprs(items, order), nil)

	// The projection: visible items, then hidden group keys a view must
	// keep, then hidden ORDER BY expressions.
	proj := &plan.Project{Input: input}
	for _, it := range items {
		proj.Exprs = append(proj.Exprs, it.expr)
		proj.Names = append(proj.Names, it.name)
		proj.Hidden = append(proj.Hidden, false)
	}
	if grouped && b.KeepGroupKeys {
		for i, k := range keyExprs {
			ref := &plan.ColRef{Idx: i, Typ: k.Type(), Name: input.Schema()[i].Name}
			present := false
			for _, e := range proj.Exprs {
				present = present || plan.Equal(e, ref)
			}
			if !present {
				proj.Exprs = append(proj.Exprs, ref)
				proj.Names = append(proj.Names, "_key_"+ref.Name)
				proj.Hidden = append(proj.Hidden, true)
			}
		}
	}
	visible := len(items)
	var keys []plan.SortKey
	for _, o := range order {
		col := o.outCol
		if col < 0 {
			col = len(proj.Exprs)
			proj.Exprs = append(proj.Exprs, o.expr)
			proj.Names = append(proj.Names, "_order_"+strconv.Itoa(col))
			proj.Hidden = append(proj.Hidden, true)
		}
		keys = append(keys, plan.SortKey{Col: col, Desc: o.desc, NullsFirst: o.nullsFirst})
	}
	var out plan.Node = proj
	if s.Distinct {
		if len(proj.Exprs) > visible {
			return nil, sqlerr.At(sqlerr.InvalidColumnReference, s.Off, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		keyCols := make([]int, visible)
		for i := range keyCols {
			keyCols[i] = i
		}
		out = &plan.Aggregate{Input: out, Keys: keyCols}
	}
	if len(keys) > 0 {
		out = &plan.Sort{Input: out, Keys: keys}
	}
	if out, err = b.bindLimit(out, s.Limit, s.Offset); err != nil {
		return nil, err
	}
	if len(keys) > 0 && len(proj.Exprs) > visible && !(grouped && b.KeepGroupKeys) {
		// Drop the hidden ORDER BY columns after sorting.
		drop := &plan.Project{Input: out}
		for i := 0; i < visible; i++ {
			drop.Exprs = append(drop.Exprs, &plan.ColRef{Idx: i, Typ: proj.Exprs[i].Type(), Name: proj.Names[i]})
			drop.Names = append(drop.Names, proj.Names[i])
			drop.Hidden = append(drop.Hidden, false)
		}
		out = drop
	}
	return out, nil
}

func (b *Binder) bindPredicate(e ast.Expr, sc *scope, clause string) (plan.Expr, error) {
	where := clause
	if clause == "JOIN/ON" {
		where = "JOIN conditions"
	}
	saved := b.noWindow
	b.noWindow = where
	x, err := b.bindExpr(e, sc, nil)
	b.noWindow = saved
	if err != nil {
		if se, ok := err.(*sqlerr.Error); ok && se.Code == sqlerr.GroupingError {
			return nil, sqlerr.At(sqlerr.GroupingError, se.Pos-1, "aggregate functions are not allowed in %s", where)
		}
		return nil, err
	}
	if t := x.Type(); t.Kind != types.Bool && t.Kind != types.Unknown {
		return nil, sqlerr.At(sqlerr.DatatypeMismatch, e.Position(), "argument of %s must be type boolean, not type %s", clause, t)
	}
	return b.coerce(x, types.BoolType, e.Position())
}

func (b *Binder) bindSelectList(items []ast.SelectItem, sc *scope, agg *aggCtx) ([]selItem, error) {
	var out []selItem
	for _, it := range items {
		if it.Star {
			n := 0
			for i, c := range sc.cols {
				if c.hidden || (it.StarTable != "" && c.table != it.StarTable) || (it.StarTable == "" && c.qualOnly) {
					continue
				}
				out = append(out, selItem{expr: &plan.ColRef{Idx: i, Typ: c.typ, Name: c.name}, name: c.name, pos: it.Off})
				n++
			}
			if n == 0 && it.StarTable != "" {
				return nil, sqlerr.At(sqlerr.UndefinedTable, it.Off, "missing FROM-clause entry for table %q", it.StarTable)
			}
			if n == 0 && len(sc.cols) == 0 {
				return nil, sqlerr.At(sqlerr.SyntaxError, it.Off, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		b.srfOK = true
		x, err := b.bindExpr(it.Expr, sc, agg)
		b.srfOK = false
		if err != nil {
			return nil, err
		}
		name := it.Alias
		if name == "" {
			name = outputName(it.Expr)
		}
		out = append(out, selItem{expr: x, name: name, pos: it.Expr.Position()})
	}
	return out, nil
}

// outputName is the column name Postgres gives an unaliased expression.
func outputName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.ColumnRef:
		return e.Name()
	case *ast.FuncCall:
		if lit, ok := fieldSelectName(e); ok {
			return lit
		}
		return e.Name
	case *ast.Cast:
		if n := outputName(e.X); n != "?column?" {
			return n
		}
		if t, ok := types.LookupName(e.Type.Name); ok {
			return pgTypName(t)
		}
		return e.Type.Name
	case *ast.IntervalLit:
		return "interval"
	case *ast.TypedLit:
		return e.Type.Name
	case *ast.Extract:
		return "extract"
	case *ast.Case:
		return "case"
	case *ast.Exists:
		return "exists"
	case *ast.SubqueryExpr:
		return subqueryOutputName(e.Query)
	case *ast.ArrayLit, *ast.ArraySubquery:
		return "array"
	case *ast.Row:
		return "row"
	}
	return "?column?"
}

// subqueryOutputName is the column name Postgres gives a scalar
// subquery: its own output column's name.
func subqueryOutputName(q ast.Query) string {
	switch q := q.(type) {
	case *ast.Select:
		if len(q.Items) > 0 && !q.Items[0].Star {
			if q.Items[0].Alias != "" {
				return q.Items[0].Alias
			}
			return outputName(q.Items[0].Expr)
		}
	case *ast.SetOp:
		return subqueryOutputName(q.Left)
	case *ast.Values:
		return "column1"
	}
	return "?column?"
}

// pgTypName is the short internal name Postgres uses for column names of
// casts ("int4", "float8").
func pgTypName(t types.Type) string {
	switch t.Kind {
	case types.Bool:
		return "bool"
	case types.Int16:
		return "int2"
	case types.Int32:
		return "int4"
	case types.Int64:
		return "int8"
	case types.Float32:
		return "float4"
	case types.Float64:
		return "float8"
	case types.Varchar:
		return "varchar"
	case types.Timestamp:
		return "timestamp"
	case types.TimestampTZ:
		return "timestamptz"
	}
	return t.String()
}

func (b *Binder) constInt(e ast.Expr, clause string) (int64, error) {
	x, err := b.bindExpr(e, &scope{eventTime: -1}, nil)
	if err != nil {
		return 0, err
	}
	if b.preparing() && hasParam(x) {
		// LIMIT $1: the value is known only when the statement runs.
		return b.paramLimit(x, e.Position(), clause)
	}
	c, ok := x.(*plan.Const)
	if ok && c.Val.Type.Kind == types.Unknown {
		d, err := b.coerce(c, types.Int64Type, e.Position())
		if err != nil {
			return 0, err
		}
		c = d.(*plan.Const)
	}
	if !ok || !c.Val.Type.IsInteger() {
		return 0, sqlerr.At(sqlerr.DatatypeMismatch, e.Position(), "argument of %s must be a constant integer", clause)
	}
	if c.Val.Null {
		return -1, nil
	}
	if c.Val.I < 0 {
		return 0, sqlerr.At(sqlerr.InvalidParameterValue, e.Position(), "%s must not be negative", clause)
	}
	return c.Val.I, nil
}
