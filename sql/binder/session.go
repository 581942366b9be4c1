package binder

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// bindSessionTVF binds SESSION(rel, ts, gap): sessions of events no more
// than gap apart, formed per GROUP BY key of the query that aggregates
// them (window_start is a session's first event time, window_end its last
// plus the gap).
func (b *Binder) bindSessionTVF(t *ast.TableFunc) (plan.Node, *scope, error) {
	if len(t.Args) != 3 {
		return nil, nil, sqlerr.At(sqlerr.UndefinedFunction, t.Off, "SESSION expects 3 arguments (relation, time column, gap), got %d", len(t.Args))
	}
	relRef, ok := t.Args[0].(*ast.ColumnRef)
	if !ok {
		return nil, nil, sqlerr.At(sqlerr.SyntaxError, t.Args[0].Position(), "the first argument of SESSION must be a relation name")
	}
	rel := ast.Ident{Pos: relRef.Pos, Parts: relRef.Parts}
	input, relScope, err := b.bindFrom(&ast.TableName{Pos: relRef.Pos, Name: rel})
	if err != nil {
		return nil, nil, err
	}
	tsRef, ok := t.Args[1].(*ast.ColumnRef)
	if !ok {
		return nil, nil, sqlerr.At(sqlerr.SyntaxError, t.Args[1].Position(), "the second argument of SESSION must be a column of %s", rel.Name())
	}
	timeCol, err := relScope.resolve(tsRef)
	if err != nil {
		return nil, nil, err
	}
	if tt := relScope.cols[timeCol].typ; !tt.IsTimestamp() {
		return nil, nil, sqlerr.At(sqlerr.DatatypeMismatch, tsRef.Off, "SESSION time column %q must be a timestamp, not %s", tsRef.Name(), tt)
	}
	gap, err := b.constDuration(t.Args[2], plan.Session)
	if err != nil {
		return nil, nil, err
	}
	if gap <= 0 {
		return nil, nil, sqlerr.At(sqlerr.InvalidParameterValue, t.Args[2].Position(), "SESSION gap must be positive")
	}
	w := plan.NewWindowTVF(input, plan.Session, timeCol, gap, gap, 0)
	name := t.Alias
	if name == "" {
		name = rel.Name()
	}
	sc := scopeOf(name, w.Schema())
	sc.eventTime = relScope.eventTime
	return w, sc, nil
}
