package parser

import (
	tast "github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// query converts a SELECT, VALUES or set operation.
func (c *converter) query(n tast.Node) (ast.Query, error) {
	switch n := n.(type) {
	case *tast.SelectStmt:
		return c.selectStmt(n)
	case *tast.SetOprStmt:
		q, err := c.setOprList(n.SelectList.Selects)
		if err != nil {
			return nil, err
		}
		return c.setOprTail(q, n.With, n.OrderBy, n.Limit)
	}
	return nil, c.bug(n)
}

func (c *converter) selectStmt(n *tast.SelectStmt) (ast.Query, error) {
	if n.LockInfo != nil || n.SelectIntoOpt != nil || len(n.TableHints) > 0 || n.Kind == tast.SelectStmtKindTable {
		return nil, c.bug(n)
	}
	if n.Kind == tast.SelectStmtKindValues {
		if n.With != nil || n.OrderBy != nil || n.Limit != nil || len(n.Lists) == 0 {
			return nil, c.bug(n)
		}
		v := &ast.Values{Pos: ast.At(c.keywordBefore(n.Lists[0].OriginTextPosition(), "values"))}
		for _, row := range n.Lists {
			es, err := c.exprs(row.Values)
			if err != nil {
				return nil, err
			}
			v.Rows = append(v.Rows, es)
		}
		return v, nil
	}
	sel := &ast.Select{Pos: ast.At(c.keywordBefore(n.Fields.Fields[0].Offset, "select")), Distinct: n.Distinct}
	var err error
	if sel.With, err = c.with(n.With); err != nil {
		return nil, err
	}
	for _, f := range n.Fields.Fields {
		item := ast.SelectItem{Pos: ast.At(c.rw.orig(f.Offset)), Alias: f.AsName.O}
		if f.WildCard != nil {
			if f.WildCard.Schema.O != "" {
				return nil, unsupported(c.s.tokenAt(item.Off), "schema-qualified * is not supported")
			}
			item.Star, item.StarTable = true, f.WildCard.Table.O
		} else if item.Expr, err = c.expr(f.Expr); err != nil {
			return nil, err
		}
		sel.Items = append(sel.Items, item)
	}
	if n.From != nil {
		if sel.From, _, err = c.tableRef(n.From.TableRefs); err != nil {
			return nil, err
		}
	}
	if n.Where != nil {
		if sel.Where, err = c.expr(n.Where); err != nil {
			return nil, err
		}
	}
	if n.GroupBy != nil {
		if n.GroupBy.Rollup {
			return nil, c.bug(n)
		}
		for _, it := range n.GroupBy.Items {
			e, err := c.expr(it.Expr)
			if err != nil {
				return nil, err
			}
			sel.GroupBy = append(sel.GroupBy, e)
		}
	}
	if n.Having != nil {
		if sel.Having, err = c.expr(n.Having.Expr); err != nil {
			return nil, err
		}
	}
	for i := range n.WindowSpecs {
		ws := &n.WindowSpecs[i]
		m, ok := c.s.lookupMarker(ws.Name.O)
		if !ok || m.kind != mkWindow {
			return nil, c.bug(n)
		}
		spec, err := c.windowSpec(ws, m.pos)
		if err != nil {
			return nil, err
		}
		sel.Windows = append(sel.Windows, ast.NamedWindow{Pos: ast.At(m.pos), Name: m.name, Spec: spec})
	}
	if n.OrderBy != nil {
		if sel.OrderBy, err = c.orderItems(n.OrderBy.Items); err != nil {
			return nil, err
		}
	}
	sel.Limit, sel.Offset, err = c.limit(n.Limit)
	return sel, err
}

// setOprList folds TiDB's flat list of set operands into a tree:
// INTERSECT binds tighter than UNION and EXCEPT, all left-associative.
func (c *converter) setOprList(items []tast.Node) (ast.Query, error) {
	type operand struct {
		q  ast.Query
		op *tast.SetOprType
	}
	var ops []operand
	for _, it := range items {
		var (
			q   ast.Query
			op  *tast.SetOprType
			err error
		)
		switch x := it.(type) {
		case *tast.SelectStmt:
			op = x.AfterSetOperator
			q, err = c.selectStmt(x)
		case *tast.SetOprSelectList:
			op = x.AfterSetOperator
			if q, err = c.setOprList(x.Selects); err == nil {
				q, err = c.setOprTail(q, x.With, x.OrderBy, x.Limit)
			}
		default:
			return nil, c.bug(it)
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, operand{q, op})
	}
	if len(ops) == 0 {
		return nil, c.bug(nil)
	}
	join := func(l ast.Query, op tast.SetOprType, r ast.Query) ast.Query {
		s := &ast.SetOp{Pos: ast.At(l.Position()), Left: l, Right: r}
		switch op {
		case tast.Union, tast.UnionAll:
			s.Kind = ast.Union
		case tast.Intersect, tast.IntersectAll:
			s.Kind = ast.Intersect
		default:
			s.Kind = ast.Except
		}
		s.All = op == tast.UnionAll || op == tast.IntersectAll || op == tast.ExceptAll
		return s
	}
	// First pass: INTERSECT chains.
	var terms []operand
	for _, o := range ops {
		if o.op != nil && (*o.op == tast.Intersect || *o.op == tast.IntersectAll) && len(terms) > 0 {
			last := &terms[len(terms)-1]
			last.q = join(last.q, *o.op, o.q)
			continue
		}
		terms = append(terms, o)
	}
	q := terms[0].q
	for _, t := range terms[1:] {
		if t.op == nil {
			return nil, c.bug(nil)
		}
		q = join(q, *t.op, t.q)
	}
	return q, nil
}

// setOprTail attaches WITH, ORDER BY and LIMIT to a set operation (or
// to a lone parenthesised operand).
func (c *converter) setOprTail(q ast.Query, with *tast.WithClause, order *tast.OrderByClause, limit *tast.Limit) (ast.Query, error) {
	if with == nil && order == nil && limit == nil {
		return q, nil
	}
	ctes, err := c.with(with)
	if err != nil {
		return nil, err
	}
	var items []ast.OrderItem
	if order != nil {
		if items, err = c.orderItems(order.Items); err != nil {
			return nil, err
		}
	}
	count, offset, err := c.limit(limit)
	if err != nil {
		return nil, err
	}
	switch x := q.(type) {
	case *ast.SetOp:
		if x.With != nil || x.OrderBy != nil || x.Limit != nil || x.Offset != nil {
			return nil, unsupported(c.s.tokenAt(x.Off), "nested ORDER BY or LIMIT on a set operation is not supported here")
		}
		x.With, x.OrderBy, x.Limit, x.Offset = ctes, items, count, offset
	case *ast.Select:
		if (ctes != nil && x.With != nil) || (items != nil && x.OrderBy != nil) || ((count != nil || offset != nil) && (x.Limit != nil || x.Offset != nil)) {
			return nil, unsupported(c.s.tokenAt(x.Off), "multiple ORDER BY or LIMIT clauses are not supported")
		}
		if ctes != nil {
			x.With = ctes
		}
		if items != nil {
			x.OrderBy = items
		}
		if count != nil || offset != nil {
			x.Limit, x.Offset = count, offset
		}
	default:
		return nil, unsupported(c.s.tokenAt(q.Position()), "ORDER BY or LIMIT on VALUES is not supported")
	}
	return q, nil
}

func (c *converter) with(w *tast.WithClause) ([]ast.CTE, error) {
	if w == nil {
		return nil, nil
	}
	var out []ast.CTE
	for _, cte := range w.CTEs {
		m, ok := c.s.lookupMarker(cte.Name.O)
		if !ok || m.kind != mkCTE {
			return nil, c.bug(cte)
		}
		if w.IsRecursive {
			return nil, unsupported(c.s.tokenAt(m.pos), "WITH RECURSIVE is not supported")
		}
		q, err := c.query(cte.Query.Query)
		if err != nil {
			return nil, err
		}
		def := ast.CTE{Pos: ast.At(m.pos), Name: m.name, Query: q}
		for _, col := range cte.ColNameList {
			def.Columns = append(def.Columns, col.O)
		}
		out = append(out, def)
	}
	return out, nil
}

func (c *converter) limit(l *tast.Limit) (count, offset ast.Expr, err error) {
	if l == nil {
		return nil, nil, nil
	}
	hole := func(e tast.ExprNode) (ast.Expr, error) {
		pm, ok := e.(*paramMarker)
		if !ok {
			return nil, c.bug(e)
		}
		p, ok := c.rw.holes[pm.offset]
		if !ok {
			return nil, c.bug(e)
		}
		return p.hole, nil
	}
	if l.Count != nil {
		if count, err = hole(l.Count); err != nil {
			return nil, nil, err
		}
	}
	if l.Offset != nil {
		offset, err = hole(l.Offset)
	}
	return count, offset, err
}

// orderItems converts ORDER BY items; a nulls marker item modifies the
// item before it.
func (c *converter) orderItems(items []*tast.ByItem) ([]ast.OrderItem, error) {
	var out []ast.OrderItem
	for _, it := range items {
		if m, _ := c.marker(it.Expr, mkNulls); m != nil {
			if len(out) == 0 {
				return nil, c.bug(it.Expr)
			}
			out[len(out)-1].Nulls = m.nulls
			continue
		}
		e, err := c.expr(it.Expr)
		if err != nil {
			return nil, err
		}
		out = append(out, ast.OrderItem{Pos: c.pos(it.Expr), Expr: e, Desc: it.Desc})
	}
	return out, nil
}

func (c *converter) windowSpec(ws *tast.WindowSpec, pos int) (*ast.WindowSpec, error) {
	out := &ast.WindowSpec{Pos: ast.At(pos), Ref: ws.Ref.O}
	if ws.OnlyAlias {
		out.Ref = ws.Name.O
	}
	if ws.PartitionBy != nil {
		for _, it := range ws.PartitionBy.Items {
			e, err := c.expr(it.Expr)
			if err != nil {
				return nil, err
			}
			out.PartitionBy = append(out.PartitionBy, e)
		}
	}
	if ws.OrderBy != nil {
		items, err := c.orderItems(ws.OrderBy.Items)
		if err != nil {
			return nil, err
		}
		out.OrderBy = items
	}
	if f := ws.Frame; f != nil {
		frame := &ast.WindowFrame{}
		switch f.Type {
		case tast.Rows:
			frame.Unit = ast.FrameRows
		case tast.Ranges:
			frame.Unit = ast.FrameRange
		default:
			frame.Unit = ast.FrameGroups
		}
		var err error
		if frame.Start, err = c.frameBound(&f.Extent.Start); err != nil {
			return nil, err
		}
		if frame.End, err = c.frameBound(&f.Extent.End); err != nil {
			return nil, err
		}
		out.Frame = frame
	}
	return out, nil
}

func (c *converter) frameBound(b *tast.FrameBound) (ast.FrameBound, error) {
	switch {
	case b.Type == tast.CurrentRow:
		return ast.FrameBound{Kind: ast.BoundCurrentRow}, nil
	case b.UnBounded && b.Type == tast.Preceding:
		return ast.FrameBound{Kind: ast.BoundUnboundedPreceding}, nil
	case b.UnBounded:
		return ast.FrameBound{Kind: ast.BoundUnboundedFollowing}, nil
	}
	// TiDB records the offset of PRECEDING/FOLLOWING for a "?" bound;
	// the hole is the piece before it.
	pm, ok := b.Expr.(*paramMarker)
	if !ok {
		return ast.FrameBound{}, c.bug(b.Expr)
	}
	k := c.rw.pieceAt(pm.offset) - 1
	if k < 0 || !c.rw.pieces[k].isHole || c.rw.pieces[k].hole == nil {
		return ast.FrameBound{}, c.bug(b.Expr)
	}
	off := c.rw.pieces[k].hole
	kind := ast.BoundPreceding
	if b.Type == tast.Following {
		kind = ast.BoundFollowing
	}
	return ast.FrameBound{Kind: kind, Offset: off}, nil
}

// tableRef converts a FROM tree; it also returns the marker of its
// first placeholder, which carries the join details of the join whose
// right operand this is.
func (c *converter) tableRef(n tast.ResultSetNode) (ast.TableExpr, *marker, error) {
	switch n := n.(type) {
	case *tast.Join:
		if n.Right == nil {
			return c.tableRef(n.Left)
		}
		l, lm, err := c.tableRef(n.Left)
		if err != nil {
			return nil, nil, err
		}
		r, rm, err := c.tableRef(n.Right)
		if err != nil {
			return nil, nil, err
		}
		j := &ast.Join{Pos: ast.At(rm.joinPos), Left: l, Right: r, Natural: n.NaturalJoin}
		switch n.Tp {
		case tast.LeftJoin:
			j.Kind = ast.JoinLeft
			if rm.full {
				j.Kind = ast.JoinFull
			}
		case tast.RightJoin:
			j.Kind = ast.JoinRight
		default:
			j.Kind = ast.JoinCross
			if n.On != nil || n.Using != nil || n.NaturalJoin {
				j.Kind = ast.JoinInner
			}
		}
		if n.On != nil {
			if j.On, err = c.expr(n.On.Expr); err != nil {
				return nil, nil, err
			}
		}
		for _, u := range n.Using {
			j.Using = append(j.Using, u.Name.O)
		}
		return j, lm, nil
	case *tast.TableSource:
		tn, ok := n.Source.(*tast.TableName)
		if !ok || n.AsName.O != "" {
			if j, ok := n.Source.(*tast.Join); ok {
				return c.tableRef(j)
			}
			return nil, nil, c.bug(n)
		}
		m, ok := c.s.lookupMarker(tn.Name.O)
		if !ok || m.kind != mkFrom {
			return nil, nil, c.bug(n)
		}
		return m.table, m, nil
	}
	return nil, nil, c.bug(n)
}

// dml converts INSERT, UPDATE and DELETE.
func (c *converter) dml(n tast.StmtNode, off int) (ast.Statement, error) {
	table := func(refs *tast.TableRefsClause) (ast.Ident, error) {
		if refs == nil {
			return ast.Ident{}, c.bug(n)
		}
		te, _, err := c.tableRef(refs.TableRefs)
		if err != nil {
			return ast.Ident{}, err
		}
		tn, ok := te.(*ast.TableName)
		if !ok {
			return ast.Ident{}, c.bug(n)
		}
		return tn.Name, nil
	}
	switch n := n.(type) {
	case *tast.InsertStmt:
		if n.IsReplace || n.Setlist || len(n.OnDuplicate) > 0 || n.IgnoreErr || len(n.PartitionNames) > 0 {
			return nil, c.bug(n)
		}
		ins := &ast.Insert{Pos: ast.At(off)}
		var err error
		if ins.Table, err = table(n.Table); err != nil {
			return nil, err
		}
		for _, col := range n.Columns {
			ins.Columns = append(ins.Columns, col.Name.O)
		}
		if n.Select != nil {
			ins.Query, err = c.query(n.Select)
			return ins, err
		}
		v := &ast.Values{Pos: ast.NoPos}
		for _, row := range n.Lists {
			es, err := c.exprs(row)
			if err != nil {
				return nil, err
			}
			if v.Off < 0 && len(row) > 0 {
				v.Pos = ast.At(c.keywordBefore(row[0].OriginTextPosition(), "values"))
			}
			v.Rows = append(v.Rows, es)
		}
		ins.Query = v
		return ins, nil
	case *tast.UpdateStmt:
		if n.Order != nil || n.Limit != nil || n.MultipleTable {
			return nil, c.bug(n)
		}
		up := &ast.Update{Pos: ast.At(off)}
		var err error
		if up.Table, err = table(n.TableRefs); err != nil {
			return nil, err
		}
		for _, a := range n.List {
			m, ok := c.s.lookupMarker(a.Column.Name.O)
			if !ok || m.kind != mkColumn {
				return nil, c.bug(n)
			}
			v, err := c.expr(a.Expr)
			if err != nil {
				return nil, err
			}
			up.Set = append(up.Set, ast.Assignment{Pos: ast.At(m.pos), Column: m.name, Value: v})
		}
		if n.Where != nil {
			up.Where, err = c.expr(n.Where)
		}
		return up, err
	case *tast.DeleteStmt:
		if n.Order != nil || n.Limit != nil || n.IsMultiTable {
			return nil, c.bug(n)
		}
		del := &ast.Delete{Pos: ast.At(off)}
		var err error
		if del.Table, err = table(n.TableRefs); err != nil {
			return nil, err
		}
		if n.Where != nil {
			del.Where, err = c.expr(n.Where)
		}
		return del, err
	}
	return nil, c.bug(n)
}

// selectExprs converts the items of the "SELECT e1, e2" made for a
// sub-parse.
func (c *converter) selectExprs(n tast.StmtNode) ([]ast.Expr, error) {
	sel, ok := n.(*tast.SelectStmt)
	if !ok || sel.From != nil || sel.Fields == nil {
		return nil, c.bug(n)
	}
	out := make([]ast.Expr, 0, len(sel.Fields.Fields))
	for _, f := range sel.Fields.Fields {
		if f.Expr == nil || f.AsName.O != "" {
			return nil, c.bug(n)
		}
		e, err := c.expr(f.Expr)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// keywordBefore finds the piece with text word at or before rewritten
// offset off (the SELECT or VALUES keyword of a query) and returns its
// position.
func (c *converter) keywordBefore(off int, word string) int {
	for k := c.rw.pieceAt(off); k >= 0; k-- {
		if c.rw.pieces[k].text == word {
			return c.rw.pieces[k].orig
		}
	}
	return c.rw.orig(off)
}
