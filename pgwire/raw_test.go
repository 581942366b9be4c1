package pgwire

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// frontend is a raw protocol client: a TCP connection and a pgproto3
// Frontend on it, for what pgx hides.
type frontend struct {
	nc net.Conn
	fe *pgproto3.Frontend
}

func netListen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln, ln.Addr().String()
}

func rawConn(t testing.TB, ts *testServer) *frontend {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { _ = nc.Close() })
	return &frontend{nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func (f *frontend) send(t testing.TB, msgs ...pgproto3.FrontendMessage) {
	t.Helper()
	for _, m := range msgs {
		f.fe.Send(m)
	}
	if err := f.fe.Flush(); err != nil {
		t.Fatal(err)
	}
}

// receiveUntil returns every message up to and including the first of
// type T.
func receiveUntil[T pgproto3.BackendMessage](t testing.TB, f *frontend) []pgproto3.BackendMessage {
	t.Helper()
	var msgs []pgproto3.BackendMessage
	for {
		msg, err := f.fe.Receive()
		if err != nil {
			t.Fatalf("receive after %d messages: %v", len(msgs), err)
		}
		msgs = append(msgs, copyMessage(t, msg))
		if _, ok := msg.(T); ok {
			return msgs
		}
	}
}

// copyMessage detaches msg from the Frontend's reused buffers.
func copyMessage(t testing.TB, msg pgproto3.BackendMessage) pgproto3.BackendMessage {
	buf, err := msg.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := decodeBackend(buf[0], buf[5:])
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func decodeBackend(typ byte, body []byte) (pgproto3.BackendMessage, error) {
	var m pgproto3.BackendMessage
	switch typ {
	case 'T':
		m = &pgproto3.RowDescription{}
	case 'D':
		m = &pgproto3.DataRow{}
	case 'C':
		m = &pgproto3.CommandComplete{}
	case 'Z':
		m = &pgproto3.ReadyForQuery{}
	case 'E':
		m = &pgproto3.ErrorResponse{}
	case 'N':
		m = &pgproto3.NoticeResponse{}
	case 'I':
		m = &pgproto3.EmptyQueryResponse{}
	case 'S':
		m = &pgproto3.ParameterStatus{}
	case 'K':
		m = &pgproto3.BackendKeyData{}
	case 'R':
		m = &pgproto3.AuthenticationOk{}
	case 'v':
		m = &pgproto3.NegotiateProtocolVersion{}
	default:
		return nil, errors.New("unexpected message type " + string(typ))
	}
	return m, m.Decode(append([]byte(nil), body...))
}

// startup sends a 3.0 StartupMessage for user and reads up to
// ReadyForQuery.
func (f *frontend) startup(t testing.TB, user string) []pgproto3.BackendMessage {
	t.Helper()
	f.send(t, &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user}})
	return receiveUntil[*pgproto3.ReadyForQuery](t, f)
}

// expectClosed reads until the server closes the connection, failing on
// anything but an ErrorResponse before the close.
func (f *frontend) expectClosed(t testing.TB) *pgproto3.ErrorResponse {
	t.Helper()
	var last *pgproto3.ErrorResponse
	var buf [1]byte
	for {
		msg, err := f.fe.Receive()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return last
			}
			var ne net.Error
			if errors.As(err, &ne) && !ne.Timeout() {
				return last
			}
			// The Frontend may fail to decode a partial message; confirm the
			// close on the socket itself.
			if _, rerr := f.nc.Read(buf[:]); rerr == io.EOF {
				return last
			}
			t.Fatalf("connection not closed: %v", err)
		}
		e, ok := msg.(*pgproto3.ErrorResponse)
		if !ok {
			t.Fatalf("unexpected %T before close", msg)
		}
		last = copyMessage(t, e).(*pgproto3.ErrorResponse)
	}
}

func TestRawSSLAndGSSDeclined(t *testing.T) {
	ts := startServer(t)
	f := rawConn(t, ts)
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{}} {
		f.send(t, req)
		var b [1]byte
		if _, err := io.ReadFull(f.nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("%T answer %q, %v", req, b[0], err)
		}
	}
	msgs := f.startup(t, "raw")
	if _, ok := msgs[0].(*pgproto3.AuthenticationOk); !ok {
		t.Fatalf("first message %T", msgs[0])
	}
	// A second SSLRequest after startup is just a malformed message.
	f.send(t, &pgproto3.Query{String: "select 1"})
	receiveUntil[*pgproto3.ReadyForQuery](t, f)
}

func TestRawDuplicateSSLRequest(t *testing.T) {
	ts := startServer(t)
	f := rawConn(t, ts)
	f.send(t, &pgproto3.SSLRequest{})
	var b [1]byte
	if _, err := io.ReadFull(f.nc, b[:]); err != nil {
		t.Fatal(err)
	}
	f.send(t, &pgproto3.SSLRequest{})
	if e := f.expectClosed(t); e == nil || e.Code != "08P01" {
		t.Fatalf("got %+v", e)
	}
}

// TestRawExtendedProtocolRejected checks a session without Preparer:
// the extended protocol gets 0A000.
func TestRawExtendedProtocolRejected(t *testing.T) {
	ts := startServer(t)
	f := rawConn(t, ts)
	f.startup(t, "noprep")
	f.send(t,
		&pgproto3.Parse{Query: "select 1"},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Query{String: "select 1"}, // skipped too, until Sync
		&pgproto3.Sync{},
	)
	msgs := receiveUntil[*pgproto3.ReadyForQuery](t, f)
	if len(msgs) != 2 {
		t.Fatalf("messages %+v", msgs)
	}
	e, ok := msgs[0].(*pgproto3.ErrorResponse)
	if !ok || e.Code != "0A000" || e.Message != "extended query protocol is not supported yet" {
		t.Fatalf("first message %+v", msgs[0])
	}
	// After Sync the connection works again.
	f.send(t, &pgproto3.Query{String: "select 1"})
	msgs = receiveUntil[*pgproto3.ReadyForQuery](t, f)
	if len(msgs) != 4 {
		t.Fatalf("select 1: %+v", msgs)
	}
}

func TestRawStreamingFlushesBeforeCompletion(t *testing.T) {
	ts := startServer(t)
	f := rawConn(t, ts)
	keys := f.startup(t, "raw")
	var key *pgproto3.BackendKeyData
	for _, m := range keys {
		if k, ok := m.(*pgproto3.BackendKeyData); ok {
			key = k
		}
	}
	f.send(t, &pgproto3.Query{String: "stream"})
	// The rows arrive while the statement is still running.
	rows := 0
	for rows < 20000 {
		msg, err := f.fe.Receive()
		if err != nil {
			t.Fatalf("after %d rows: %v", rows, err)
		}
		switch msg.(type) {
		case *pgproto3.RowDescription:
		case *pgproto3.DataRow:
			rows++
		default:
			t.Fatalf("unexpected %T", msg)
		}
	}
	ts.waitStarted(t)
	c := rawConn(t, ts)
	c.send(t, &pgproto3.CancelRequest{ProcessID: key.ProcessID, SecretKey: key.SecretKey})
	c.expectClosed(t)
	msgs := receiveUntil[*pgproto3.ReadyForQuery](t, f)
	if e, ok := msgs[0].(*pgproto3.ErrorResponse); !ok || e.Code != "57014" {
		t.Fatalf("after cancel: %+v", msgs)
	}
}

func TestRawGarbageClosesConnectionOnly(t *testing.T) {
	ts := startServer(t)
	good := ts.pgxConn(t, "")
	cases := map[string][]byte{
		"http":            []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"short length":    {0, 0, 0, 2, 0, 0},
		"huge length":     {0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0},
		"version 2":       binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, 2<<16),
		"version 4":       binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, 4<<16),
		"bad params":      append(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 13}, 3<<16), 'u', 's', 'e', 'r', 0),
		"no user":         append(binary.BigEndian.AppendUint32([]byte{0, 0, 0, 21}, 3<<16), "database\x00db\x00\x00"...),
		"short cancel":    binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, cancelRequestCode),
		"truncated":       {0, 0, 0, 100, 0, 3},
		"immediate close": nil,
	}
	wantCode := map[string]string{
		"short length": "08P01", "huge length": "08P01", "version 2": "0A000", "version 4": "0A000",
		"bad params": "08P01", "no user": "28000", "http": "08P01",
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			f := rawConn(t, ts)
			if _, err := f.nc.Write(b); err != nil {
				t.Fatal(err)
			}
			if name == "truncated" || name == "immediate close" {
				_ = f.nc.(*net.TCPConn).CloseWrite()
			}
			e := f.expectClosed(t)
			if want := wantCode[name]; want != "" && (e == nil || e.Code != want || e.Severity != "FATAL") {
				t.Errorf("error %+v, want FATAL %s", e, want)
			}
		})
	}
	t.Run("garbage after startup", func(t *testing.T) {
		f := rawConn(t, ts)
		f.startup(t, "raw")
		if _, err := f.nc.Write([]byte("\x01\x00\x00\x00\x05x")); err != nil {
			t.Fatal(err)
		}
		if e := f.expectClosed(t); e == nil || e.Code != "08P01" {
			t.Errorf("error %+v", e)
		}
	})
	t.Run("message too large", func(t *testing.T) {
		f := rawConn(t, ts)
		f.startup(t, "raw")
		if _, err := f.nc.Write([]byte{'Q', 0x10, 0, 0, 0}); err != nil {
			t.Fatal(err)
		}
		if e := f.expectClosed(t); e == nil || e.Code != "08P01" {
			t.Errorf("error %+v", e)
		}
	})
	t.Run("password after startup", func(t *testing.T) {
		f := rawConn(t, ts)
		f.startup(t, "raw")
		f.send(t, &pgproto3.PasswordMessage{Password: "x"})
		if e := f.expectClosed(t); e == nil || e.Code != "08P01" {
			t.Errorf("error %+v", e)
		}
	})
	var one int32
	if err := good.QueryRow(t.Context(), "select 1").Scan(&one); err != nil {
		t.Fatalf("the good connection broke: %v", err)
	}
	eventually(t, "bad connections closed", func() bool { return ts.srv.ConnCount() == 1 })
}

func TestRawStartupTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.StartupTimeout = 100 * time.Millisecond })
	f := rawConn(t, ts)
	if _, err := f.nc.Write([]byte{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	f.expectClosed(t)
}

func TestRawNegotiateMinorVersionAndOptions(t *testing.T) {
	ts := startServer(t)
	f := rawConn(t, ts)
	f.send(t, &pgproto3.StartupMessage{ProtocolVersion: 3<<16 | 1, Parameters: map[string]string{"user": "raw", "_pq_.b": "x", "_pq_.a": "y"}})
	msgs := receiveUntil[*pgproto3.ReadyForQuery](t, f)
	npv, ok := msgs[0].(*pgproto3.NegotiateProtocolVersion)
	if !ok || npv.NewestMinorProtocol != 0 || len(npv.UnrecognizedOptions) != 2 || npv.UnrecognizedOptions[0] != "_pq_.a" {
		t.Fatalf("first message %+v", msgs[0])
	}
	if _, ok := msgs[1].(*pgproto3.AuthenticationOk); !ok {
		t.Fatalf("second message %T", msgs[1])
	}
}
