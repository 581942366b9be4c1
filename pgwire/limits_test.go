package pgwire

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
)

// blockingExecutor's sessions block in Query until their context ends
// and report the context's error on ended.
type blockingExecutor struct {
	started chan struct{}
	ended   chan error
}

type blockingSession struct{ e blockingExecutor }

func (e blockingExecutor) Connect(context.Context, map[string]string) (Session, error) {
	return blockingSession{e}, nil
}

func (blockingSession) TxStatus() byte { return 'I' }
func (blockingSession) Close() error   { return nil }

func (s blockingSession) Query(ctx context.Context, _ string, _ ResultWriter) error {
	s.e.started <- struct{}{}
	<-ctx.Done()
	s.e.ended <- ctx.Err()
	return ctx.Err()
}

// TestCancelStopsSessionContext checks that pgx's context cancellation
// (a CancelRequest on a second connection) cancels the context the
// session's Query runs with, and that the client gets 57014.
func TestCancelStopsSessionContext(t *testing.T) {
	exec := blockingExecutor{started: make(chan struct{}, 1), ended: make(chan error, 1)}
	ln, addr := netListen(t)
	srv := NewServer(Config{Executor: exec})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	cfg, err := pgx.ParseConfig("postgres://u@" + addr + "/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	qctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-exec.started
		cancel()
	}()
	_, err = conn.Exec(qctx, "select pg_sleep(3600)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || pgErr.Message != "canceling statement due to user request" {
		t.Fatalf("err = %v", err)
	}
	select {
	case err := <-exec.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("session context ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("session context not canceled")
	}
}

// TestConnLimit checks MaxConns: the client over the limit gets FATAL
// 53300, a closed session or a failed login frees its slot, and cancel
// requests are served while the server is full.
func TestConnLimit(t *testing.T) {
	auth, _ := NewPasswordAuth(AuthMD5, authUsers())
	ts := startServer(t, func(c *Config) { c.MaxConns, c.Authenticator = 2, auth })
	connect := func(password string) (*pgconn.PgConn, error) {
		cfg, _ := pgconn.ParseConfig(strings.Replace(ts.connString(""), "tester@", "plain@", 1))
		cfg.Password = password
		return pgconn.ConnectConfig(context.Background(), cfg)
	}
	tooMany := func(err error) bool {
		var pgErr *pgconn.PgError
		return errors.As(err, &pgErr) && pgErr.Code == "53300" && pgErr.Severity == "FATAL" &&
			pgErr.Message == "sorry, too many clients already"
	}
	// Failed logins do not keep their slots once their connections end.
	for range 3 {
		if _, err := connect("wrong"); err == nil || tooMany(err) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	eventually(t, "failed logins gone", func() bool { return ts.srv.ConnCount() == 0 })
	a, err := connect("tocsin-pw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := connect("tocsin-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect("tocsin-pw"); !tooMany(err) {
		t.Fatalf("third connection: %v", err)
	}

	// Full, yet a's query can be canceled.
	done := make(chan error, 1)
	go func() {
		_, err := a.Exec(context.Background(), "wait").ReadAll()
		done <- err
	}()
	ts.waitStarted(t)
	if err := a.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	if err := <-done; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("cancel while full: %v", err)
	}

	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a free slot", func() bool {
		c, err := connect("tocsin-pw")
		if err != nil {
			if !tooMany(err) {
				t.Fatal(err)
			}
			return false
		}
		_ = c.Close(context.Background())
		return true
	})
	_ = a.Close(context.Background())
}

// TestIdleSessionTimeoutPgx lets a pgx session sit idle past
// IdleTimeout: the server closes it, and the client learns why (57P05)
// on its next query.
func TestIdleSessionTimeoutPgx(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.IdleTimeout = 50 * time.Millisecond })
	pc := ts.pgConn(t, nil)
	eventually(t, "idle session closed", func() bool { return ts.srv.ConnCount() == 0 })
	_, err := pc.Exec(context.Background(), "select 1").ReadAll()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57P05" || pgErr.Severity != "FATAL" ||
		pgErr.Message != "terminating connection due to idle-session timeout" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(ts.logs.String(), "closing idle session") {
		t.Error("not logged")
	}
}

// TestIdleSessionTimeoutTLS checks that the FATAL still reaches a TLS
// client after the read deadline expired under the TLS layer.
func TestIdleSessionTimeoutTLS(t *testing.T) {
	pki := newTestPKI(t)
	ts := startServer(t, func(c *Config) { c.TLS, c.IdleTimeout = pki.server, 50*time.Millisecond })
	pc, err := tlsConnect(ts, "tester", "sslmode=require", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	eventually(t, "idle session closed", func() bool { return ts.srv.ConnCount() == 0 })
	_, err = pc.Exec(context.Background(), "select 1").ReadAll()
	var pgErr *pgconn.PgError
	if !isTLS(pc) || !errors.As(err, &pgErr) || pgErr.Code != "57P05" {
		t.Fatalf("err = %v", err)
	}
}

// TestIdleSessionTimeout drives one connection over net.Pipe in a
// synctest bubble, so the timeout is exact: it applies only while the
// session waits for a query outside a transaction block.
func TestIdleSessionTimeout(t *testing.T) {
	const timeout = time.Minute
	synctest.Test(t, func(t *testing.T) {
		exec := newFakeExecutor()
		srv := NewServer(Config{Executor: exec, Logger: slog.New(slog.DiscardHandler), IdleTimeout: timeout})
		client, server := net.Pipe()
		defer client.Close()
		c := srv.newConn(server)
		done := make(chan struct{})
		go func() {
			srv.serveConn(context.Background(), c)
			close(done)
		}()
		f := &frontend{nc: client, fe: pgproto3.NewFrontend(client, client)}
		var key *pgproto3.BackendKeyData
		for _, m := range f.startup(t, "u") {
			if k, ok := m.(*pgproto3.BackendKeyData); ok {
				key = k
			}
		}
		alive := func(what string) {
			t.Helper()
			synctest.Wait()
			select {
			case <-done:
				t.Fatalf("connection closed %s", what)
			default:
			}
		}
		query := func(q string, status byte) {
			t.Helper()
			f.send(t, &pgproto3.Query{String: q})
			msgs := receiveUntil[*pgproto3.ReadyForQuery](t, f)
			if got := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery).TxStatus; got != status {
				t.Fatalf("%s: status %c", q, got)
			}
		}

		time.Sleep(timeout - time.Millisecond)
		alive("before the timeout")
		query("select 1", 'I')

		// Inside a transaction block the session is not idle.
		query("begin", 'T')
		time.Sleep(10 * timeout)
		alive("in a transaction block")
		query("commit", 'I')

		// Nor while a query runs.
		f.send(t, &pgproto3.Query{String: "wait"})
		<-exec.started
		time.Sleep(10 * timeout)
		alive("while a query runs")
		srv.cancel(key.ProcessID, key.SecretKey)
		msgs := receiveUntil[*pgproto3.ReadyForQuery](t, f)
		if er, ok := msgs[0].(*pgproto3.ErrorResponse); !ok || er.Code != "57014" {
			t.Fatalf("canceled query: %#v", msgs)
		}

		// Nor in the middle of an extended-protocol batch.
		// Parse and Flush get one answer (ParseComplete or an error).
		f.send(t, &pgproto3.Parse{Query: "select 1"}, &pgproto3.Flush{})
		if _, err := f.fe.Receive(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * timeout)
		alive("before Sync")
		f.send(t, &pgproto3.Sync{})
		receiveUntil[*pgproto3.ReadyForQuery](t, f)

		time.Sleep(timeout)
		synctest.Wait()
		f.expectFatal(t, "57P05", "terminating connection due to idle-session timeout")
		<-done
		if n := exec.openSessions(); n != 0 {
			t.Errorf("%d sessions open", n)
		}
	})
}
