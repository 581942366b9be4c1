package main

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
	"github.com/tocsin-db/tocsin/sql/types"
)

// executor adapts the engine to the pgwire server's Executor interface;
// the two packages never import each other.
type executor struct{ e *engine.Engine }

var _ pgwire.Executor = executor{}

func (x executor) Connect(_ context.Context, params map[string]string) (pgwire.Session, error) {
	return session{s: x.e.NewSession(params), closed: make(chan struct{})}, nil
}

type session struct {
	s *engine.Session
	// closed ends the goroutine that relays notifications.
	closed chan struct{}
}

var (
	_ pgwire.Session  = session{}
	_ pgwire.Preparer = session{}
	_ pgwire.Notifier = session{}
)

func (s session) Query(ctx context.Context, text string, w pgwire.ResultWriter) error {
	return s.s.Query(ctx, text, writer{w})
}

func (s session) TxStatus() byte { return s.s.TxStatus() }

func (s session) Close() error {
	close(s.closed)
	return s.s.Close()
}

// Notifications implements pgwire.Notifier: it relays the engine
// session's notifications (the two packages each own their type) until
// the session is closed. The engine's queue stays the bounded one: the
// relay holds at most one notification.
func (s session) Notifications(pid uint32) <-chan pgwire.Notification {
	in := s.s.Notifications(pid)
	out := make(chan pgwire.Notification)
	go func() {
		for {
			var n engine.Notification
			select {
			case n = <-in:
			case <-s.closed:
				return
			}
			select {
			case out <- pgwire.Notification(n):
			case <-s.closed:
				return
			}
		}
	}()
	return out
}

// Prepare implements pgwire.Preparer.
func (s session) Prepare(ctx context.Context, text string, paramTypes []types.Type) (pgwire.Prepared, error) {
	p, err := s.s.Prepare(ctx, text, paramTypes)
	if err != nil {
		return nil, err
	}
	return prepared{p}, nil
}

// prepared adapts an engine prepared statement to pgwire.Prepared.
type prepared struct{ p *engine.Prepared }

var _ pgwire.Prepared = prepared{}

func (p prepared) ParamTypes() []types.Type { return p.p.ParamTypes() }

func (p prepared) Columns() []pgwire.Column {
	if p.p.Columns() == nil {
		return nil
	}
	return wireColumns(p.p.Columns())
}

func (p prepared) Execute(ctx context.Context, params []types.Datum, w pgwire.ResultWriter) error {
	return p.p.Execute(ctx, params, writer{w})
}

// wireColumns converts engine columns to pgwire's.
func wireColumns(cols []engine.Column) []pgwire.Column {
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{Name: c.Name, Type: c.Type, TableOID: c.TableOID, Attr: c.Attr}
	}
	return out
}

type writer struct{ w pgwire.ResultWriter }

func (w writer) Columns(cols []engine.Column) error { return w.w.Columns(wireColumns(cols)) }

func (w writer) Rows(rec arrow.RecordBatch) error      { return w.w.Rows(rec) }
func (w writer) Complete(tag string) error             { return w.w.Complete(tag) }
func (w writer) Empty() error                          { return w.w.Empty() }
func (w writer) Notice(severity, msg string) error     { return w.w.Notice(severity, msg) }
func (w writer) CopyIn(columns int) (io.Reader, error) { return w.w.CopyIn(columns) }
