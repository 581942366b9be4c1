package binder

import (
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// bindFrom binds a FROM item into a node and the scope its columns form.
func (b *Binder) bindFrom(t ast.TableExpr) (plan.Node, *scope, error) {
	switch t := t.(type) {
	case *ast.TableName:
		if len(t.Name.Parts) == 1 {
			if cte := b.lookupCTE(t.Name.Name()); cte != nil {
				name := t.Alias
				if name == "" {
					name = cte.name
				}
				return &plan.CTEScan{ID: cte.id, Name: cte.name, Alias: t.Alias, Cols: cte.cols}, scopeOf(name, cte.cols), nil
			}
		}
		obj, err := b.cat.Relation(t.Name)
		if err != nil {
			return nil, nil, err
		}
		name := t.Alias
		if name == "" {
			name = t.Name.Name()
		}
		scan := &plan.Scan{Rel: obj, Alias: t.Alias}
		sc := scopeOf(name, obj.Schema)
		if obj.Source != nil {
			sc.eventTime = obj.Source.EventTime
		}
		return scan, sc, nil
	case *ast.TableFunc:
		switch t.Name {
		case "tumble", "hop":
			return b.bindWindowTVF(t)
		case "session":
			return b.bindSessionTVF(t)
		}
		if fns := scalar.SetFuncs(t.Name); fns != nil {
			return b.bindSetFunc(t)
		}
		if b.reg.HasScalar(t.Name) {
			return b.bindScalarFrom(t)
		}
		return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, t.Off, "table function %s in FROM is not supported", t.Name)
	case *ast.Subquery:
		if t.Lateral {
			return nil, nil, sqlerr.At(sqlerr.FeatureNotSupported, t.Off, "LATERAL subqueries are not supported")
		}
		// A derived table sees the enclosing queries' columns (b.outer)
		// but not its sibling FROM items.
		n, err := b.bindQuery(t.Query)
		if err != nil {
			return nil, nil, err
		}
		n = b.textUnknowns(n)
		sc := scopeOf(t.Alias, n.Schema())
		for i := range sc.cols {
			sc.cols[i].fields = compositeFields(n, i)
		}
		return n, sc, nil
	case *ast.Join:
		return b.bindJoin(t)
	}
	return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported FROM item")
}

// bindWindowTVF binds TUMBLE(rel, ts, size [, offset]) and
// HOP(rel, ts, slide, size [, offset]).
func (b *Binder) bindWindowTVF(t *ast.TableFunc) (plan.Node, *scope, error) {
	kind := plan.Tumble
	min, max := 3, 4
	if t.Name == "hop" {
		kind, min, max = plan.Hop, 4, 5
	}
	if len(t.Args) < min || len(t.Args) > max {
		return nil, nil, sqlerr.At(sqlerr.UndefinedFunction, t.Off, "%s expects %d to %d arguments, got %d", kind, min, max, len(t.Args))
	}
	relRef, ok := t.Args[0].(*ast.ColumnRef)
	if !ok {
		return nil, nil, sqlerr.At(sqlerr.SyntaxError, t.Args[0].Position(), "the first argument of %s must be a relation name", kind)
	}
	rel := ast.Ident{Pos: relRef.Pos, Parts: relRef.Parts}
	input, relScope, err := b.bindFrom(&ast.TableName{Pos: relRef.Pos, Name: rel})
	if err != nil {
		return nil, nil, err
	}
	tsRef, ok := t.Args[1].(*ast.ColumnRef)
	if !ok {
		return nil, nil, sqlerr.At(sqlerr.SyntaxError, t.Args[1].Position(), "the second argument of %s must be a column of %s", kind, rel.Name())
	}
	timeCol, err := relScope.resolve(tsRef)
	if err != nil {
		return nil, nil, err
	}
	if tt := relScope.cols[timeCol].typ; !tt.IsTimestamp() {
		return nil, nil, sqlerr.At(sqlerr.DatatypeMismatch, tsRef.Off, "%s time column %q must be a timestamp, not %s", kind, tsRef.Name(), tt)
	}
	durations := make([]int64, 0, 3)
	for _, a := range t.Args[2:] {
		d, err := b.constDuration(a, kind)
		if err != nil {
			return nil, nil, err
		}
		durations = append(durations, d)
	}
	var size, slide, offset int64
	if kind == plan.Tumble {
		size = durations[0]
		slide = size
		if len(durations) > 1 {
			offset = durations[1]
		}
	} else {
		slide, size = durations[0], durations[1]
		if len(durations) > 2 {
			offset = durations[2]
		}
		if size%slide != 0 {
			return nil, nil, sqlerr.At(sqlerr.InvalidParameterValue, t.Args[3].Position(),
				"HOP window size %s must be a multiple of its slide %s", types.IntervalValue{Micros: size}, types.IntervalValue{Micros: slide})
		}
	}
	if size <= 0 || slide <= 0 {
		return nil, nil, sqlerr.At(sqlerr.InvalidParameterValue, t.Args[2].Position(), "%s window sizes must be positive", kind)
	}
	// An offset shifts window boundaries; only its remainder modulo the
	// slide matters.
	offset = ((offset % slide) + slide) % slide
	w := plan.NewWindowTVF(input, kind, timeCol, size, slide, offset)
	name := t.Alias
	if name == "" {
		name = rel.Name()
	}
	sc := scopeOf(name, w.Schema())
	sc.eventTime = relScope.eventTime
	return w, sc, nil
}

// constDuration evaluates a constant interval argument to microseconds.
func (b *Binder) constDuration(e ast.Expr, kind plan.WindowKind) (int64, error) {
	x, err := b.bindExpr(e, &scope{eventTime: -1}, nil)
	if err != nil {
		return 0, err
	}
	c, ok := x.(*plan.Const)
	if !ok || c.Val.Type.Kind != types.Interval || c.Val.Null {
		return 0, sqlerr.At(sqlerr.DatatypeMismatch, e.Position(), "%s window sizes must be constant intervals", kind)
	}
	us, ok := c.Val.Iv.Fixed()
	if !ok {
		return 0, sqlerr.At(sqlerr.FeatureNotSupported, e.Position(), "%s windows of months or years are not supported (a month has no fixed length)", kind)
	}
	return us, nil
}
