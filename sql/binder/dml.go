package binder

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// table resolves a DML target, which must be a table.
func (b *Binder) table(name ast.Ident, verb string) (*catalog.Object, error) {
	obj, err := b.cat.Relation(name)
	if err != nil {
		return nil, err
	}
	if obj.Kind != catalog.KindTable {
		return nil, sqlerr.At(sqlerr.WrongObjectType, name.Off, "cannot %s %s %q: only tables can be changed", verb, obj.Kind, obj.Name).
			WithHint("Sources and materialized views are maintained from their inputs.")
	}
	return obj, nil
}

// assign converts x to a table column's type with Postgres's assignment
// rules: implicit casts, assignment casts (numeric narrowing, anything to
// text), and untyped literals.
func (b *Binder) assign(x plan.Expr, col types.Column, pos int) (plan.Expr, error) {
	from := x.Type()
	if from == col.Type || from.Kind == types.Unknown || types.ImplicitCast(from, col.Type) {
		return b.cast(x, col.Type, pos)
	}
	if c, ok := b.reg.LookupCast(from, col.Type); ok && c.Context >= functions.CastAssignment {
		return b.cast(x, col.Type, pos)
	}
	if from.IsString() && col.Type.IsString() {
		return b.cast(x, col.Type, pos)
	}
	return nil, sqlerr.At(sqlerr.DatatypeMismatch, pos, "column %q is of type %s but expression is of type %s", col.Name, col.Type, from).
		WithHint("You will need to rewrite or cast the expression.")
}

// BindInsert binds INSERT INTO t [(cols)] VALUES ... | SELECT ...
func (b *Binder) BindInsert(st *ast.Insert) (*plan.Insert, error) {
	t, err := b.table(st.Table, "insert into")
	if err != nil {
		return nil, err
	}
	cols := make([]int, 0, len(t.Schema))
	if len(st.Columns) == 0 {
		for i := range t.Schema {
			cols = append(cols, i)
		}
	} else {
		seen := map[int]bool{}
		for _, name := range st.Columns {
			i := t.Schema.Index(name)
			if i < 0 {
				return nil, sqlerr.At(sqlerr.UndefinedColumn, st.Off, "column %q of relation %q does not exist", name, t.Name)
			}
			if seen[i] {
				return nil, sqlerr.At(sqlerr.DuplicateColumn, st.Off, "column %q specified more than once", name)
			}
			seen[i] = true
			cols = append(cols, i)
		}
	}
	// INSERT ... VALUES types each value by its target column, as
	// Postgres does, so '250' or NULL need no cast.
	if v, ok := st.Query.(*ast.Values); ok {
		return b.bindInsertValues(t, cols, v)
	}
	src, err := b.BindQuery(st.Query)
	if err != nil {
		return nil, err
	}
	out := src.Schema().Visible()
	switch {
	case len(out) > len(cols):
		return nil, sqlerr.At(sqlerr.SyntaxError, st.Query.Position(), "INSERT has more expressions than target columns")
	case len(out) < len(cols):
		return nil, sqlerr.At(sqlerr.SyntaxError, st.Query.Position(), "INSERT has more target columns than expressions")
	}
	in := src.Schema()
	proj := &plan.Project{Input: src}
	for i, c := range out {
		x, err := b.assign(&plan.ColRef{Idx: c, Typ: in[c].Type, Name: in[c].Name}, t.Schema[cols[i]], st.Query.Position())
		if err != nil {
			return nil, err
		}
		proj.Exprs = append(proj.Exprs, x)
		proj.Names = append(proj.Names, t.Schema[cols[i]].Name)
		proj.Hidden = append(proj.Hidden, false)
	}
	return &plan.Insert{Table: t, Columns: cols, Source: proj}, nil
}

// BindUpdate binds UPDATE t SET col = expr, ... [WHERE cond].
func (b *Binder) BindUpdate(st *ast.Update) (*plan.Update, error) {
	t, err := b.table(st.Table, "update")
	if err != nil {
		return nil, err
	}
	sc := scopeOf(t.Name, t.Schema)
	u := &plan.Update{Table: t, Set: map[int]plan.Expr{}}
	for _, a := range st.Set {
		i := t.Schema.Index(a.Column)
		if i < 0 {
			return nil, sqlerr.At(sqlerr.UndefinedColumn, a.Off, "column %q of relation %q does not exist", a.Column, t.Name)
		}
		if _, dup := u.Set[i]; dup {
			return nil, sqlerr.At(sqlerr.SyntaxError, a.Off, "multiple assignments to same column %q", a.Column)
		}
		x, err := b.bindExpr(a.Value, sc, nil)
		if err != nil {
			return nil, err
		}
		if u.Set[i], err = b.assign(x, t.Schema[i], a.Value.Position()); err != nil {
			return nil, err
		}
	}
	if st.Where != nil {
		if u.Filter, err = b.bindPredicate(st.Where, sc, "WHERE"); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// BindDelete binds DELETE FROM t [WHERE cond].
func (b *Binder) BindDelete(st *ast.Delete) (*plan.Delete, error) {
	t, err := b.table(st.Table, "delete from")
	if err != nil {
		return nil, err
	}
	d := &plan.Delete{Table: t}
	if st.Where != nil {
		if d.Filter, err = b.bindPredicate(st.Where, scopeOf(t.Name, t.Schema), "WHERE"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (b *Binder) bindInsertValues(t *catalog.Object, cols []int, v *ast.Values) (*plan.Insert, error) {
	empty := &scope{eventTime: -1}
	out := &plan.Values{Cols: make(types.Schema, len(cols))}
	for i, c := range cols {
		out.Cols[i] = types.Column{Name: t.Schema[c].Name, Type: t.Schema[c].Type, Nullable: true}
	}
	for _, row := range v.Rows {
		switch {
		case len(row) > len(cols):
			return nil, sqlerr.At(sqlerr.SyntaxError, row[len(cols)].Position(), "INSERT has more expressions than target columns")
		case len(row) < len(cols):
			return nil, sqlerr.At(sqlerr.SyntaxError, v.Off, "INSERT has more target columns than expressions")
		}
		exprs := make([]plan.Expr, len(row))
		for i, e := range row {
			x, err := b.bindExpr(e, empty, nil)
			if err != nil {
				return nil, err
			}
			if exprs[i], err = b.assign(x, t.Schema[cols[i]], e.Position()); err != nil {
				return nil, err
			}
		}
		out.Rows = append(out.Rows, exprs)
	}
	return &plan.Insert{Table: t, Columns: cols, Source: out}, nil
}
