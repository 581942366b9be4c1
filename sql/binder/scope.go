package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// outerLink connects a subquery to the query that encloses it. sc is the
// enclosing query's scope at the point where the subquery appears; args
// collects the enclosing expressions the subquery reads (its correlation),
// and the subquery's plan reads them as OuterRef{Slot: i}. A reference
// two levels out first becomes an OuterRef of the middle query, which the
// inner subquery then captures as one of its own args: correlation is
// always one level deep and explicit in plan.Subquery.Args.
type outerLink struct {
	sc   *scope
	args []plan.Expr
}

// add returns the slot of x in the link's args, adding it if new.
func (l *outerLink) add(x plan.Expr) int {
	for i, a := range l.args {
		if plan.Equal(a, x) {
			return i
		}
	}
	l.args = append(l.args, x)
	return len(l.args) - 1
}

// bindColumn binds a column reference: a column of sc, or else (in a
// subquery) a column of an enclosing query, which becomes an OuterRef.
// Postgres looks in the innermost scope first; an ambiguous name there is
// an error even if an outer scope would resolve it.
func (b *Binder) bindColumn(ref *ast.ColumnRef, sc *scope) (plan.Expr, error) {
	i, err := sc.resolve(ref)
	if err == nil {
		x := &plan.ColRef{Idx: i, Typ: sc.cols[i].typ, Name: sc.cols[i].name}
		b.colPos[x] = ref.Off
		return x, nil
	}
	if sc.outer == nil || !notFound(err) {
		return nil, err
	}
	x, oerr := b.bindColumn(ref, sc.outer.sc)
	if oerr != nil {
		if notFound(oerr) {
			return nil, err
		}
		return nil, oerr
	}
	slot := sc.outer.add(x)
	return &plan.OuterRef{Slot: slot, Typ: x.Type(), Name: ref.Name()}, nil
}

func notFound(err error) bool {
	c := sqlerr.CodeOf(err)
	return c == sqlerr.UndefinedColumn || c == sqlerr.UndefinedTable
}

// tables returns the distinct non-empty relation names of a scope.
func (sc *scope) tables() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range sc.cols {
		if c.table != "" && !seen[c.table] {
			seen[c.table] = true
			out = append(out, c.table)
		}
	}
	return out
}
