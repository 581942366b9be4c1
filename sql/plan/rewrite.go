package plan

import (
	"fmt"

	"github.com/tocsin-db/tocsin/sql/types"
)

// NodeExprs returns the expressions a node evaluates itself (not those of
// its children).
func NodeExprs(n Node) []Expr {
	switch n := n.(type) {
	case *Filter:
		return []Expr{n.Pred}
	case *Project:
		return n.Exprs
	case *Values:
		var out []Expr
		for _, r := range n.Rows {
			out = append(out, r...)
		}
		return out
	case *Join:
		if n.On != nil {
			return []Expr{n.On}
		}
	case *SetFunc:
		return n.Args
	case *ProjectSet:
		return n.SRFArgs()
	}
	return nil
}

// MapExprs returns a copy of the plan rooted at n in which every node's
// expressions are replaced by f's result, children first. Nodes without
// expressions are copied too, so the result shares no node with n that
// MapExprs visited. f sees each expression tree once (it does not
// descend into them; use Rewrite for that).
func MapExprs(n Node, f func(Expr) Expr) Node {
	mapList := func(es []Expr) []Expr {
		out := make([]Expr, len(es))
		for i, e := range es {
			out[i] = f(e)
		}
		return out
	}
	switch n := n.(type) {
	case *Scan, *CTEScan:
		return n
	case *WindowTVF:
		c := *n
		c.Input = MapExprs(n.Input, f)
		return &c
	case *Filter:
		return &Filter{Input: MapExprs(n.Input, f), Pred: f(n.Pred)}
	case *Project:
		c := *n
		c.Input = MapExprs(n.Input, f)
		c.Exprs = mapList(n.Exprs)
		return &c
	case *Aggregate:
		c := *n
		c.Input = MapExprs(n.Input, f)
		return &c
	case *Sort:
		c := *n
		c.Input = MapExprs(n.Input, f)
		return &c
	case *Limit:
		c := *n
		c.Input = MapExprs(n.Input, f)
		return &c
	case *Values:
		c := *n
		c.Rows = make([][]Expr, len(n.Rows))
		for i, r := range n.Rows {
			c.Rows[i] = mapList(r)
		}
		return &c
	case *Join:
		c := *n
		c.Left, c.Right = MapExprs(n.Left, f), MapExprs(n.Right, f)
		if n.On != nil {
			// Rebuild the split form from the mapped condition, keeping
			// the equi-keys (f keeps column references).
			c.On = f(n.On)
			if n.Residual != nil {
				c.Residual = f(n.Residual)
			}
		}
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = MapExprs(n.Left, f), MapExprs(n.Right, f)
		return &c
	case *Window:
		c := *n
		c.Input = MapExprs(n.Input, f)
		return &c
	case *With:
		c := &With{Input: MapExprs(n.Input, f), CTEs: make([]*CTEDef, len(n.CTEs))}
		for i, d := range n.CTEs {
			c.CTEs[i] = &CTEDef{ID: d.ID, Name: d.Name, Plan: MapExprs(d.Plan, f)}
		}
		return c
	case *CTEDef:
		return &CTEDef{ID: n.ID, Name: n.Name, Plan: MapExprs(n.Plan, f)}
	case *SetFunc:
		c := *n
		c.Args = mapList(n.Args)
		return &c
	case *ProjectSet:
		c := &ProjectSet{Input: MapExprs(n.Input, f), Funcs: make([]*SRFCall, len(n.Funcs))}
		for i, fn := range n.Funcs {
			x := *fn
			x.Args = mapList(fn.Args)
			c.Funcs[i] = &x
		}
		return c
	}
	panic(fmt.Sprintf("BUG: MapExprs: unknown plan node %T", n))
}

// SubstituteOuter returns the plan of a correlated subquery with each
// OuterRef{Slot: i} replaced by the constant vals[i]. It rewrites the
// arguments of nested subqueries (which are expressions of this scope)
// but not their plans (whose OuterRefs belong to them).
func SubstituteOuter(n Node, vals []types.Datum) Node {
	return MapExprs(n, func(e Expr) Expr {
		return Rewrite(e, func(x Expr) Expr {
			if o, ok := x.(*OuterRef); ok {
				d := vals[o.Slot]
				d.Type = o.Typ
				return &Const{Val: d}
			}
			return x
		})
	})
}

// FreeCTEs returns the IDs of the CTEs that n's plan (including its
// subquery plans) reads but does not define.
func FreeCTEs(n Node) []int {
	defined := map[int]bool{}
	var used []int
	var walk func(n Node)
	walk = func(n Node) {
		switch x := n.(type) {
		case *CTEDef:
			defined[x.ID] = true
		case *CTEScan:
			used = append(used, x.ID)
		}
		for _, sq := range subqueriesOf(n) {
			walk(sq.Plan)
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	var out []int
	for _, id := range used {
		if !defined[id] {
			out = append(out, id)
		}
	}
	return out
}
