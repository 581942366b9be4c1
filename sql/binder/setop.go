package binder

import (
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds WITH (non-recursive CTEs) and the set operations
// UNION, INTERSECT and EXCEPT.

// cteBinding is a WITH query visible to the query being bound.
type cteBinding struct {
	name string
	id   int
	cols types.Schema
}

// withCTEs binds the WITH queries ctes (each sees the ones before it),
// then body, and wraps body's plan in a plan.With that defines them.
func (b *Binder) withCTEs(ctes []ast.CTE, body func() (plan.Node, error)) (plan.Node, error) {
	if len(ctes) == 0 {
		return body()
	}
	depth := len(b.ctes)
	defer func() { b.ctes = b.ctes[:depth] }()
	defs := make([]*plan.CTEDef, 0, len(ctes))
	seen := map[string]bool{}
	for _, c := range ctes {
		if seen[c.Name] {
			return nil, sqlerr.At(sqlerr.DuplicateAlias, c.Off, "WITH query name %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		n, err := b.bindQuery(c.Query)
		if err != nil {
			return nil, err
		}
		n = b.textUnknowns(n)
		vis := n.Schema().Visible()
		if len(c.Columns) > len(vis) {
			return nil, sqlerr.At(sqlerr.InvalidColumnReference, c.Off, "WITH query %q has %d columns available but %d columns specified", c.Name, len(vis), len(c.Columns))
		}
		cols := append(types.Schema{}, n.Schema()...)
		for i, name := range c.Columns {
			cols[vis[i]].Name = name
		}
		for i := range cols {
			cols[i].Nullable = true
		}
		b.lastID++
		id := b.lastID
		defs = append(defs, &plan.CTEDef{ID: id, Name: c.Name, Plan: n})
		b.ctes = append(b.ctes, &cteBinding{name: c.Name, id: id, cols: cols})
	}
	n, err := body()
	if err != nil {
		return nil, err
	}
	return &plan.With{CTEs: defs, Input: n}, nil
}

// lookupCTE finds the innermost visible WITH query named name.
func (b *Binder) lookupCTE(name string) *cteBinding {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if b.ctes[i].name == name {
			return b.ctes[i]
		}
	}
	return nil
}

// textUnknowns resolves output columns of unknown type (untyped literals
// and NULLs) to text, as Postgres does for a subquery's outputs. An
// untyped element of an array carried as text (x[i], unnest(indkey))
// stays untyped: it stands for a value of the array's element type,
// which a real array would give it (see srf.go).
func (b *Binder) textUnknowns(n plan.Node) plan.Node {
	s := n.Schema()
	ts := make([]types.Type, len(s))
	found := false
	for i, c := range s {
		ts[i] = c.Type
		if c.Type.Kind == types.Unknown && !arrayElement(n, i) {
			ts[i], found = types.TextType, true
		}
	}
	if !found {
		return n
	}
	out, err := b.coerceOutputs(n, ts, -1)
	if err != nil {
		// Unknown to text cannot fail.
		panic("BUG: textUnknowns: " + err.Error())
	}
	return out
}

// coerceOutputs returns n with its visible columns converted to ts
// (hidden columns are dropped when a conversion is needed). The select
// list of a plain SELECT is coerced in place, so untyped literals take
// the target type directly, as in Postgres.
func (b *Binder) coerceOutputs(n plan.Node, ts []types.Type, pos int) (plan.Node, error) {
	s := n.Schema()
	vis := s.Visible()
	same := len(vis) == len(s)
	for i, c := range vis {
		same = same && s[c].Type == ts[i]
	}
	if same {
		return n, nil
	}
	if p, ok := n.(*plan.Project); ok && len(vis) == len(s) {
		c := &plan.Project{Input: p.Input, Names: p.Names, Hidden: p.Hidden, Exprs: make([]plan.Expr, len(p.Exprs))}
		for i, e := range p.Exprs {
			x, err := b.coerceOutput(e, ts[i], pos)
			if err != nil {
				return nil, err
			}
			c.Exprs[i] = x
		}
		return c, nil
	}
	if v, ok := n.(*plan.Values); ok {
		c := &plan.Values{Rows: make([][]plan.Expr, len(v.Rows)), Cols: append(types.Schema{}, v.Cols...)}
		for i, r := range v.Rows {
			c.Rows[i] = make([]plan.Expr, len(r))
			for j, e := range r {
				x, err := b.coerceOutput(e, ts[j], pos)
				if err != nil {
					return nil, err
				}
				c.Rows[i][j] = x
			}
		}
		for j := range c.Cols {
			c.Cols[j].Type = ts[j]
		}
		return c, nil
	}
	p := &plan.Project{Input: n}
	for i, c := range vis {
		x, err := b.coerceOutput(&plan.ColRef{Idx: c, Typ: s[c].Type, Name: s[c].Name}, ts[i], pos)
		if err != nil {
			return nil, err
		}
		p.Exprs = append(p.Exprs, x)
		p.Names = append(p.Names, s[c].Name)
		p.Hidden = append(p.Hidden, false)
	}
	return p, nil
}

func (b *Binder) coerceOutput(x plan.Expr, t types.Type, pos int) (plan.Expr, error) {
	if !isUntyped(x) && x.Type().Kind == types.Unknown {
		// An untyped expression that is not a literal or a parameter
		// (a NULL passed through a subquery): its values are text.
		return &plan.Cast{X: x, To: t, Kernel: scalar.CastValue}, nil
	}
	return b.coerce(x, t, pos)
}

// bindSetOp binds left UNION|INTERSECT|EXCEPT [ALL] right with the ORDER
// BY and LIMIT that apply to the whole result.
func (b *Binder) bindSetOp(q *ast.SetOp) (plan.Node, error) {
	kind := map[ast.SetOpKind]plan.SetOpKind{ast.Union: plan.Union, ast.Intersect: plan.Intersect, ast.Except: plan.Except}[q.Kind]
	if kind == 0 {
		return nil, sqlerr.At(sqlerr.FeatureNotSupported, q.Off, "unsupported set operation")
	}
	left, err := b.bindQuery(q.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.bindQuery(q.Right)
	if err != nil {
		return nil, err
	}
	ls, rs := left.Schema(), right.Schema()
	lv, rv := ls.Visible(), rs.Visible()
	rpos := q.Right.Position()
	if len(lv) != len(rv) {
		return nil, sqlerr.At(sqlerr.SyntaxError, rpos, "each %s query must have the same number of columns", kind)
	}
	ts := make([]types.Type, len(lv))
	for i := range lv {
		l := &plan.ColRef{Idx: lv[i], Typ: ls[lv[i]].Type}
		r := &plan.ColRef{Idx: rv[i], Typ: rs[rv[i]].Type}
		if ts[i], err = b.commonType([]plan.Expr{l, r}, rpos, kind.String()); err != nil {
			return nil, err
		}
	}
	if left, err = b.coerceOutputs(left, ts, q.Left.Position()); err != nil {
		return nil, err
	}
	if right, err = b.coerceOutputs(right, ts, rpos); err != nil {
		return nil, err
	}
	var out plan.Node = &plan.SetOp{Kind: kind, All: q.All, Left: left, Right: right}
	if len(q.OrderBy) > 0 {
		keys, err := setOpOrder(q.OrderBy, out.Schema())
		if err != nil {
			return nil, err
		}
		out = &plan.Sort{Input: out, Keys: keys}
	}
	return b.bindLimit(out, q.Limit, q.Offset)
}

// setOpOrder binds the ORDER BY of a set operation: only output column
// positions and names are allowed, as in Postgres.
func setOpOrder(order []ast.OrderItem, s types.Schema) ([]plan.SortKey, error) {
	keys := make([]plan.SortKey, 0, len(order))
	for _, o := range order {
		col := -1
		switch e := o.Expr.(type) {
		case *ast.Literal:
			if e.Kind == ast.LitInt {
				n, err := selectPosition(e, len(s), "ORDER BY")
				if err != nil {
					return nil, err
				}
				col = n
			}
		case *ast.ColumnRef:
			if len(e.Parts) == 1 {
				for i, c := range s {
					if c.Name != e.Name() || c.Hidden {
						continue
					}
					if col >= 0 {
						return nil, sqlerr.At(sqlerr.AmbiguousColumn, e.Off, "ORDER BY %q is ambiguous", e.Name())
					}
					col = i
				}
				if col < 0 {
					return nil, sqlerr.At(sqlerr.UndefinedColumn, e.Off, "column %q does not exist", e.Name())
				}
			}
		}
		if col < 0 {
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, o.Expr.Position(), "invalid UNION/INTERSECT/EXCEPT ORDER BY clause").
				WithDetail("Only result column names can be used, not expressions or functions.")
		}
		k := plan.SortKey{Col: col, Desc: o.Desc, NullsFirst: o.Desc}
		switch o.Nulls {
		case ast.NullsFirst:
			k.NullsFirst = true
		case ast.NullsLast:
			k.NullsFirst = false
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// bindLimit adds LIMIT / OFFSET over n.
func (b *Binder) bindLimit(n plan.Node, limit, offset ast.Expr) (plan.Node, error) {
	if limit == nil && offset == nil {
		return n, nil
	}
	l := &plan.Limit{Input: n, Count: -1}
	var err error
	if limit != nil {
		if l.Count, err = b.constInt(limit, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if offset != nil {
		if l.Offset, err = b.constInt(offset, "OFFSET"); err != nil {
			return nil, err
		}
		if l.Offset < 0 {
			l.Offset = 0
		}
	}
	return l, nil
}
