package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/binder"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Query runs the statements in text, reporting each result to w. It
// stops at the first error, which it returns with its position converted
// to a character position in text.
func (s *Session) Query(ctx context.Context, text string, w ResultWriter) error {
	stmts, err := parser.Parse(text)
	if err != nil {
		return s.fail(err, text)
	}
	if len(stmts) == 0 {
		return w.Empty()
	}
	for _, st := range stmts {
		if err := s.reportDropped(w); err != nil {
			return err
		}
		if err := s.runOne(ctx, text, st, w); err != nil {
			return err
		}
	}
	return nil
}

// runOne runs st, one statement of text, for Query and for a prepared
// statement's Execute.
func (s *Session) runOne(ctx context.Context, text string, st ast.Statement, w ResultWriter) error {
	if err := ctx.Err(); err != nil {
		return s.fail(errCanceled(), text)
	}
	if err := s.exec(ctx, st, w); err != nil {
		return s.fail(err, text)
	}
	return nil
}

// fail records a failed statement inside a transaction block and
// converts the error's position for the client.
func (s *Session) fail(err error, text string) error {
	if s.txn == 'T' {
		s.txn = 'E'
	}
	se := sqlerr.As(err)
	if se.Pos > 0 {
		c := *se
		c.Pos = sqlerr.CharPos(text, se.Pos)
		return &c
	}
	return se
}

// aborted returns the error for st in a failed transaction block, where
// only COMMIT and ROLLBACK are accepted, or nil.
func (s *Session) aborted(st ast.Statement) error {
	if s.txn == 'E' {
		if t, ok := st.(*ast.Transaction); !ok || t.Kind == ast.TxnBegin {
			return sqlerr.New(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
	}
	return nil
}

func (s *Session) exec(ctx context.Context, st ast.Statement, w ResultWriter) error {
	if err := s.aborted(st); err != nil {
		return err
	}
	switch st := st.(type) {
	case *ast.SelectStmt:
		return s.selectQuery(ctx, st.Query, w)
	case *ast.CreateSource:
		return s.complete(w, "CREATE SOURCE", s.createSource(st, w))
	case *ast.CreateTable:
		return s.complete(w, "CREATE TABLE", s.createTable(st, w))
	case *ast.Insert:
		n, err := s.insert(st)
		return s.complete(w, fmt.Sprintf("INSERT 0 %d", n), err)
	case *ast.Update:
		n, err := s.update(st)
		return s.complete(w, fmt.Sprintf("UPDATE %d", n), err)
	case *ast.Delete:
		n, err := s.deleteRows(st)
		return s.complete(w, fmt.Sprintf("DELETE %d", n), err)
	case *ast.Copy:
		n, err := s.copyFrom(st, w)
		return s.complete(w, fmt.Sprintf("COPY %d", n), err)
	case *ast.CreateView:
		if !st.Materialized {
			return sqlerr.At(sqlerr.FeatureNotSupported, st.Off, "CREATE VIEW is not supported; use CREATE MATERIALIZED VIEW")
		}
		return s.complete(w, "CREATE MATERIALIZED VIEW", s.createView(st, w))
	case *ast.CreateSink:
		return s.complete(w, "CREATE SINK", s.createSink(st, w))
	case *ast.CreateSilence:
		return s.createSilence(st, w)
	case *ast.CreateInhibition:
		return s.complete(w, "CREATE INHIBITION", s.createInhibition(st))
	case *ast.Acknowledge:
		return s.acknowledge(st, w)
	case *ast.Drop:
		switch st.Kind {
		case ast.ObjSilence, ast.ObjInhibition:
			return s.complete(w, dropTag(st.Kind), s.dropAlerting(st, w))
		}
		return s.complete(w, dropTag(st.Kind), s.drop(st, w))
	case *ast.Show:
		return s.show(st, w)
	case *ast.Describe:
		return s.describe(st, w)
	case *ast.Explain:
		return s.explain(ctx, st, w)
	case *ast.Transaction:
		return s.transaction(st, w)
	case *ast.Set:
		s.vars[strings.ToLower(st.Name)] = strings.Join(st.Values, ", ")
		return w.Complete("SET")
	case *ast.Reset:
		if name := strings.ToLower(st.Name); name == "all" {
			s.resetAll()
		} else if v, ok := s.startVars[name]; ok {
			s.vars[name] = v
		} else {
			delete(s.vars, name)
		}
		return w.Complete("RESET")
	case *ast.CreateRole:
		return s.complete(w, "CREATE ROLE", s.createRole(st, w))
	case *ast.AlterRole:
		return s.complete(w, "ALTER ROLE", s.alterRole(st, w))
	case *ast.DropRole:
		return s.complete(w, "DROP ROLE", s.dropRole(st, w))
	case *ast.Discard:
		return s.discard(st, w)
	case *ast.Deallocate:
		return s.deallocate(st, w)
	case *ast.Subscribe:
		return s.subscribe(ctx, st, w)
	case *ast.DeclareCursor:
		return s.declare(st, w)
	case *ast.Fetch:
		return s.fetch(ctx, st, w)
	case *ast.CloseCursor:
		return s.closeCursor(st, w)
	case *ast.Listen:
		return s.listen(st, w)
	case *ast.Unlisten:
		return s.unlisten(st, w)
	case *ast.Notify:
		return s.notify(st, w)
	}
	return sqlerr.At(sqlerr.FeatureNotSupported, st.Position(), "this statement is not supported yet")
}

func (s *Session) complete(w ResultWriter, tag string, err error) error {
	if err != nil {
		return err
	}
	return w.Complete(tag)
}

func dropTag(k ast.ObjectKind) string {
	return "DROP " + strings.ToUpper(k.String())
}

func (s *Session) transaction(st *ast.Transaction, w ResultWriter) error {
	switch st.Kind {
	case ast.TxnBegin:
		if s.txn != 'I' {
			if err := w.Notice("WARNING", "there is already a transaction in progress"); err != nil {
				return err
			}
		}
		s.txn = 'T'
		return w.Complete("BEGIN")
	case ast.TxnCommit:
		if s.txn == 'I' {
			if err := w.Notice("WARNING", "there is no transaction in progress"); err != nil {
				return err
			}
		}
		tag := "COMMIT"
		if s.txn == 'E' {
			tag = "ROLLBACK"
		}
		s.txn = 'I'
		s.closeCursors(true)
		return w.Complete(tag)
	}
	if s.txn == 'I' {
		if err := w.Notice("WARNING", "there is no transaction in progress"); err != nil {
			return err
		}
	}
	s.txn = 'I'
	s.closeCursors(true)
	return w.Complete("ROLLBACK")
}

// newBinder returns a binder over the engine's catalog, binding the
// parameters of the prepared statement being executed, if any.
func (s *Session) newBinder() *binder.Binder {
	b := binder.New(s.e.resolver(), s.sessionRegistry())
	b.Now = s.e.opts.Now().UnixMicro()
	if s.params != nil {
		b.SetParamValues(s.params)
	}
	return b
}

func (s *Session) selectQuery(ctx context.Context, q ast.Query, w ResultWriter) error {
	p, err := s.newBinder().BindQuery(q)
	if err != nil {
		return err
	}
	r := &query.Runner{Snap: s.e, Ctx: &functions.Context{Now: s.e.opts.Now().UnixMicro()}}
	recs, err := r.Run(p)
	if err != nil {
		return err
	}
	return writeRows(ctx, w, p, recs)
}

// writeRows sends a plan's visible columns and its rows.
func writeRows(ctx context.Context, w ResultWriter, p plan.Node, recs []arrow.RecordBatch) error {
	if err := w.Columns(resultColumns(p)); err != nil {
		return err
	}
	var n int64
	for _, rec := range visibleRecords(p, recs) {
		if ctx.Err() != nil {
			return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
		}
		if err := w.Rows(rec); err != nil {
			return err
		}
		n += rec.NumRows()
	}
	return w.Complete(fmt.Sprintf("SELECT %d", n))
}

// resultColumns returns a plan's visible columns.
func resultColumns(p plan.Node) []Column {
	schema := p.Schema()
	visible := schema.Visible()
	cols := make([]Column, len(visible))
	for i, c := range visible {
		cols[i] = Column{Name: schema[c].Name, Type: schema[c].Type}
	}
	return cols
}

// visibleRecords returns a plan's non-empty result batches cut down to
// its visible columns.
func visibleRecords(p plan.Node, recs []arrow.RecordBatch) []arrow.RecordBatch {
	schema := p.Schema()
	visible := schema.Visible()
	out := make([]arrow.RecordBatch, 0, len(recs))
	for _, rec := range recs {
		if rec.NumRows() == 0 {
			continue
		}
		if len(visible) != len(schema) {
			arrs := make([]arrow.Array, len(visible))
			fields := make([]arrow.Field, len(visible))
			for i, c := range visible {
				arrs[i], fields[i] = rec.Column(c), rec.Schema().Field(c)
			}
			rec = array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
		}
		out = append(out, rec)
	}
	return out
}

func newBinderFor(e *Engine) *binder.Binder {
	b := binder.New(e.resolver(), e.opts.Functions)
	b.Now = e.opts.Now().UnixMicro()
	return b
}
