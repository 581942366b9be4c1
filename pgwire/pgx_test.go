package pgwire

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

func TestPgxParameterStatus(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConn(t, "application_name=tocsin-test")
	pc := conn.PgConn()
	want := map[string]string{
		"server_version":              "15.18 (Tocsin)",
		"application_name":            "tocsin-test",
		"session_authorization":       "tester",
		"client_encoding":             "UTF8",
		"server_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"IntervalStyle":               "postgres",
		"TimeZone":                    "Etc/UTC",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"is_superuser":                "on",
	}
	for k, v := range want {
		if got := pc.ParameterStatus(k); got != v {
			t.Errorf("ParameterStatus(%s) = %q, want %q", k, got, v)
		}
	}
	if pc.PID() == 0 || len(pc.SecretKey()) != 4 {
		t.Errorf("BackendKeyData pid %d key %x", pc.PID(), pc.SecretKey())
	}
	if pc.TxStatus() != 'I' {
		t.Errorf("TxStatus %c", pc.TxStatus())
	}
	// The executor got the startup parameters, with database from the URL.
	var db string
	if err := conn.QueryRow(context.Background(), "show database").Scan(&db); err != nil || db != "testdb" {
		t.Errorf("show database = %q, %v", db, err)
	}
}

func TestPgxMultiStatement(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	results, err := pc.Exec(context.Background(), "select 1; create source x; begin; select 1").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tags := []string{"SELECT 1", "CREATE SOURCE", "BEGIN", "SELECT 1"}
	if len(results) != len(tags) {
		t.Fatalf("%d results, want %d", len(results), len(tags))
	}
	for i, r := range results {
		if r.Err != nil || r.CommandTag.String() != tags[i] {
			t.Errorf("result %d: tag %q err %v", i, r.CommandTag, r.Err)
		}
	}
	if len(results[0].Rows) != 1 || string(results[0].Rows[0][0]) != "1" || len(results[0].FieldDescriptions) != 1 {
		t.Errorf("select 1 result: %+v", results[0])
	}
	if fd := results[0].FieldDescriptions[0]; fd.Name != "?column?" || fd.DataTypeOID != 23 || fd.DataTypeSize != 4 || fd.TypeModifier != -1 || fd.Format != 0 {
		t.Errorf("field description %+v", fd)
	}
	if results[1].FieldDescriptions != nil || results[1].Rows != nil {
		t.Errorf("CREATE SOURCE returned rows: %+v", results[1])
	}
	if pc.TxStatus() != 'T' {
		t.Errorf("TxStatus after BEGIN = %c", pc.TxStatus())
	}
}

func TestPgxTypes(t *testing.T) {
	ts := startServer(t)
	checkPgxTypes(t, ts.pgxConn(t, ""))
}

// checkPgxTypes runs "select types" on conn and checks every value as
// pgx decodes it (in text or binary, as conn's exec mode asks).
func checkPgxTypes(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "select types")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()

	fds := rows.FieldDescriptions()
	wantOIDs := []uint32{16, 21, 23, 20, 700, 701, 25, 1043, 19, 3802, 17, 1114, 1184, 1082, 1186, 26, 1007, 1009, 25}
	if len(fds) != len(wantOIDs) {
		t.Fatalf("%d columns", len(fds))
	}
	for i, fd := range fds {
		if fd.DataTypeOID != wantOIDs[i] {
			t.Errorf("column %s: OID %d, want %d", fd.Name, fd.DataTypeOID, wantOIDs[i])
		}
	}
	if fds[2].TableOID != 16384 || fds[2].TableAttributeNumber != 2 {
		t.Errorf("i4 source column: %+v", fds[2])
	}

	if !rows.Next() {
		t.Fatalf("no row: %v", rows.Err())
	}
	var (
		b    bool
		i2   int16
		i4   int32
		i8   int64
		f4   float32
		f8   float64
		txt  string
		vc   string
		nm   string
		j    map[string]any
		by   []byte
		ts1  time.Time
		tstz time.Time
		d    time.Time
		iv   pgtype.Interval
		o    uint32
		ai   []pgtype.Int4
		at   []string
		u    string
	)
	if err := rows.Scan(&b, &i2, &i4, &i8, &f4, &f8, &txt, &vc, &nm, &j, &by, &ts1, &tstz, &d, &iv, &o, &ai, &at, &u); err != nil {
		t.Fatal(err)
	}
	check := func(name string, ok bool, got any) {
		if !ok {
			t.Errorf("%s decoded to %#v", name, got)
		}
	}
	check("b", b, b)
	check("i2", i2 == -2, i2)
	check("i4", i4 == math.MaxInt32, i4)
	check("i8", i8 == math.MinInt64, i8)
	check("f4", f4 == 1.5, f4)
	check("f8", f8 == 1234567.25, f8)
	check("t", txt == "héllo, wörld", txt)
	check("vc", vc == "", vc)
	check("nm", nm == "pg_catalog", nm)
	check("j", len(j) == 1 && len(j["a"].([]any)) == 2, j)
	check("by", string(by) == "\xde\xad\xbe\xef", by)
	check("ts", ts1.Equal(time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)), ts1)
	check("tstz", tstz.Equal(time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC)), tstz)
	check("d", d.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), d)
	check("iv", iv == pgtype.Interval{Months: 14, Days: 3, Microseconds: 3723000000, Valid: true}, iv)
	check("o", o == math.MaxUint32, o)
	check("ai", len(ai) == 3 && ai[0].Int32 == 1 && !ai[1].Valid && ai[2].Int32 == 3, ai)
	check("at", strings.Join(at, "|") == `a|b c||NULL|q"x`, at)
	check("u", u == "lit", u)

	// The second row is all NULL.
	if !rows.Next() {
		t.Fatalf("no second row: %v", rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if v != nil {
			t.Errorf("column %s of the NULL row = %#v", fds[i].Name, v)
		}
	}
	if rows.Next() {
		t.Error("a third row")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if tag := rows.CommandTag().String(); tag != "SELECT 2" {
		t.Errorf("tag %q", tag)
	}
}

func TestPgxNullUnknownColumn(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConn(t, "")
	var s *string
	if err := conn.QueryRow(context.Background(), "select null").Scan(&s); err != nil || s != nil {
		t.Errorf("select null = %v, %v", s, err)
	}
}

func TestPgxEmptyQuery(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	for _, q := range []string{"", " ; ;\n"} {
		results, err := pc.Exec(context.Background(), q).ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if len(results) != 1 || results[0].CommandTag.String() != "" || results[0].Rows != nil {
			t.Errorf("%q: %+v", q, results)
		}
	}
}

func TestPgxErrorFields(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConn(t, "")
	// "é" is two bytes; the position counts characters.
	_, err := conn.Exec(context.Background(), "create source é; bad nosuch")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("err = %v", err)
	}
	if pgErr.Code != "42703" || pgErr.Severity != "ERROR" || pgErr.SeverityUnlocalized != "ERROR" ||
		pgErr.Message != `column "nosuch" does not exist` || pgErr.Hint != `Perhaps you meant "good".` ||
		pgErr.Detail != "detail here" || pgErr.Position != 22 {
		t.Errorf("PgError %+v", pgErr)
	}
	// The connection is still usable.
	var one int32
	if err := conn.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("after error: %d, %v", one, err)
	}
}

func TestPgxErrorInSecondOfThree(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	results, err := pc.Exec(context.Background(), "begin; bogus statement; create source never").ReadAll()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42601" || pgErr.Position != 8 {
		t.Fatalf("err = %#v", err)
	}
	// pgconn returns the results before the failing one.
	if len(results) != 1 || results[0].CommandTag.String() != "BEGIN" || results[0].Err != nil {
		t.Fatalf("results %+v", results)
	}
	if pc.TxStatus() != 'E' {
		t.Errorf("TxStatus = %c, want E", pc.TxStatus())
	}
}

func TestPgxInternalErrorIsHidden(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConn(t, "")
	_, err := conn.Exec(context.Background(), "internal")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "XX000" || strings.Contains(pgErr.Message, "secret") {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(ts.logs.String(), "secret: disk on fire") {
		t.Error("the real error was not logged")
	}
	// A session handing an unsupported type to Columns gets an error too.
	_, err = conn.Exec(context.Background(), "badtype")
	if !errors.As(err, &pgErr) || pgErr.Code != "XX000" {
		t.Fatalf("badtype err = %#v", err)
	}
}

func TestPgxNotice(t *testing.T) {
	ts := startServer(t)
	var notices []*pgconn.Notice
	pc := ts.pgConn(t, func(c *pgconn.Config) {
		c.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n) }
	})
	if _, err := pc.Exec(context.Background(), "notice").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0].Severity != "WARNING" || notices[0].Code != "01000" || notices[0].Message != "careful" {
		t.Errorf("notices %+v", notices)
	}
}

// TestPgxCancelRequest cancels a running query with an explicit
// CancelRequest on a second connection.
func TestPgxCancelRequest(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := pc.Exec(context.Background(), "wait").ReadAll()
		done <- err
	}()
	ts.waitStarted(t)
	if err := pc.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	select {
	case err := <-done:
		if !errors.As(err, &pgErr) || pgErr.Code != "57014" || pgErr.Message != "canceling statement due to user request" {
			t.Fatalf("err = %#v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("query not canceled")
	}
	// The session survives the cancel.
	if _, err := pc.Exec(context.Background(), "select 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
}

// TestPgxContextCancel cancels through pgx's context, which sends a
// CancelRequest when configured to.
func TestPgxContextCancel(t *testing.T) {
	ts := startServer(t)
	cfg, err := pgx.ParseConfig(ts.connString(""))
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

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		ts.waitStarted(t)
		cancel()
	}()
	_, err = conn.Exec(ctx, "wait")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("err = %#v", err)
	}
	var one int32
	if err := conn.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestCancelWithWrongKeyIsIgnored(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := pc.Exec(context.Background(), "wait").ReadAll()
		done <- err
	}()
	ts.waitStarted(t)
	for _, req := range []*pgproto3.CancelRequest{
		{ProcessID: pc.PID(), SecretKey: []byte{1, 2, 3, 4}},
		{ProcessID: pc.PID() + 1000, SecretKey: pc.SecretKey()},
	} {
		f := rawConn(t, ts)
		f.fe.Send(req)
		if err := f.fe.Flush(); err != nil {
			t.Fatal(err)
		}
		f.expectClosed(t)
	}
	select {
	case err := <-done:
		t.Fatalf("query ended: %v", err)
	default:
	}
	if err := pc.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	if err := <-done; !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("err = %#v", err)
	}
}

func TestPgxTerminate(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, nil)
	eventually(t, "one session", func() bool { return ts.exec.openSessions() == 1 })
	if err := pc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "session closed", func() bool { return ts.exec.openSessions() == 0 && ts.srv.ConnCount() == 0 })
	if !strings.Contains(ts.logs.String(), "client terminated the session") {
		t.Error("Terminate was not seen")
	}
}

func TestConnectRejectedBySession(t *testing.T) {
	ts := startServer(t)
	cfg, _ := pgconn.ParseConfig(strings.Replace(ts.connString(""), "tester@", "reject@", 1))
	_, err := pgconn.ConnectConfig(context.Background(), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28000" || pgErr.Severity != "FATAL" {
		t.Fatalf("err = %#v", err)
	}
}

func TestMaxConns(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxConns = 1 })
	ts.pgConn(t, nil)
	cfg, _ := pgconn.ParseConfig(ts.connString(""))
	_, err := pgconn.ConnectConfig(context.Background(), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "53300" {
		t.Fatalf("second connection: %#v", err)
	}
}

func TestClientEncoding(t *testing.T) {
	ts := startServer(t)
	ts.pgxConn(t, "client_encoding=UTF8")
	cfg, _ := pgconn.ParseConfig(ts.connString("client_encoding=LATIN1"))
	_, err := pgconn.ConnectConfig(context.Background(), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "22023" {
		t.Fatalf("LATIN1: %#v", err)
	}
}

// TestNegotiateProtocolVersion connects with pgx asking for protocol
// 3.2; the server answers NegotiateProtocolVersion and pgx continues in
// 3.0, including 4-byte cancel keys.
func TestNegotiateProtocolVersion(t *testing.T) {
	ts := startServer(t)
	pc := ts.pgConn(t, func(c *pgconn.Config) { c.MaxProtocolVersion = "latest" })
	if _, err := pc.Exec(context.Background(), "select 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(pc.SecretKey()) != 4 {
		t.Errorf("secret key %x", pc.SecretKey())
	}
}

// TestAuthenticatorSeam plugs in a cleartext-password Authenticator and
// checks that pgx can log in through it and is refused with a wrong
// password.
func TestAuthenticatorSeam(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Authenticator = passwordAuth{password: "s3cret"} })
	ts.pgConn(t, func(c *pgconn.Config) { c.Password = "s3cret" })
	cfg, _ := pgconn.ParseConfig(ts.connString(""))
	cfg.Password = "wrong"
	_, err := pgconn.ConnectConfig(context.Background(), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("wrong password: %#v", err)
	}
}

type passwordAuth struct{ password string }

func (a passwordAuth) Authenticate(_ context.Context, req AuthRequest, ex AuthExchange) error {
	if err := ex.Send(&pgproto3.AuthenticationCleartextPassword{}); err != nil {
		return err
	}
	msg, err := ex.Receive()
	if err != nil {
		return err
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok || pw.Password != a.password {
		return sqlerr.New(sqlerr.InvalidPassword, "password authentication failed for user %q", req.User)
	}
	return nil
}

// TestLargeResultStreams reads a result far larger than the output
// buffer.
func TestLargeResultStreams(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConn(t, "")
	rows, err := conn.Query(context.Background(), "rows 100000")
	if err != nil {
		t.Fatal(err)
	}
	var n, sum int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		n++
		sum += v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 100000 || sum != 100000*99999/2 {
		t.Errorf("%d rows, sum %d", n, sum)
	}
}

func TestPanicInSessionClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t)
	other := ts.pgxConn(t, "")
	victim := ts.pgConn(t, nil)
	_, err := victim.Exec(context.Background(), "panic").ReadAll()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "XX000" || pgErr.Severity != "FATAL" {
		t.Fatalf("err = %#v", err)
	}
	if !containsAll(ts.logs.String(), "panic while serving connection", "boom", "fake_test.go") {
		t.Errorf("panic not logged with stack:\n%s", ts.logs.String())
	}
	var one int32
	if err := other.QueryRow(context.Background(), "select 1").Scan(&one); err != nil {
		t.Fatalf("other connection: %v", err)
	}
	eventually(t, "victim closed", func() bool { return ts.srv.ConnCount() == 1 })
}

func TestServeShutdownClosesConnections(t *testing.T) {
	checkGoroutines(t)
	ts := startServer(t)
	idle := ts.pgConn(t, nil)
	busy := ts.pgConn(t, nil)
	done := make(chan error, 1)
	go func() {
		_, err := busy.Exec(context.Background(), "wait").ReadAll()
		done <- err
	}()
	ts.waitStarted(t)
	ts.stop()
	if err := <-done; err == nil {
		t.Error("busy query survived shutdown")
	}
	if _, err := idle.Exec(context.Background(), "select 1").ReadAll(); err == nil {
		t.Error("idle connection survived shutdown")
	}
	if ts.srv.Addr() == nil {
		t.Error("Addr is nil after Serve")
	}
}

func TestServeMisuse(t *testing.T) {
	if err := NewServer(Config{}).Serve(context.Background(), nil); err == nil {
		t.Error("Serve without an executor succeeded")
	}
	ts := startServer(t)
	eventually(t, "Serve to start", func() bool { return ts.srv.Addr() != nil })
	ln, _ := netListen(t)
	if err := ts.srv.Serve(context.Background(), ln); err == nil {
		t.Error("second Serve succeeded")
	}
	if NewServer(Config{Executor: ts.exec}).Addr() != nil {
		t.Error("Addr before Serve")
	}
}
