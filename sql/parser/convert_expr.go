package parser

import (
	"strings"

	tast "github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// converter maps one TiDB tree back to our ast, resolving markers and
// holes and translating TiDB's offsets (into the rewritten text) to the
// user's text.
type converter struct {
	s  *session
	rw *rewritten
}

// pos is the user-text position of a TiDB node.
func (c *converter) pos(n tast.Node) ast.Pos { return ast.At(c.rw.orig(n.OriginTextPosition())) }

// opPos is the position of the operator before the right operand r.
func (c *converter) opPos(r tast.Node) ast.Pos {
	return ast.At(c.rw.origBefore(r.OriginTextPosition()))
}

// bug reports a TiDB tree shape the rewriter cannot have produced. It is
// returned as a syntax error at the node rather than a panic: the input
// is most likely unusual syntax we did not anticipate.
func (c *converter) bug(n tast.Node) error {
	off := 0
	if n != nil {
		off = n.OriginTextPosition()
	}
	return c.s.syntaxErr(c.s.tokenAt(c.rw.orig(off)))
}

// marker returns the marker a generic call stands for, if any.
func (c *converter) marker(e tast.ExprNode, kinds ...markerKind) (*marker, *tast.FuncCallExpr) {
	f, ok := e.(*tast.FuncCallExpr)
	if !ok {
		return nil, nil
	}
	m, ok := c.s.lookupMarker(f.FnName.O)
	if !ok {
		return nil, nil
	}
	for _, k := range kinds {
		if m.kind == k {
			return m, f
		}
	}
	return nil, nil
}

func (c *converter) exprs(in []tast.ExprNode) ([]ast.Expr, error) {
	out := make([]ast.Expr, 0, len(in))
	for _, e := range in {
		x, err := c.expr(e)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (c *converter) expr(e tast.ExprNode) (ast.Expr, error) {
	c.s.cdepth++
	defer func() { c.s.cdepth-- }()
	if c.s.cdepth > maxConvertDepth {
		return nil, sqlerr.At(sqlerr.ProgramLimitExceeded, c.rw.orig(e.OriginTextPosition()), "statement is too deeply nested")
	}
	switch n := e.(type) {
	case *paramMarker:
		p, ok := c.rw.holes[n.offset]
		if !ok || p.hole == nil {
			return nil, c.bug(n)
		}
		return p.hole, nil
	case *valueExpr:
		switch v := n.val.(type) {
		case nil:
			return &ast.Literal{Pos: c.pos(n), Kind: ast.LitNull, Value: "null"}, nil
		case bool:
			s := "false"
			if v {
				s = "true"
			}
			return &ast.Literal{Pos: c.pos(n), Kind: ast.LitBool, Value: s}, nil
		}
		return nil, c.bug(n)
	case *tast.ColumnNameExpr:
		var parts []string
		for _, p := range []string{n.Name.Schema.O, n.Name.Table.O} {
			if p != "" || len(parts) > 0 {
				parts = append(parts, p)
			}
		}
		return &ast.ColumnRef{Pos: c.pos(n), Parts: append(parts, n.Name.Name.O)}, nil
	case *tast.ParenthesesExpr:
		return c.expr(n.Expr)
	case *tast.BinaryOperationExpr:
		return c.binary(n)
	case *tast.UnaryOperationExpr:
		return c.unary(n)
	case *tast.FuncCallExpr:
		return c.funcCall(n)
	case *tast.AggregateFuncExpr:
		if !strings.EqualFold(n.F, "group_concat") {
			return nil, c.bug(n)
		}
		return c.aggregate(n, n.Args, n.Order, nil)
	case *tast.WindowFuncExpr:
		if !strings.EqualFold(n.Name, "group_concat") {
			return nil, c.bug(n)
		}
		return c.aggregate(n, n.Args, nil, &n.Spec)
	case *tast.CaseExpr:
		return c.caseExpr(n)
	case *tast.BetweenExpr:
		return c.between(n)
	case *tast.PatternInExpr:
		return c.in(n)
	case *tast.PatternLikeOrIlikeExpr:
		return c.like(n)
	case *tast.IsNullExpr:
		x, err := c.expr(n.Expr)
		return &ast.IsNull{Pos: c.pos(n), X: x, Not: n.Not}, err
	case *tast.IsTruthExpr:
		x, err := c.expr(n.Expr)
		v := n.True != 0
		return &ast.IsBool{Pos: c.pos(n), X: x, Value: &v, Not: n.Not}, err
	case *tast.ExistsSubqueryExpr:
		sub, ok := n.Sel.(*tast.SubqueryExpr)
		if !ok {
			return nil, c.bug(n)
		}
		q, err := c.query(sub.Query)
		return &ast.Exists{Pos: c.pos(n), Query: q, Not: n.Not}, err
	case *tast.SubqueryExpr:
		q, err := c.query(n.Query)
		return &ast.SubqueryExpr{Pos: c.pos(n), Query: q}, err
	case *tast.RowExpr:
		elems, err := c.exprs(n.Values)
		return &ast.Row{Pos: c.pos(n), Elems: elems}, err
	}
	return nil, c.bug(e)
}

var binaryOpcodes = map[opcode.Op]ast.BinaryOp{
	opcode.LogicAnd: ast.OpAnd, opcode.LogicOr: ast.OpOr,
	opcode.EQ: ast.OpEq, opcode.NE: ast.OpNe, opcode.LT: ast.OpLt, opcode.LE: ast.OpLe,
	opcode.GT: ast.OpGt, opcode.GE: ast.OpGe,
	opcode.Plus: ast.OpAdd, opcode.Minus: ast.OpSub, opcode.Mul: ast.OpMul, opcode.Div: ast.OpDiv,
	opcode.Mod: ast.OpMod, opcode.Xor: ast.OpPow,
}

func (c *converter) binary(n *tast.BinaryOperationExpr) (ast.Expr, error) {
	switch n.Op {
	case opcode.Or:
		// (L | opMarker()) | R
		inner, ok := n.L.(*tast.BinaryOperationExpr)
		if !ok || inner.Op != opcode.Or {
			return nil, c.bug(n)
		}
		m, _ := c.marker(inner.R, mkOp)
		if m == nil {
			return nil, c.bug(n)
		}
		l, err := c.expr(inner.L)
		if err != nil {
			return nil, err
		}
		return c.combine(m.op, ast.At(m.pos), l, n.R)
	case opcode.NullEQ:
		if inner, ok := n.L.(*tast.BinaryOperationExpr); ok && inner.Op == opcode.NullEQ {
			if m, _ := c.marker(inner.R, mkDistinct); m != nil {
				l, err := c.expr(inner.L)
				if err != nil {
					return nil, err
				}
				return c.combine(ast.OpIsDistinctFrom, ast.At(m.pos), l, n.R)
			}
		}
		l, err := c.expr(n.L)
		if err != nil {
			return nil, err
		}
		return c.combine(ast.OpIsNotDistinctFrom, c.opPos(n.R), l, n.R)
	}
	op, ok := binaryOpcodes[n.Op]
	if !ok {
		return nil, c.bug(n)
	}
	l, err := c.expr(n.L)
	if err != nil {
		return nil, err
	}
	return c.combine(op, c.opPos(n.R), l, n.R)
}

// combine builds l op r, or a Quantified expression when r is ANY/ALL.
func (c *converter) combine(op ast.BinaryOp, pos ast.Pos, l ast.Expr, r tast.ExprNode) (ast.Expr, error) {
	if m, f := c.marker(r, mkQuant); m != nil {
		if len(f.Args) != 1 {
			return nil, c.bug(f)
		}
		q := &ast.Quantified{Pos: pos, Op: op, Quant: m.quant, X: l}
		if sub, ok := f.Args[0].(*tast.SubqueryExpr); ok {
			query, err := c.query(sub.Query)
			q.Query = query
			return q, err
		}
		arr, err := c.expr(f.Args[0])
		q.Array = arr
		return q, err
	}
	rx, err := c.expr(r)
	if err != nil {
		return nil, err
	}
	return &ast.Binary{Pos: pos, Op: op, L: l, R: rx}, nil
}

func (c *converter) unary(n *tast.UnaryOperationExpr) (ast.Expr, error) {
	x, err := c.expr(n.V)
	if err != nil {
		return nil, err
	}
	var op ast.UnaryOp
	switch n.Op {
	case opcode.Minus:
		// Fold the sign into a numeric constant, as Postgres does.
		if lit, ok := x.(*ast.Literal); ok && (lit.Kind == ast.LitInt || lit.Kind == ast.LitFloat) && !strings.HasPrefix(lit.Value, "-") {
			return &ast.Literal{Pos: c.pos(n), Kind: lit.Kind, Value: "-" + lit.Value}, nil
		}
		op = ast.UNeg
	case opcode.Plus:
		op = ast.UPlus
	case opcode.Not:
		op = ast.UNot
	case opcode.BitNeg:
		op = ast.UBitNot
	default:
		return nil, c.bug(n)
	}
	return &ast.Unary{Pos: c.pos(n), Op: op, X: x}, nil
}

// funcCall converts a generic call: a marker or a user function.
func (c *converter) funcCall(n *tast.FuncCallExpr) (ast.Expr, error) {
	m, isMarker := c.s.lookupMarker(n.FnName.O)
	if !isMarker {
		args, err := c.exprs(n.Args)
		return &ast.FuncCall{Pos: c.pos(n), Schema: n.Schema.O, Name: n.FnName.O, Args: args}, err
	}
	args, err := c.exprs(n.Args)
	if err != nil {
		return nil, err
	}
	p := ast.At(m.pos)
	one := func() (ast.Expr, error) {
		if len(args) != 1 {
			return nil, c.bug(n)
		}
		return args[0], nil
	}
	switch m.kind {
	case mkCast:
		x, err := one()
		return &ast.Cast{Pos: p, X: x, Type: m.typ}, err
	case mkSubscript:
		if len(args) != 2 {
			return nil, c.bug(n)
		}
		return &ast.Subscript{Pos: p, X: args[0], Index: args[1]}, nil
	case mkCollate:
		x, err := one()
		return &ast.Collate{Pos: p, X: x, Collation: m.name}, err
	case mkAtTimeZone:
		if len(args) != 2 {
			return nil, c.bug(n)
		}
		return &ast.FuncCall{Pos: p, Name: "timezone", Args: []ast.Expr{args[1], args[0]}}, nil
	case mkExtract:
		x, err := one()
		return &ast.Extract{Pos: p, Field: m.name, X: x}, err
	case mkArray:
		return &ast.ArrayLit{Pos: p, Elems: args}, nil
	case mkArraySub:
		x, err := one()
		if sub, ok := x.(*ast.SubqueryExpr); ok && err == nil {
			return &ast.ArraySubquery{Pos: p, Query: sub.Query}, nil
		}
		return nil, c.bug(n)
	case mkRow:
		return &ast.Row{Pos: p, Elems: args}, nil
	case mkSQLFunc:
		return &ast.FuncCall{Pos: p, Name: m.name, Args: args}, nil
	case mkField:
		x, err := one()
		return &ast.FuncCall{Pos: p, Name: FieldSelectFunc, Args: []ast.Expr{x, &ast.Literal{Pos: p, Kind: ast.LitString, Value: m.name}}}, err
	case mkQuant:
		return nil, sqlerr.At(sqlerr.SyntaxError, m.pos, "syntax error at or near \"%s\"", c.s.raw(c.s.tokenAt(m.pos)))
	}
	return nil, c.bug(n)
}

// aggregate converts the GROUP_CONCAT form of a call with DISTINCT, *,
// ORDER BY, WITHIN GROUP, FILTER or OVER.
func (c *converter) aggregate(n tast.ExprNode, targs []tast.ExprNode, order *tast.OrderByClause, spec *tast.WindowSpec) (ast.Expr, error) {
	// The last argument is TiDB's default separator.
	if len(targs) < 2 {
		return nil, c.bug(n)
	}
	m, _ := c.marker(targs[0], mkCall)
	if m == nil {
		return nil, c.bug(n)
	}
	fc := &ast.FuncCall{Pos: ast.At(m.pos), Schema: m.schema, Name: m.name, Star: m.star, Distinct: m.distinct}
	for _, a := range targs[1 : len(targs)-1] {
		if fm, f := c.marker(a, mkFilter); fm != nil {
			if len(f.Args) != 1 {
				return nil, c.bug(f)
			}
			cond, err := c.expr(f.Args[0])
			if err != nil {
				return nil, err
			}
			fc.Filter = cond
			continue
		}
		x, err := c.expr(a)
		if err != nil {
			return nil, err
		}
		fc.Args = append(fc.Args, x)
	}
	if order != nil {
		items, err := c.orderItems(order.Items)
		if err != nil {
			return nil, err
		}
		if m.within {
			fc.WithinGroup = items
		} else {
			fc.OrderBy = items
		}
	}
	if spec != nil {
		ws, err := c.windowSpec(spec, m.overPos)
		if err != nil {
			return nil, err
		}
		fc.Over = ws
	}
	return fc, nil
}

func (c *converter) caseExpr(n *tast.CaseExpr) (ast.Expr, error) {
	out := &ast.Case{Pos: c.pos(n)}
	var err error
	if n.Value != nil {
		if out.Operand, err = c.expr(n.Value); err != nil {
			return nil, err
		}
	}
	for _, w := range n.WhenClauses {
		cond, err := c.expr(w.Expr)
		if err != nil {
			return nil, err
		}
		res, err := c.expr(w.Result)
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, ast.When{Cond: cond, Result: res})
	}
	if n.ElseClause != nil {
		if out.Else, err = c.expr(n.ElseClause); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *converter) between(n *tast.BetweenExpr) (ast.Expr, error) {
	out := &ast.Between{Pos: c.opPos(n.Left), Not: n.Not}
	lo := n.Left
	if m, f := c.marker(lo, mkSymmetric); m != nil {
		if len(f.Args) != 1 {
			return nil, c.bug(f)
		}
		out.Symmetric, out.Pos, lo = true, ast.At(m.pos), f.Args[0]
	}
	var err error
	if out.X, err = c.expr(n.Expr); err != nil {
		return nil, err
	}
	if out.Lo, err = c.expr(lo); err != nil {
		return nil, err
	}
	out.Hi, err = c.expr(n.Right)
	return out, err
}

func (c *converter) in(n *tast.PatternInExpr) (ast.Expr, error) {
	x, err := c.expr(n.Expr)
	if err != nil {
		return nil, err
	}
	if n.Sel != nil {
		sub, ok := n.Sel.(*tast.SubqueryExpr)
		if !ok {
			return nil, c.bug(n)
		}
		q, err := c.query(sub.Query)
		return &ast.InSubquery{Pos: c.pos(n), X: x, Query: q, Not: n.Not}, err
	}
	list, err := c.exprs(n.List)
	return &ast.InList{Pos: c.pos(n), X: x, List: list, Not: n.Not}, err
}

func (c *converter) like(n *tast.PatternLikeOrIlikeExpr) (ast.Expr, error) {
	m, f := c.marker(n.Pattern, mkLike)
	if m == nil || (m.escape && len(f.Args) != 2) || (!m.escape && len(f.Args) != 1) {
		return nil, c.bug(n)
	}
	out := &ast.Like{Pos: ast.At(m.pos), Not: n.Not, CaseInsensitive: !n.IsLike}
	var err error
	if out.X, err = c.expr(n.Expr); err != nil {
		return nil, err
	}
	if out.Pattern, err = c.expr(f.Args[0]); err != nil {
		return nil, err
	}
	if m.escape {
		out.Escape, err = c.expr(f.Args[1])
	}
	return out, err
}
