package pgwire

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
)

// extendedModes are pgx's exec modes that use the extended protocol.
var extendedModes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement,
	pgx.QueryExecModeCacheDescribe,
	pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec,
}

// pgxConnMode connects with pgx using exec mode mode.
func (ts *testServer) pgxConnMode(t testing.TB, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestPgxExtendedModes(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	for _, mode := range extendedModes {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.pgxConnMode(t, mode)
			var n int64
			if err := conn.QueryRow(ctx, "SELECT $1::int8 + 1", 41).Scan(&n); err != nil || n != 42 {
				t.Fatalf("SELECT $1::int8 + 1 = %d, %v", n, err)
			}
			// Twice, so cached statements are reused.
			for range 2 {
				rows, err := conn.Query(ctx, "SELECT * FROM t WHERE x = $1", 2)
				if err != nil {
					t.Fatal(err)
				}
				type row struct {
					X    int32
					Name string
					TS   *time.Time
					F    *float64
				}
				got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 2 || got[0].Name != "two" || !got[0].TS.Equal(time.Date(2024, 2, 29, 13, 14, 16, 0, time.UTC)) ||
					*got[0].F != 2.5 || got[1].Name != "deux" || got[1].TS != nil || got[1].F != nil {
					t.Errorf("rows %+v", got)
				}
				if tag := rows.CommandTag().String(); tag != "SELECT 2" {
					t.Errorf("tag %q", tag)
				}
			}
			checkPgxTypes(t, conn)
			// Statements without parameters or rows.
			if tag, err := conn.Exec(ctx, "create source x"); err != nil || tag.String() != "CREATE SOURCE" {
				t.Errorf("create source: %q, %v", tag, err)
			}
			// NULL parameters.
			var s *string
			if err := conn.QueryRow(ctx, "select $1::text", nil).Scan(&s); err != nil || s != nil {
				t.Errorf("NULL echo = %v, %v", s, err)
			}
		})
	}
}

// TestPgxParamRoundTrip sends a value of every type as a parameter and
// reads it back, in every extended mode (binary parameters and results
// in the cached modes, text in exec mode).
func TestPgxParamRoundTrip(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	tsv := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cases := []struct {
		typ  string
		in   any
		want any
	}{
		{"bool", true, true},
		{"int2", int16(-32768), int16(-32768)},
		{"int4", int32(math.MaxInt32), int32(math.MaxInt32)},
		{"int8", int64(math.MinInt64), int64(math.MinInt64)},
		{"float4", float32(1.5), float32(1.5)},
		{"float8", 1.0 / 3, 1.0 / 3},
		{"text", "héllo, wörld", "héllo, wörld"},
		{"varchar", "", ""},
		{"name", "pg_catalog", "pg_catalog"},
		{"bytea", []byte{0, 0xff, '\\', 'x'}, []byte{0, 0xff, '\\', 'x'}},
		{"jsonb", `{"b": [1, "x"], "a": null}`, map[string]any{"b": []any{1.0, "x"}, "a": nil}},
		{"date", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"timestamp", tsv, tsv},
		{"timestamptz", tsv.In(time.FixedZone("+0130", 5400)), tsv},
		{"interval", pgtype.Interval{Months: 14, Days: -3, Microseconds: 7200000001, Valid: true}, pgtype.Interval{Months: 14, Days: -3, Microseconds: 7200000001, Valid: true}},
		{"oid", uint32(math.MaxUint32), uint32(math.MaxUint32)},
	}
	for _, mode := range extendedModes {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.pgxConnMode(t, mode)
			for _, c := range cases {
				rows, err := conn.Query(ctx, "select $1::"+c.typ, c.in)
				if err != nil {
					t.Fatalf("%s: %v", c.typ, err)
				}
				got, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[any])
				if err != nil {
					t.Errorf("%s: %v", c.typ, err)
					continue
				}
				if tm, ok := got.(time.Time); ok {
					if !tm.Equal(c.want.(time.Time)) {
						t.Errorf("%s: got %v, want %v", c.typ, tm, c.want)
					}
					continue
				}
				if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
					t.Errorf("%s: got %#v, want %#v", c.typ, got, c.want)
				}
			}
		})
	}
}

// TestPgxPrepareNamed prepares named statements with conn.Prepare and
// runs them by name, with binary parameters and results.
func TestPgxPrepareNamed(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	conn := ts.pgxConnMode(t, pgx.QueryExecModeCacheStatement)
	sd, err := conn.Prepare(ctx, "inc", "SELECT $1::int8 + 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 20 || len(sd.Fields) != 1 || sd.Fields[0].DataTypeOID != 20 {
		t.Errorf("description %+v", sd)
	}
	sd, err = conn.Prepare(ctx, "where", "SELECT * FROM t WHERE x = $1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 23 || len(sd.Fields) != 4 {
		t.Errorf("description %+v", sd)
	}
	for i := range int64(3) {
		var n int64
		if err := conn.QueryRow(ctx, "inc", i).Scan(&n); err != nil || n != i+1 {
			t.Errorf("inc(%d) = %d, %v", i, n, err)
		}
	}
	var name string
	if err := conn.QueryRow(ctx, "where", 3).Scan(nil, &name, nil, nil); err != nil || name != "three" {
		t.Errorf("where(3) = %q, %v", name, err)
	}
	// Preparing the same name again is pgx's no-op; Deallocate closes it.
	if err := conn.Deallocate(ctx, "inc"); err != nil {
		t.Fatal(err)
	}
	// The statement is gone on the server: a raw Bind to it fails.
	res := conn.PgConn().ExecPrepared(ctx, "inc", [][]byte{[]byte("1")}, nil, nil).Read()
	var pgErr *pgconn.PgError
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "26000" {
		t.Errorf("after Deallocate: %v", res.Err)
	}
}

// TestPgxExtendedErrors checks the errors pgx users see.
func TestPgxExtendedErrors(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	for _, mode := range extendedModes {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.pgxConnMode(t, mode)
			var pgErr *pgconn.PgError
			_, err := conn.Exec(ctx, "bad  é_col")
			if !errors.As(err, &pgErr) || pgErr.Code != "42703" || pgErr.Position != 6 {
				t.Errorf("parse error: %#v", err)
			}
			_, err = conn.Exec(ctx, "fail $1", 1)
			if !errors.As(err, &pgErr) || pgErr.Code != "22012" {
				t.Errorf("execute error: %#v", err)
			}
			// The connection is usable after errors.
			var n int64
			if err := conn.QueryRow(ctx, "SELECT $1::int8 + 1", 1).Scan(&n); err != nil || n != 2 {
				t.Errorf("after errors: %d, %v", n, err)
			}
		})
	}
	// Text parameters that do not parse (exec mode sends text).
	conn := ts.pgxConnMode(t, pgx.QueryExecModeExec)
	var pgErr *pgconn.PgError
	_, err := conn.Exec(ctx, "select $1::int4", "forty-two")
	if !errors.As(err, &pgErr) || pgErr.Code != "22P02" {
		t.Errorf("bad text parameter: %#v", err)
	}
}

// TestPgxExtendedCancel cancels a running Execute through pgx's
// context, which sends a CancelRequest.
func TestPgxExtendedCancel(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConnMode(t, pgx.QueryExecModeCacheStatement)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		ts.waitStarted(t)
		cancel()
	}()
	_, err := conn.Exec(ctx, "wait")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("err = %#v", err)
	}
	var n int64
	if err := conn.QueryRow(context.Background(), "SELECT $1::int8 + 1", 1).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after cancel: %d, %v", n, err)
	}
}

// TestPgxStreamExtended reads a continuous query's first rows through
// the extended protocol: without a row limit, rows stream as batches
// arrive rather than at completion.
func TestPgxStreamExtended(t *testing.T) {
	ts := startServer(t)
	conn := ts.pgxConnMode(t, pgx.QueryExecModeCacheStatement)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := conn.Query(ctx, "stream")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20000 {
		if !rows.Next() {
			t.Fatalf("row %d: %v", i, rows.Err())
		}
	}
	cancel()
	rows.Close()
	var pgErr *pgconn.PgError
	if !errors.As(rows.Err(), &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("err = %v", rows.Err())
	}
}

// TestPgxConcurrentConns runs prepared queries on several connections
// at once, as a pool (Grafana's pgxpool driver) does. pgxpool itself
// needs github.com/jackc/puddle/v2 in go.mod, which this module does
// not list yet.
func TestPgxConcurrentConns(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	conns := make([]*pgx.Conn, 4)
	for i := range conns {
		conns[i] = ts.pgxConnMode(t, pgx.QueryExecModeCacheStatement)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for g, conn := range conns {
		wg.Go(func() {
			for i := range int64(20) {
				var n int64
				want := int64(g)*100 + i
				if err := conn.QueryRow(ctx, "SELECT $1::int8 + 1", want).Scan(&n); err != nil || n != want+1 {
					errs <- fmt.Errorf("conn %d query %d: %d, %v", g, i, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
