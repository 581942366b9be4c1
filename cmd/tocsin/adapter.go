package main

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
)

// executor adapts the engine to the pgwire server's Executor interface;
// the two packages never import each other.
type executor struct{ e *engine.Engine }

var _ pgwire.Executor = executor{}

func (x executor) Connect(_ context.Context, params map[string]string) (pgwire.Session, error) {
	return session{x.e.NewSession(params)}, nil
}

type session struct{ s *engine.Session }

func (s session) Query(ctx context.Context, text string, w pgwire.ResultWriter) error {
	return s.s.Query(ctx, text, writer{w})
}

func (s session) TxStatus() byte { return s.s.TxStatus() }
func (s session) Close() error   { return s.s.Close() }

type writer struct{ w pgwire.ResultWriter }

func (w writer) Columns(cols []engine.Column) error {
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{Name: c.Name, Type: c.Type, TableOID: c.TableOID, Attr: c.Attr}
	}
	return w.w.Columns(out)
}

func (w writer) Rows(rec arrow.RecordBatch) error      { return w.w.Rows(rec) }
func (w writer) Complete(tag string) error             { return w.w.Complete(tag) }
func (w writer) Empty() error                          { return w.w.Empty() }
func (w writer) Notice(severity, msg string) error     { return w.w.Notice(severity, msg) }
func (w writer) CopyIn(columns int) (io.Reader, error) { return w.w.CopyIn(columns) }
