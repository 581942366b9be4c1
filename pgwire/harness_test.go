package pgwire

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// testServer is a Server on a loopback port with a fake executor.
type testServer struct {
	srv  *Server
	exec *fakeExecutor
	addr string
	logs *syncBuffer
	// stop cancels Serve and waits for it to return.
	stop func()
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer serves a fake executor on 127.0.0.1 for the duration of
// the test. The cleanup stops it and checks that every session was
// closed.
func startServer(t testing.TB, configure ...func(*Config)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	exec := newFakeExecutor()
	cfg := Config{
		Executor: exec,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv := NewServer(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	ts := &testServer{srv: srv, exec: exec, addr: ln.Addr().String(), logs: logs}
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			if n := exec.openSessions(); n != 0 {
				t.Errorf("%d sessions left open", n)
			}
			if n := srv.ConnCount(); n != 0 {
				t.Errorf("ConnCount = %d after Serve returned", n)
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) port() string {
	_, port, _ := net.SplitHostPort(ts.addr)
	return port
}

// connString returns a libpq URL for the server.
func (ts *testServer) connString(extra string) string {
	s := fmt.Sprintf("postgres://tester@%s/testdb?sslmode=disable&connect_timeout=5", ts.addr)
	if extra != "" {
		s += "&" + extra
	}
	return s
}

// pgxConn connects with pgx in simple-protocol mode.
func (ts *testServer) pgxConn(t testing.TB, extra string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.connString(extra))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// pgConn connects with pgconn, the layer under pgx that exposes raw
// multi-statement results.
func (ts *testServer) pgConn(t testing.TB, configure func(*pgconn.Config)) *pgconn.PgConn {
	t.Helper()
	cfg, err := pgconn.ParseConfig(ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkGoroutines fails the test if, after it ends, more goroutines run
// than before it started (polling, since exiting goroutines take a
// moment to be reaped).
func checkGoroutines(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// waitStarted waits until a "wait" or "stream" statement blocks.
func (ts *testServer) waitStarted(t testing.TB) {
	t.Helper()
	select {
	case <-ts.exec.started:
	case <-time.After(5 * time.Second):
		t.Fatal("statement did not start")
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
