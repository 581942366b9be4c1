package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file binds joins: JOIN ... ON, USING and NATURAL, CROSS JOIN and
// comma lists, and moves WHERE conjuncts into inner joins so that
// `FROM a, b WHERE a.x = b.y` runs as a hash join.

var joinKinds = map[ast.JoinKind]plan.JoinKind{
	ast.JoinInner: plan.JoinInner, ast.JoinLeft: plan.JoinLeft, ast.JoinRight: plan.JoinRight,
	ast.JoinFull: plan.JoinFull, ast.JoinCross: plan.JoinCross,
}

func (b *Binder) bindJoin(j *ast.Join) (plan.Node, *scope, error) {
	kind, ok := joinKinds[j.Kind]
	if !ok {
		return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, j.Off, "unsupported join type")
	}
	left, lsc, err := b.bindFrom(j.Left)
	if err != nil {
		return nil, nil, err
	}
	right, rsc, err := b.bindFrom(j.Right)
	if err != nil {
		return nil, nil, err
	}
	leftTables := map[string]bool{}
	for _, t := range lsc.tables() {
		leftTables[t] = true
	}
	for _, t := range rsc.tables() {
		if leftTables[t] {
			return nil, nil, sqlerr.At(sqlerr.DuplicateAlias, j.Right.Position(), "table name %q specified more than once", t)
		}
	}
	if j.Natural || len(j.Using) > 0 {
		return b.bindUsingJoin(j, kind, left, right, lsc, rsc)
	}
	sc := joinScope(lsc, rsc)
	sc.outer = b.outer
	var on plan.Expr
	if j.On != nil {
		if on, err = b.bindPredicate(j.On, sc, "JOIN/ON"); err != nil {
			return nil, nil, err
		}
	}
	return plan.NewJoin(kind, left, right, on, keyable(len(lsc.cols))), sc, nil
}

// joinScope is the scope of a join's output: left columns then right.
func joinScope(l, r *scope) *scope {
	cols := make([]scopeCol, 0, len(l.cols)+len(r.cols))
	cols = append(cols, l.cols...)
	cols = append(cols, r.cols...)
	return &scope{cols: cols, eventTime: -1}
}

// bindUsingJoin binds JOIN ... USING (cols) and NATURAL JOIN. As in
// Postgres, the output starts with one merged column per USING name
// (the left value for INNER and LEFT joins, the right one for RIGHT,
// COALESCE of both for FULL, each of the pair's common type), followed
// by every left and right column; the left and right copies of a USING
// column are then reachable only qualified, and * shows the merged one.
func (b *Binder) bindUsingJoin(j *ast.Join, kind plan.JoinKind, left, right plan.Node, lsc, rsc *scope) (plan.Node, *scope, error) {
	names := j.Using
	if j.Natural {
		names = nil
		for _, c := range lsc.cols {
			if c.qualOnly || c.hidden || contains(names, c.name) {
				continue
			}
			if _, n := findUnqualified(rsc, c.name); n > 0 {
				names = append(names, c.name)
			}
		}
	}
	sc := joinScope(lsc, rsc)
	nl := len(lsc.cols)
	var conds []plan.Expr
	proj := &plan.Project{}
	out := &scope{eventTime: -1, outer: b.outer}
	usedL, usedR := map[int]bool{}, map[int]bool{}
	for k, name := range names {
		if contains(names[:k], name) {
			return nil, nil, sqlerr.At(sqlerr.DuplicateColumn, j.Off, "column name %q appears more than once in USING clause", name)
		}
		li, n := findUnqualified(lsc, name)
		switch {
		case n == 0:
			return nil, nil, sqlerr.At(sqlerr.UndefinedColumn, j.Off, "column %q specified in USING clause does not exist in left table", name)
		case n > 1:
			return nil, nil, sqlerr.At(sqlerr.AmbiguousColumn, j.Off, "common column name %q appears more than once in left table", name)
		}
		ri, n := findUnqualified(rsc, name)
		switch {
		case n == 0:
			return nil, nil, sqlerr.At(sqlerr.UndefinedColumn, j.Off, "column %q specified in USING clause does not exist in right table", name)
		case n > 1:
			return nil, nil, sqlerr.At(sqlerr.AmbiguousColumn, j.Off, "common column name %q appears more than once in right table", name)
		}
		usedL[li], usedR[ri] = true, true
		l := &plan.ColRef{Idx: li, Typ: lsc.cols[li].typ, Name: name}
		r := &plan.ColRef{Idx: nl + ri, Typ: rsc.cols[ri].typ, Name: name}
		t, err := b.commonType([]plan.Expr{l, r}, j.Off, "JOIN/USING")
		if err != nil {
			return nil, nil, err
		}
		eq, err := b.callFn("=", []plan.Expr{l, r}, []int{j.Off, j.Off}, j.Off, "=")
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		lc, err := b.coerce(l, t, j.Off)
		if err != nil {
			return nil, nil, err
		}
		rc, err := b.coerce(r, t, j.Off)
		if err != nil {
			return nil, nil, err
		}
		var merged plan.Expr
		switch kind {
		case plan.JoinRight:
			merged = rc
		case plan.JoinFull:
			merged = &plan.Coalesce{Args: []plan.Expr{lc, rc}, Typ: t}
		default:
			merged = lc
		}
		proj.Exprs = append(proj.Exprs, merged)
		proj.Names = append(proj.Names, name)
		proj.Hidden = append(proj.Hidden, false)
		out.cols = append(out.cols, scopeCol{name: name, typ: t})
	}
	if len(names) == 0 && kind == plan.JoinInner {
		kind = plan.JoinCross
	}
	join := plan.NewJoin(kind, left, right, plan.AndOf(conds), keyable(nl))
	proj.Input = join
	for i, c := range sc.cols {
		if i < nl {
			c.qualOnly = c.qualOnly || usedL[i]
		} else {
			c.qualOnly = c.qualOnly || usedR[i-nl]
		}
		proj.Exprs = append(proj.Exprs, &plan.ColRef{Idx: i, Typ: c.typ, Name: c.name})
		proj.Names = append(proj.Names, c.name)
		proj.Hidden = append(proj.Hidden, c.hidden)
		out.cols = append(out.cols, c)
	}
	return proj, out, nil
}

// findUnqualified returns the column an unqualified name reaches in sc
// and how many columns it could mean.
func findUnqualified(sc *scope, name string) (int, int) {
	idx, n := -1, 0
	for i, c := range sc.cols {
		if c.name == name && !c.qualOnly {
			if idx < 0 {
				idx = i
			}
			n++
		}
	}
	return idx, n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// keyClass groups the types whose rowcodec encodings agree exactly when
// Postgres's = says two values are equal, after the implicit casts
// between them; types outside any class (intervals, whose '1 day' equals
// '24 hours', jsonb, arrays) are never hash keys.
func keyClass(t types.Type) types.Kind {
	switch {
	case t.IsInteger() || t.Kind == types.Oid:
		return types.Int64
	case t.IsFloat():
		return types.Float64
	case t.IsString():
		return types.Text
	case t.IsTimestamp():
		return types.Timestamp
	case t.Kind == types.Bool, t.Kind == types.Date, t.Kind == types.Bytea:
		return t.Kind
	}
	return types.Unknown
}

// keyCol accepts a column reference, possibly under a cast that keeps
// its key class, and returns its ordinal and type.
func keyCol(e plan.Expr) (int, types.Type, bool) {
	if c, ok := e.(*plan.Cast); ok {
		col, ok := c.X.(*plan.ColRef)
		if !ok || keyClass(col.Typ) != keyClass(c.To) {
			return 0, types.Type{}, false
		}
		return col.Idx, col.Typ, true
	}
	if col, ok := e.(*plan.ColRef); ok {
		return col.Idx, col.Typ, true
	}
	return 0, types.Type{}, false
}

// keyable returns the test plan.NewJoin uses to find equi-keys in a
// condition over a join whose left input has leftWidth columns.
func keyable(leftWidth int) func(plan.Expr) (int, int, bool) {
	return func(c plan.Expr) (int, int, bool) {
		call, ok := c.(*plan.Call)
		if !ok || call.Fn.Name != "=" || len(call.Args) != 2 {
			return 0, 0, false
		}
		a, at, ok1 := keyCol(call.Args[0])
		z, zt, ok2 := keyCol(call.Args[1])
		if !ok1 || !ok2 || keyClass(at) == types.Unknown || keyClass(at) != keyClass(zt) {
			return 0, 0, false
		}
		switch {
		case a < leftWidth && z >= leftWidth:
			return a, z - leftWidth, true
		case z < leftWidth && a >= leftWidth:
			return z, a - leftWidth, true
		}
		return 0, 0, false
	}
}

// pushWhere moves WHERE conjuncts into a tree of inner and cross joins:
// a conjunct that compares columns of both sides of some inner join of
// the tree joins that join's condition (where it may become a hash key),
// which is exact for inner joins. It returns the new tree and the
// conjuncts that stay in WHERE: those over one input only (pushing them
// below a join is an optimizer rewrite, and the streaming lowering
// expects a join's table side to be a bare scan), those with subqueries
// and those with no column at all.
func pushWhere(n plan.Node, conj []plan.Expr) (plan.Node, []plan.Expr) {
	j, ok := n.(*plan.Join)
	if !ok || (j.Kind != plan.JoinInner && j.Kind != plan.JoinCross) {
		return n, conj
	}
	nl := len(j.Left.Schema())
	var keep, toLeft, toRight, here []plan.Expr
	for _, c := range conj {
		cols := plan.Columns(c)
		if len(cols) == 0 || plan.ContainsSubquery(c) || !attachable(n, cols) {
			keep = append(keep, c)
			continue
		}
		switch l, r := countSides(cols, nl); {
		case r == 0:
			toLeft = append(toLeft, c)
		case l == 0:
			toRight = append(toRight, shiftCols(c, -nl))
		default:
			here = append(here, c)
		}
	}
	if len(toLeft)+len(toRight)+len(here) == 0 {
		return n, keep
	}
	left, _ := pushWhere(j.Left, toLeft)
	right, _ := pushWhere(j.Right, toRight)
	var on []plan.Expr
	if j.On != nil {
		on = plan.Conjuncts(j.On)
	}
	on = append(on, here...)
	kind := j.Kind
	if kind == plan.JoinCross && len(on) > 0 {
		kind = plan.JoinInner
	}
	return plan.NewJoin(kind, left, right, plan.AndOf(on), keyable(nl)), keep
}

// attachable reports whether columns cols of n span both sides of an
// inner or cross join somewhere in n's tree of such joins.
func attachable(n plan.Node, cols []int) bool {
	j, ok := n.(*plan.Join)
	if !ok || (j.Kind != plan.JoinInner && j.Kind != plan.JoinCross) {
		return false
	}
	nl := len(j.Left.Schema())
	switch l, r := countSides(cols, nl); {
	case l > 0 && r > 0:
		return true
	case r == 0:
		return attachable(j.Left, cols)
	}
	shifted := make([]int, len(cols))
	for i, c := range cols {
		shifted[i] = c - nl
	}
	return attachable(j.Right, shifted)
}

// countSides counts the columns below and at or above nl.
func countSides(cols []int, nl int) (l, r int) {
	for _, c := range cols {
		if c < nl {
			l++
		} else {
			r++
		}
	}
	return l, r
}

// shiftCols renumbers the column references of e by delta.
func shiftCols(e plan.Expr, delta int) plan.Expr {
	return plan.Rewrite(e, func(x plan.Expr) plan.Expr {
		if c, ok := x.(*plan.ColRef); ok {
			return &plan.ColRef{Idx: c.Idx + delta, Typ: c.Typ, Name: c.Name}
		}
		return x
	})
}
