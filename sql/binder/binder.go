package binder

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Binder binds statements against a catalog and a function registry.
type Binder struct {
	cat catalog.Resolver
	reg *functions.Registry
	// Now is the statement time for constant-folding now().
	Now int64
	// KeepGroupKeys makes an aggregating SELECT carry every GROUP BY key
	// in its output (as a hidden column when the select list omits it),
	// so a materialized view always has a row key.
	KeepGroupKeys bool
	// colPos remembers where each bound column reference was written,
	// for grouping errors found after binding.
	colPos map[*plan.ColRef]int

	// outer links the query being bound to the scope of the query that
	// encloses it, while a subquery expression is bound (nil at top
	// level); see outerLink.
	outer *outerLink
	// ctes is the stack of WITH queries visible to the query being
	// bound, innermost last.
	ctes []*cteBinding
	// lastID numbers subqueries and CTEs within the statement.
	lastID int
	// noWindow, when set, names the clause being bound in which window
	// functions are not allowed (WHERE, GROUP BY, ...).
	noWindow string
	// params holds the statement's $n parameters (params.go); nil when
	// the statement may have none.
	params *paramSet
	// srfOK is set while a select-list item is bound, where a
	// set-returning function may be called (srf.go).
	srfOK bool
	// srfWhere names the construct being bound where set-returning
	// functions are not allowed (CASE, aggregate, ...), for the error.
	srfWhere string
}

// New returns a binder.
func New(cat catalog.Resolver, reg *functions.Registry) *Binder {
	return &Binder{cat: cat, reg: reg, colPos: map[*plan.ColRef]int{}}
}

// scopeCol is a column visible to expressions: its relation's name (or
// alias), its name and its ordinal in the input node.
type scopeCol struct {
	table  string
	name   string
	typ    types.Type
	hidden bool
	// qualOnly marks the two input copies of a USING (or NATURAL) join
	// column: only a qualified reference reaches them and an unqualified
	// * skips them, because the merged column stands for both.
	qualOnly bool
	// fields are the fields of a composite column (a set-returning
	// function's row output by a derived table), nil for other columns.
	fields types.Schema
}

// scope is the set of columns an expression may reference. eventTime
// is the index of the column that carries the input's event time (the
// source's WATERMARK FOR column), or -1. outer, in a subquery, leads to
// the enclosing query's columns.
type scope struct {
	cols      []scopeCol
	eventTime int
	outer     *outerLink
}

func scopeOf(table string, s types.Schema) *scope {
	sc := &scope{cols: make([]scopeCol, len(s)), eventTime: -1}
	for i, c := range s {
		sc.cols[i] = scopeCol{table: table, name: c.Name, typ: c.Type, hidden: c.Hidden}
	}
	return sc
}

// resolve finds a column by (optional) qualifier and name.
func (sc *scope) resolve(ref *ast.ColumnRef) (int, error) {
	if len(ref.Parts) > 2 && ref.Parts[0] != "public" {
		return -1, sqlerr.At(sqlerr.UndefinedColumn, ref.Off, "column %q does not exist", strings.Join(ref.Parts, "."))
	}
	qual, name := ref.Qualifier(), ref.Name()
	found := -1
	for i, c := range sc.cols {
		if c.name != name || (qual != "" && c.table != qual) || (qual == "" && c.qualOnly) {
			continue
		}
		if found >= 0 {
			return -1, sqlerr.At(sqlerr.AmbiguousColumn, ref.Off, "column reference %q is ambiguous", name)
		}
		found = i
	}
	if found < 0 {
		if qual != "" {
			known := false
			for _, c := range sc.cols {
				known = known || c.table == qual
			}
			if !known {
				return -1, sqlerr.At(sqlerr.UndefinedTable, ref.Off, "missing FROM-clause entry for table %q", qual)
			}
			return -1, sqlerr.At(sqlerr.UndefinedColumn, ref.Off, "column %s.%s does not exist", qual, name)
		}
		return -1, sqlerr.At(sqlerr.UndefinedColumn, ref.Off, "column %q does not exist", name)
	}
	return found, nil
}

// BindQuery binds a query into a plan.
func (b *Binder) BindQuery(q ast.Query) (plan.Node, error) {
	return b.bindQuery(q)
}

// bindQuery binds a query at any nesting level: the statement, a
// subquery in FROM, a subquery expression, a CTE or a set operation's
// operand. Outer references go through b.outer.
func (b *Binder) bindQuery(q ast.Query) (plan.Node, error) {
	switch q := q.(type) {
	case *ast.Select:
		return b.withCTEs(q.With, func() (plan.Node, error) { return b.bindSelect(q) })
	case *ast.SetOp:
		return b.withCTEs(q.With, func() (plan.Node, error) { return b.bindSetOp(q) })
	case *ast.Values:
		return b.bindValues(q)
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported query")
}

// BindScalar binds a standalone expression over the columns of schema
// (the relation named table), e.g. a source's watermark expression.
func (b *Binder) BindScalar(e ast.Expr, table string, s types.Schema) (plan.Expr, error) {
	return b.bindExpr(e, scopeOf(table, s), nil)
}

func (b *Binder) bindValues(v *ast.Values) (plan.Node, error) {
	if len(v.Rows) == 0 {
		return nil, sqlerr.At(sqlerr.SyntaxError, v.Off, "VALUES must have at least one row")
	}
	empty := &scope{eventTime: -1, outer: b.outer}
	rows := make([][]plan.Expr, len(v.Rows))
	width := len(v.Rows[0])
	for i, r := range v.Rows {
		if len(r) != width {
			return nil, sqlerr.At(sqlerr.SyntaxError, v.Off, "VALUES lists must all be the same length")
		}
		rows[i] = make([]plan.Expr, width)
		for j, e := range r {
			x, err := b.bindExpr(e, empty, nil)
			if err != nil {
				return nil, err
			}
			rows[i][j] = x
		}
	}
	cols := make(types.Schema, width)
	for j := range cols {
		t := types.UnknownType
		for i := range rows {
			if rt := rows[i][j].Type(); rt.Kind != types.Unknown {
				if t.Kind == types.Unknown {
					t = rt
				} else if c, ok := types.Comparable(t, rt); ok {
					t = c
				} else {
					return nil, sqlerr.At(sqlerr.DatatypeMismatch, v.Off, "VALUES types %s and %s cannot be matched", t, rt)
				}
			}
		}
		if t.Kind == types.Unknown {
			t = types.TextType
		}
		for i := range rows {
			x, err := b.coerce(rows[i][j], t, v.Off)
			if err != nil {
				return nil, err
			}
			rows[i][j] = x
		}
		cols[j] = types.Column{Name: "column" + itoa(j+1), Type: t, Nullable: true}
	}
	return &plan.Values{Rows: rows, Cols: cols}, nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
