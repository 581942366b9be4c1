package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tocsin-db/tocsin/pgwire"
)

// sqlstate returns err's SQLSTATE, or a description of err.
func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return fmt.Sprintf("no SQLSTATE (%v)", err)
}

// TestSQLUsersLogin: users created with CREATE USER log in over SCRAM
// and md5 next to the users file's, who may manage them follows the
// file's superuser mark, and they survive a restart.
func TestSQLUsersLogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users")
	if err := os.WriteFile(usersFile, []byte("admin superuser:admin-pw\nops:ops-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	start := func(method string) *server {
		srv, err := startServer(ctx, serverFlags{dataDir: dataDir, pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second,
			auth: method, usersFile: usersFile}, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	connect := func(srv *server, user, password string) (*pgconn.PgConn, error) {
		cfg, err := pgconn.ParseConfig(fmt.Sprintf("postgres://%s@%s/tocsin?sslmode=disable&connect_timeout=5", user, srv.pgAddr))
		if err != nil {
			return nil, err
		}
		cfg.Password = password
		return pgconn.ConnectConfig(ctx, cfg)
	}
	login := func(srv *server, user, password string) error {
		pc, err := connect(srv, user, password)
		if err != nil {
			return err
		}
		defer pc.Close(context.Background())
		_, err = pc.Exec(ctx, "SELECT 1").ReadAll()
		return err
	}
	exec := func(pc *pgconn.PgConn, sql string) error {
		_, err := pc.Exec(ctx, sql).ReadAll()
		return err
	}

	srv := start("scram-sha-256")
	admin, err := connect(srv, "admin", "admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	copied, err := pgwire.SCRAMVerifier("c-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"CREATE USER app WITH PASSWORD 'app-pw'",
		"CREATE USER legacy PASSWORD '" + pgwire.MD5Verifier("legacy", "old-pw") + "'",
		"CREATE ROLE copied LOGIN PASSWORD '" + copied + "'",
		"CREATE ROLE nologin PASSWORD 'n-pw'",
	} {
		if err := exec(admin, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, c := range []struct{ user, pw, code string }{
		{"app", "app-pw", ""}, {"copied", "c-pw", ""}, {"admin", "admin-pw", ""},
		{"app", "wrong", "28P01"}, {"nologin", "n-pw", "28P01"}, {"nobody", "x", "28P01"},
		// An MD5 verifier cannot answer SCRAM: PostgreSQL fails such a
		// login with 28P01 too.
		{"legacy", "old-pw", "28P01"},
	} {
		err := login(srv, c.user, c.pw)
		if (c.code == "" && err != nil) || (c.code != "" && sqlstate(err) != c.code) {
			t.Errorf("%s/%s: %v, want %q", c.user, c.pw, err, c.code)
		}
	}
	ops, err := connect(srv, "ops", "ops-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pc        *pgconn.PgConn
		sql, code string
	}{
		{ops, "CREATE USER x PASSWORD 'x'", "42501"},
		{ops, "DROP USER app", "42501"},
		{admin, "CREATE USER app PASSWORD 'x'", "42710"},
		{admin, "CREATE USER ops PASSWORD 'x'", "42710"},
		{admin, "DROP USER nobody", "42704"},
		{admin, "ALTER USER nobody PASSWORD 'x'", "42704"},
	} {
		if err := exec(c.pc, c.sql); sqlstate(err) != c.code {
			t.Errorf("%s: %v, want %s", c.sql, err, c.code)
		}
	}
	// A role changes its own password.
	app, err := connect(srv, "app", "app-pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := exec(app, "ALTER USER app WITH PASSWORD 'new-pw'"); err != nil {
		t.Fatal(err)
	}
	app.Close(ctx)
	if err := login(srv, "app", "app-pw"); sqlstate(err) != "28P01" {
		t.Errorf("old password after ALTER: %v", err)
	}
	res := admin.Exec(ctx, "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY rolname")
	rs, err := res.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range rs[0].Rows {
		roles = append(roles, fmt.Sprintf("%s:%s:%s", r[0], r[1], r[2]))
	}
	if want := "[admin:t:t app:f:t copied:f:t legacy:f:t nologin:f:f ops:f:t tocsin:t:t]"; fmt.Sprint(roles) != want {
		t.Errorf("pg_roles = %v, want %s", roles, want)
	}
	admin.Close(ctx)
	ops.Close(ctx)
	if err := srv.close(); err != nil {
		t.Fatal(err)
	}

	// After a restart, with md5: SCRAM verifiers still get SCRAM (as
	// PostgreSQL's md5 method does), the MD5 verifier gets md5.
	srv = start("md5")
	defer func() { _ = srv.close() }()
	for _, c := range []struct{ user, pw, code string }{
		{"app", "new-pw", ""}, {"copied", "c-pw", ""}, {"legacy", "old-pw", ""}, {"ops", "ops-pw", ""},
		{"app", "app-pw", "28P01"}, {"legacy", "wrong", "28P01"},
	} {
		err := login(srv, c.user, c.pw)
		if (c.code == "" && err != nil) || (c.code != "" && sqlstate(err) != c.code) {
			t.Errorf("md5 server, %s/%s: %v, want %q", c.user, c.pw, err, c.code)
		}
	}
	// A client that can only answer an MD5 challenge gets a SASL request
	// for a SCRAM user and cannot log in.
	fe, close := rawConnect(t, srv.pgAddr, "app")
	defer close()
	msg, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := msg.(*pgproto3.AuthenticationSASL); !ok {
		t.Fatalf("server asked %T for a SCRAM user under md5", msg)
	}
	fe.Send(&pgproto3.PasswordMessage{Password: pgwire.MD5Verifier("app", "new-pw")})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if msg, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if e, ok := msg.(*pgproto3.ErrorResponse); !ok || e.Severity != "FATAL" || e.Code != "08P01" {
		t.Fatalf("md5 answer to SASL: %#v", msg)
	}
}

// rawConnect opens a connection and sends a protocol 3.0 startup packet
// for user; the caller reads the server's answer.
func rawConnect(t *testing.T, addr, user string) (*pgproto3.Frontend, func()) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": user, "database": "tocsin"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	return fe, func() { _ = nc.Close() }
}

// startTrustServer starts a server without authentication.
func startTrustServer(t *testing.T, ctx context.Context) *server {
	t.Helper()
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.close() })
	return srv
}

// TestDiscardDeallocatePgx runs DEALLOCATE and DISCARD as pgx sends
// them, over the simple and the extended protocol.
func TestDiscardDeallocatePgx(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := startTrustServer(t, ctx)
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable&application_name=start", srv.pgAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	pc := conn.PgConn()
	run := func(sql string) error {
		_, err := pc.Exec(ctx, sql).ReadAll()
		return err
	}
	prepare := func(name string) {
		t.Helper()
		if _, err := pc.Prepare(ctx, name, "SELECT $1::int8 + 1", nil); err != nil {
			t.Fatal(err)
		}
	}
	use := func(name string) error {
		return pc.ExecPrepared(ctx, name, [][]byte{[]byte("41")}, nil, nil).Read().Err
	}

	// DEALLOCATE name drops exactly that statement; a second time it is
	// 26000.
	prepare("s1")
	prepare("s2")
	if err := run("DEALLOCATE s1"); err != nil {
		t.Fatal(err)
	}
	if err := use("s1"); sqlstate(err) != "26000" {
		t.Fatalf("s1 after DEALLOCATE: %v", err)
	}
	if err := use("s2"); err != nil {
		t.Fatalf("s2 after DEALLOCATE s1: %v", err)
	}
	if err := run("DEALLOCATE PREPARE s1"); sqlstate(err) != "26000" {
		t.Fatalf("DEALLOCATE twice: %v", err)
	}
	// pgx's DeallocateAll sends DEALLOCATE ALL.
	if err := conn.DeallocateAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := use("s2"); sqlstate(err) != "26000" {
		t.Fatalf("s2 after DEALLOCATE ALL: %v", err)
	}
	// The same name can be prepared again, and pgx's own statement
	// cache works after the reset.
	prepare("s2")
	var n int64
	if err := conn.QueryRow(ctx, "SELECT $1::int8 * 2", 21).Scan(&n); err != nil || n != 42 {
		t.Fatalf("cached query: %d, %v", n, err)
	}

	// DISCARD ALL: refused in a transaction block, then drops prepared
	// statements, closes cursors and resets settings.
	prepare("s3")
	for _, sql := range []string{"SET application_name = 'changed'", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)",
		"BEGIN", "DECLARE c CURSOR WITH HOLD FOR SELECT a FROM t", "COMMIT", "LISTEN ch", "BEGIN"} {
		if err := run(sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := run("DISCARD ALL"); sqlstate(err) != "25001" {
		t.Fatalf("DISCARD ALL in a transaction block: %v", err)
	}
	if err := run("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	res := pc.Exec(ctx, "DISCARD ALL")
	rs, err := res.ReadAll()
	if err != nil || rs[0].CommandTag.String() != "DISCARD ALL" {
		t.Fatalf("DISCARD ALL: %v %v", rs, err)
	}
	if err := use("s3"); sqlstate(err) != "26000" {
		t.Fatalf("s3 after DISCARD ALL: %v", err)
	}
	if err := run("FETCH 1 FROM c"); sqlstate(err) != "34000" {
		t.Fatalf("cursor after DISCARD ALL: %v", err)
	}
	var app string
	if err := conn.QueryRow(ctx, "SHOW application_name", pgx.QueryExecModeSimpleProtocol).Scan(&app); err != nil || app != "start" {
		t.Fatalf("application_name after DISCARD ALL = %q, %v", app, err)
	}
	// Over the extended protocol, and the other DISCARD forms in a
	// transaction block.
	prepare("s4")
	for _, sql := range []string{"DISCARD ALL", "BEGIN", "DISCARD PLANS", "DISCARD SEQUENCES", "DISCARD TEMP", "COMMIT"} {
		if err := pc.ExecParams(ctx, sql, nil, nil, nil, nil).Read().Err; err != nil {
			t.Fatalf("extended %s: %v", sql, err)
		}
	}
	if err := use("s4"); sqlstate(err) != "26000" {
		t.Fatalf("s4 after extended DISCARD ALL: %v", err)
	}
}

// TestDiscardAllWire checks DISCARD ALL's effect on protocol-level
// objects message by message: named statements and portals go, the
// portal running DISCARD ALL itself completes.
func TestDiscardAllWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := startTrustServer(t, ctx)
	fe, close := rawConnect(t, srv.pgAddr, "tocsin")
	defer close()
	until := func(want string) []string {
		t.Helper()
		var seen []string
		for {
			msg, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%T", msg)[len("*pgproto3."):]
			switch m := msg.(type) {
			case *pgproto3.ErrorResponse:
				name = "Error " + m.Code
			case *pgproto3.CommandComplete:
				name = "Complete " + string(m.CommandTag)
			case *pgproto3.ParameterStatus, *pgproto3.BackendKeyData, *pgproto3.AuthenticationOk:
				continue
			}
			seen = append(seen, name)
			if name == want {
				return seen
			}
		}
	}
	send := func(msgs ...pgproto3.FrontendMessage) {
		t.Helper()
		for _, m := range msgs {
			fe.Send(m)
		}
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	until("ReadyForQuery")
	send(&pgproto3.Parse{Name: "s", Query: "SELECT 1 AS one"},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"},
		&pgproto3.Parse{Name: "", Query: "DISCARD ALL"},
		&pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	got := until("ReadyForQuery")
	want := "[ParseComplete BindComplete ParseComplete BindComplete Complete DISCARD ALL Error 34000 ReadyForQuery]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
	// The statement is gone too; the unnamed one is not (as in
	// PostgreSQL, DEALLOCATE ALL keeps it).
	send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Sync{},
		&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
		&pgproto3.Query{String: "DEALLOCATE nothere"})
	got = append(until("ReadyForQuery"), until("ReadyForQuery")...)
	got = append(got, until("ReadyForQuery")...)
	want = "[Error 26000 ReadyForQuery BindComplete Complete DISCARD ALL ReadyForQuery Error 26000 ReadyForQuery]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
}

// TestPgxPool runs 50 goroutines through a pool of 4 connections: named
// prepared statements, binary results of every common type, Ping, and
// DISCARD ALL on every release (pgxpool's AfterRelease). NUMERIC is
// not a Tocsin type yet, so no numeric column is read, checking that
// no session state leaks from one borrower to the next.
func TestPgxPool(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startTrustServer(t, ctx)
	setup, err := pgx.Connect(ctx, fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable", srv.pgAddr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, `CREATE TABLE readings (id BIGINT PRIMARY KEY, name TEXT, v DOUBLE PRECISION, ok BOOLEAN, at TIMESTAMPTZ)`); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 20 {
		if _, err := setup.Exec(ctx, `INSERT INTO readings VALUES ($1, $2, $3, $4, $5)`,
			int64(i), fmt.Sprintf("r%02d", i), float64(i)*1.5, i%2 == 0, base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	setup.Close(ctx)

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg, err := pgxpool.ParseConfig(fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable&pool_max_conns=4", srv.pgAddr))
			if err != nil {
				t.Fatal(err)
			}
			cfg.ConnConfig.DefaultQueryExecMode = mode
			var resets atomic.Int64
			cfg.AfterRelease = func(c *pgx.Conn) bool {
				if _, err := c.Exec(ctx, "DISCARD ALL"); err != nil {
					t.Errorf("DISCARD ALL: %v", err)
					return false
				}
				// DISCARD ALL dropped the server's prepared statements;
				// pgx's cache of them must go too, or the next borrower's
				// first use of one fails with 26000 (as with PostgreSQL).
				if mode == pgx.QueryExecModeCacheStatement {
					if err := c.DeallocateAll(ctx); err != nil {
						t.Errorf("DeallocateAll: %v", err)
						return false
					}
				}
				resets.Add(1)
				return true
			}
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if err := pool.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for g := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- poolWorker(ctx, pool, g, base)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if st := pool.Stat(); st.TotalConns() > 4 || st.AcquireCount() < 50 {
				t.Errorf("pool stats: %d conns, %d acquires", st.TotalConns(), st.AcquireCount())
			}
			// pgxpool runs AfterRelease in the background: wait for the
			// 51 releases (50 workers and Ping).
			poll(t, 10*time.Second, "every release reset", func() string {
				if n := resets.Load(); n < 51 {
					return fmt.Sprintf("%d resets", n)
				}
				return ""
			})
		})
	}
}

// poolWorker borrows a connection, checks that it carries no state
// from a previous borrower, leaves state behind, and runs prepared
// queries with binary results.
func poolWorker(ctx context.Context, pool *pgxpool.Pool, g int, base time.Time) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("worker %d: ping: %w", g, err)
	}
	var app string
	if err := conn.QueryRow(ctx, "SHOW application_name", pgx.QueryExecModeSimpleProtocol).Scan(&app); err != nil {
		return err
	}
	if app != "" {
		return fmt.Errorf("worker %d: application_name %q left by a previous borrower", g, app)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET application_name = 'worker-%d'", g)); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "DECLARE c CURSOR WITH HOLD FOR SELECT id FROM readings"); err != nil {
		return fmt.Errorf("worker %d: a cursor was left by a previous borrower: %w", g, err)
	}
	for k := range 5 {
		id := int64((g + k) % 20)
		var (
			gotID int64
			name  string
			v     float64
			ok    bool
			at    time.Time
			num   float64
		)
		err := conn.QueryRow(ctx, `SELECT id, name, v, ok, at, v * 2 FROM readings WHERE id = $1`, id).
			Scan(&gotID, &name, &v, &ok, &at, &num)
		if err != nil {
			return fmt.Errorf("worker %d: %w", g, err)
		}
		want := base.Add(time.Duration(id) * time.Minute)
		if gotID != id || name != fmt.Sprintf("r%02d", id) || v != float64(id)*1.5 || ok != (id%2 == 0) || !at.Equal(want) || num != 2*v {
			return fmt.Errorf("worker %d: row %d = %d %q %v %v %v %v", g, id, gotID, name, v, ok, at, num)
		}
	}
	return nil
}
