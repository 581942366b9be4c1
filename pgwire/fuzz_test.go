package pgwire

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// echoExecutor's sessions never block: every query returns its own
// text as one row, except that "err" in the text makes it fail and an
// empty text is an empty query.
type echoExecutor struct{}

type echoSession struct{ mem memory.Allocator }

func (echoExecutor) Connect(context.Context, map[string]string) (Session, error) {
	return echoSession{mem: memory.NewGoAllocator()}, nil
}

func (echoSession) TxStatus() byte { return 'I' }
func (echoSession) Close() error   { return nil }

func (s echoSession) Query(_ context.Context, text string, w ResultWriter) error {
	switch {
	case strings.TrimSpace(text) == "":
		return w.Empty()
	case strings.Contains(text, "err"):
		return sqlerr.At(sqlerr.SyntaxError, strings.Index(text, "err"), "syntax error at %q", text)
	}
	if err := w.Columns([]Column{{Name: text, Type: types.TextType}}); err != nil {
		return err
	}
	b := array.NewStringBuilder(s.mem)
	b.Append(text)
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "q", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{arr}, 1)
	defer rec.Release()
	if err := w.Rows(rec); err != nil {
		return err
	}
	if err := w.Notice("NOTICE", text); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}

// feedConnection serves one connection over net.Pipe, writes input to
// it as a client would, closes the client side and checks that the
// connection goroutine ends and leaves no goroutine behind.
func feedConnection(t *testing.T, input []byte) {
	feedConnectionTo(t, echoExecutor{}, input)
}

// feedConnectionTo is feedConnection with a given executor.
func feedConnectionTo(t *testing.T, exec Executor, input []byte) {
	before := runtime.NumGoroutine()
	srv := NewServer(Config{
		Executor:       exec,
		Authenticator:  fuzzAuth(t),
		Logger:         slog.New(slog.DiscardHandler),
		StartupTimeout: 2 * time.Second,
		MaxMessageSize: 1 << 16,
	})
	client, server := net.Pipe()
	c := srv.newConn(server)
	done := make(chan struct{})
	go func() {
		srv.serveConn(context.Background(), c)
		close(done)
	}()
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, client)
		close(drained)
	}()
	_, _ = client.Write(input) // fails once the server hangs up
	_ = client.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("connection still served 5s after the client left (input %q)", input)
	}
	<-drained
	if n := srv.ConnCount(); n != 0 {
		t.Fatalf("ConnCount = %d", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after (input %q)", before, runtime.NumGoroutine(), input)
		}
		time.Sleep(time.Millisecond)
	}
}

// encode concatenates the wire encodings of msgs.
func encode(t testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func startupMessage(params map[string]string) *pgproto3.StartupMessage {
	return &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params}
}

// FuzzStartup feeds arbitrary bytes to a fresh connection in the startup
// phase, including the password and SASL exchanges (fuzzAuth chooses the
// method by user name).
func FuzzStartup(f *testing.F) {
	psql := startupMessage(map[string]string{"user": "postgres", "database": "postgres", "application_name": "psql", "client_encoding": "UTF8"})
	pgx := startupMessage(map[string]string{"user": "u", "database": "db"})
	f.Add(encode(f, psql))
	f.Add(encode(f, &pgproto3.SSLRequest{}, pgx))
	f.Add(encode(f, &pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{}, psql, &pgproto3.Query{String: "select 1"}, &pgproto3.Terminate{}))
	f.Add(encode(f, &pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add(encode(f, &pgproto3.StartupMessage{ProtocolVersion: 3<<16 | 2, Parameters: map[string]string{"user": "u", "_pq_.x": "y"}}))
	f.Add(encode(f, &pgproto3.StartupMessage{ProtocolVersion: 2 << 16, Parameters: map[string]string{"user": "u"}}))
	f.Add(encode(f, startupMessage(map[string]string{"database": "nouser"})))
	f.Add(encode(f, startupMessage(map[string]string{"user": "u", "replication": "true"})))
	f.Add(encode(f, &pgproto3.SSLRequest{}, &pgproto3.SSLRequest{}))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{0, 0, 0, 8, 0, 3, 0})
	f.Add(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, cancelRequestCode))
	for _, seed := range saslSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		feedConnection(t, input)
	})
}

// FuzzMessages feeds arbitrary bytes to a connection after a valid
// startup, i.e. to the message loop.
func FuzzMessages(f *testing.F) {
	start := encode(f, startupMessage(map[string]string{"user": "u", "database": "db"}))
	for _, msgs := range [][]pgproto3.FrontendMessage{
		{&pgproto3.Query{String: "select 1"}},
		{&pgproto3.Query{String: "select host, v from alerts where id = 1; err"}},
		{&pgproto3.Query{String: ""}, &pgproto3.Query{String: "BEGIN"}, &pgproto3.Query{String: "show standard_conforming_strings"}},
		{&pgproto3.Parse{Name: "s", Query: "select $1", ParameterOIDs: []uint32{23}}, &pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("1")}},
			&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}, &pgproto3.Query{String: "x"}},
		{&pgproto3.Parse{Query: "select 1"}, &pgproto3.Flush{}, &pgproto3.Terminate{}},
		{&pgproto3.CopyData{Data: []byte("1\t2\n")}, &pgproto3.CopyDone{}, &pgproto3.CopyFail{Message: "x"}},
		{&pgproto3.FunctionCall{Function: 1, Arguments: [][]byte{{1}}}},
		{&pgproto3.PasswordMessage{Password: "pw"}},
		{&pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}},
		{&pgproto3.Terminate{}, &pgproto3.Query{String: "after terminate"}},
	} {
		f.Add(encode(f, msgs...))
	}
	f.Add([]byte{'Q', 0, 0, 0, 4})
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{'Q', 0, 0, 0, 9, 'a', 'b', 'c'})
	f.Add([]byte{'D', 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, input []byte) {
		feedConnection(t, append(append([]byte(nil), start...), input...))
	})
}
