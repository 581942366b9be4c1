package pgwire

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// notifyExecutor wraps the fake executor: its sessions implement
// Notifier with one channel the test sends on, and report the process
// ID the server gave them.
type notifyExecutor struct {
	*fakeExecutor
	ch   chan Notification
	pids chan uint32
}

type notifySession struct {
	Session
	x *notifyExecutor
}

func (x *notifyExecutor) Connect(ctx context.Context, params map[string]string) (Session, error) {
	s, err := x.fakeExecutor.Connect(ctx, params)
	if err != nil {
		return nil, err
	}
	return notifySession{Session: s, x: x}, nil
}

func (s notifySession) Notifications(pid uint32) <-chan Notification {
	s.x.pids <- pid
	return s.x.ch
}

func startNotifyServer(t *testing.T) (*testServer, *notifyExecutor) {
	var x *notifyExecutor
	ts := startServer(t, func(cfg *Config) {
		x = &notifyExecutor{fakeExecutor: cfg.Executor.(*fakeExecutor), ch: make(chan Notification), pids: make(chan uint32, 4)}
		cfg.Executor = x
	})
	return ts, x
}

// TestNotificationsWhileIdle checks that a notification reaches a client
// that waits for one (pgconn and pgx's WaitForNotification), with the
// session's channel, payload and process ID.
func TestNotificationsWhileIdle(t *testing.T) {
	checkGoroutines(t)
	ts, x := startNotifyServer(t)
	defer ts.stop()
	conn := ts.pgxConn(t, "")
	pid := <-x.pids
	if pid != conn.PgConn().PID() {
		t.Fatalf("Notifications got pid %d, BackendKeyData said %d", pid, conn.PgConn().PID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { x.ch <- Notification{Channel: "tocsin_alerts", Payload: `{"state":"firing"}`, PID: pid} }()
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Channel != "tocsin_alerts" || n.Payload != `{"state":"firing"}` || n.PID != pid {
		t.Fatalf("notification %+v", n)
	}
	// The connection still runs queries afterwards.
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 after a notification: %v %v", one, err)
	}
}

// TestNotificationsWaitForTransactionEnd checks that, as in PostgreSQL,
// a notification is not delivered inside a transaction block but just
// before the ReadyForQuery that ends it, and never in the middle of a
// query's output.
func TestNotificationsWaitForTransactionEnd(t *testing.T) {
	checkGoroutines(t)
	ts, x := startNotifyServer(t)
	defer ts.stop()
	got := make(chan *pgconn.Notification, 8)
	conn := ts.pgConn(t, func(cfg *pgconn.Config) {
		cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { got <- n }
	})
	<-x.pids
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("begin")
	x.ch <- Notification{Channel: "c", Payload: "in txn"} // taken by the connection's goroutine
	exec("select 1")
	exec("rows 3")
	select {
	case n := <-got:
		t.Fatalf("delivered inside a transaction block: %+v", n)
	default:
	}
	exec("commit")
	select {
	case n := <-got:
		if n.Payload != "in txn" {
			t.Fatalf("got %+v", n)
		}
	default:
		// Sent after ReadyForQuery by the goroutine instead: wait for it.
		if err := conn.WaitForNotification(ctx); err != nil {
			t.Fatal(err)
		}
		if n := <-got; n.Payload != "in txn" {
			t.Fatalf("got %+v", n)
		}
	}
	// A burst while idle arrives in order.
	go func() {
		for _, p := range []string{"a", "b", "c"} {
			x.ch <- Notification{Channel: "c", Payload: p}
		}
	}()
	for _, want := range []string{"a", "b", "c"} {
		for len(got) == 0 {
			if err := conn.WaitForNotification(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := <-got; n.Payload != want {
			t.Fatalf("got %q, want %q", n.Payload, want)
		}
	}
	exec("select 1")
}
