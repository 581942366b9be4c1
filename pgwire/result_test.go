package pgwire

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// captureConn records what the server writes.
type captureConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error) { return c.buf.Write(p) }

// newCaptureConn returns a conn (outside any server loop) whose output
// can be decoded with messages.
func newCaptureConn() (*conn, *captureConn) {
	cc := &captureConn{}
	srv := NewServer(Config{Executor: echoExecutor{}, Logger: slog.New(slog.DiscardHandler)})
	c := &conn{srv: srv, nc: cc, log: srv.log}
	c.rw.c = c
	return c, cc
}

// messages decodes everything written so far.
func (cc *captureConn) messages(t *testing.T) []pgproto3.BackendMessage {
	t.Helper()
	fe := pgproto3.NewFrontend(bytes.NewReader(cc.buf.Bytes()), nil)
	var msgs []pgproto3.BackendMessage
	for {
		msg, err := fe.Receive()
		if err != nil {
			return msgs
		}
		msgs = append(msgs, copyMessage(t, msg))
	}
}

func int64Batch(t *testing.T, vals ...int64) arrow.RecordBatch {
	b := array.NewInt64Builder(memory.NewGoAllocator())
	b.AppendValues(vals, nil)
	arr := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "n", Type: arr.DataType()}}, nil), []arrow.Array{arr}, int64(len(vals)))
	arr.Release()
	t.Cleanup(rec.Release)
	return rec
}

func TestResultWriterMisuse(t *testing.T) {
	c, _ := newCaptureConn()
	w := &c.rw
	rec := int64Batch(t, 1, 2)
	if err := w.Rows(rec); err == nil || !strings.Contains(err.Error(), "before Columns") {
		t.Errorf("Rows before Columns: %v", err)
	}
	if err := w.Columns([]Column{{Name: "a", Type: types.Int64Type}, {Name: "b", Type: types.Int64Type}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Columns([]Column{{Name: "a", Type: types.Int64Type}}); err == nil {
		t.Error("Columns twice accepted")
	}
	if err := w.Rows(rec); err == nil || !strings.Contains(err.Error(), "1 columns, RowDescription has 2") {
		t.Errorf("column count mismatch: %v", err)
	}
	w.reset()
	if err := w.Columns([]Column{{Name: "s", Type: types.TextType}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Rows(rec); err == nil || !strings.Contains(err.Error(), "does not hold text") {
		t.Errorf("type mismatch: %v", err)
	}
}

// TestNULBytesCannotBreakFraming sends NUL bytes in every
// NUL-terminated field and checks that the output still decodes.
func TestNULBytesCannotBreakFraming(t *testing.T) {
	c, cc := newCaptureConn()
	w := &c.rw
	if err := w.Columns([]Column{{Name: "a\x00b", Type: types.Int64Type}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Rows(int64Batch(t, 7)); err != nil {
		t.Fatal(err)
	}
	if err := w.Complete("SELECT\x00 1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Notice("nonsense", "no\x00tice"); err != nil {
		t.Fatal(err)
	}
	c.sendError(sqlerr.New(sqlerr.SyntaxError, "bad \x00 input").WithHint("h\x00int"))
	c.sendError(&sqlerr.Error{Msg: "no code"})
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	msgs := cc.messages(t)
	if len(msgs) != 6 {
		t.Fatalf("decoded %d messages: %+v", len(msgs), msgs)
	}
	if rd := msgs[0].(*pgproto3.RowDescription); string(rd.Fields[0].Name) != "ab" {
		t.Errorf("column name %q", rd.Fields[0].Name)
	}
	if cmd := msgs[2].(*pgproto3.CommandComplete); string(cmd.CommandTag) != "SELECT 1" {
		t.Errorf("tag %q", cmd.CommandTag)
	}
	if n := msgs[3].(*pgproto3.NoticeResponse); n.Severity != "NOTICE" || n.Message != "notice" || n.Code != "00000" {
		t.Errorf("notice %+v", n)
	}
	if e := msgs[4].(*pgproto3.ErrorResponse); e.Message != "bad  input" || e.Hint != "hint" || e.Code != "42601" {
		t.Errorf("error %+v", e)
	}
	if e := msgs[5].(*pgproto3.ErrorResponse); e.Code != "XX000" || e.Message != "no code" {
		t.Errorf("codeless error %+v", e)
	}
}

func TestWriteErrorStopsOutput(t *testing.T) {
	c, _ := newCaptureConn()
	c.nc = failingConn{}
	w := &c.rw
	if err := w.Columns([]Column{{Name: "n", Type: types.Int64Type}}); err != nil {
		t.Fatal(err)
	}
	err := w.Rows(int64Batch(t, 1))
	if err == nil || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Rows on a broken connection: %v", err)
	}
	if err := w.Complete("SELECT 1"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Complete after a write error: %v", err)
	}
}

type failingConn struct{ net.Conn }

func (failingConn) Write([]byte) (int, error) { return 0, net.ErrClosed }
