package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// testEnv is an in-process Tocsin with an in-process kfake broker.
type testEnv struct {
	broker *broker.Broker
	srv    *server
	ctx    context.Context
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.close() })
	return &testEnv{broker: b, srv: srv, ctx: ctx}
}

func (e *testEnv) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable", e.srv.pgAddr))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(e.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// reqEvent is one generated request event.
type reqEvent struct {
	tsMS    int64
	service string
	host    string
	latency float64
	status  int
}

func (e reqEvent) json() []byte {
	return fmt.Appendf(nil, `{"ts":%d,"service":%q,"host":%q,"latency_ms":%s,"status":%d}`,
		e.tsMS, e.service, e.host, formatFloat(e.latency), e.status)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// genEvents makes n events over keys services whose event times lag their
// production order by at most maxDisorder, so none is later than a
// 5-second watermark.
func genEvents(seed int64, n, keys int, start time.Time, stepMS, maxDisorderMS int64) []reqEvent {
	rng := rand.New(rand.NewSource(seed))
	evs := make([]reqEvent, n)
	base := start.UnixMilli()
	for i := range evs {
		status := 200
		switch r := rng.Intn(100); {
		case r < 4:
			status = 500 + rng.Intn(4)
		case r < 9:
			status = 404
		}
		evs[i] = reqEvent{
			tsMS:    base + int64(i)*stepMS - rng.Int63n(maxDisorderMS+1),
			service: fmt.Sprintf("svc-%02d", rng.Intn(keys)+1),
			host:    fmt.Sprintf("host-%02d", rng.Intn(8)),
			latency: math.Round(rng.ExpFloat64()*80000) / 1000,
			status:  status,
		}
	}
	return evs
}

func produce(t *testing.T, ctx context.Context, brokers []string, topic string, msgs []kafka.Message) {
	t.Helper()
	w := kafka.NewWriter(brokers, topic)
	defer w.Close()
	for len(msgs) > 0 {
		n := min(len(msgs), 5000)
		if err := w.Write(ctx, msgs[:n]...); err != nil {
			t.Fatal(err)
		}
		msgs = msgs[n:]
	}
}

// windowRow is one row of req_1m.
type windowRow struct {
	start, end   time.Time
	service      string
	n            int64
	total, avg   float64
	minMS, maxMS float64
}

func (r windowRow) key() string { return r.start.UTC().Format(time.RFC3339) + "/" + r.service }

// oracleView computes req_1m with a plain loop over the events.
func oracleView(evs []reqEvent) map[string]windowRow {
	out := map[string]windowRow{}
	for _, e := range evs {
		if e.status >= 500 {
			continue
		}
		startMS := e.tsMS - ((e.tsMS%60000)+60000)%60000
		r := windowRow{start: time.UnixMilli(startMS).UTC(), end: time.UnixMilli(startMS + 60000).UTC(), service: e.service}
		if old, ok := out[r.key()]; ok {
			r = old
		} else {
			r.minMS, r.maxMS = math.Inf(1), math.Inf(-1)
		}
		r.n++
		r.total += e.latency
		r.minMS = math.Min(r.minMS, e.latency)
		r.maxMS = math.Max(r.maxMS, e.latency)
		r.avg = r.total / float64(r.n)
		out[r.key()] = r
	}
	return out
}

const createSource = `CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, host VARCHAR,
  latency_ms DOUBLE PRECISION, status INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector='kafka', topic='requests', properties.bootstrap.server='%s',
  scan.startup.mode='earliest') FORMAT PLAIN ENCODE JSON`

const createView = `CREATE MATERIALIZED VIEW req_1m AS
  SELECT window_start, window_end, service, count(*) AS n, sum(latency_ms) AS total_ms,
         avg(latency_ms) AS avg_ms, min(latency_ms) AS min_ms, max(latency_ms) AS max_ms
  FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE)
  WHERE status < 500
  GROUP BY window_start, window_end, service`

func queryView(ctx context.Context, conn *pgx.Conn, sql string) (map[string]windowRow, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]windowRow{}
	for rows.Next() {
		var r windowRow
		if err := rows.Scan(&r.start, &r.end, &r.service, &r.n, &r.total, &r.avg, &r.minMS, &r.maxMS); err != nil {
			return nil, err
		}
		out[r.key()] = r
	}
	return out, rows.Err()
}

func relClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// diffViews describes the first differences between got and want.
func diffViews(got, want map[string]windowRow) string {
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+k)
		case g.n != w.n || !relClose(g.total, w.total) || !relClose(g.avg, w.avg) || g.minMS != w.minMS || g.maxMS != w.maxMS || !g.end.Equal(w.end):
			diffs = append(diffs, fmt.Sprintf("%s: got n=%d total=%v avg=%v min=%v max=%v end=%v; want n=%d total=%v avg=%v min=%v max=%v end=%v",
				k, g.n, g.total, g.avg, g.minMS, g.maxMS, g.end, w.n, w.total, w.avg, w.minMS, w.maxMS, w.end))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "unexpected "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("... and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "\n")
}

// poll calls f until it returns "" or the deadline passes, then fails
// with f's last answer.
func poll(t *testing.T, timeout time.Duration, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %v:\n%s", what, timeout, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type sourceCounts struct{ records, accepted, malformed, late int64 }

func showSource(ctx context.Context, conn *pgx.Conn, name string) (sourceCounts, error) {
	rows, err := conn.Query(ctx, "SHOW SOURCES")
	if err != nil {
		return sourceCounts{}, err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return sourceCounts{}, err
		}
		m := map[string]any{}
		for i, f := range fields {
			m[f.Name] = vals[i]
		}
		if m["name"] == name {
			return sourceCounts{m["records"].(int64), m["accepted"].(int64), m["dead_letters"].(int64), m["late"].(int64)}, nil
		}
	}
	return sourceCounts{}, fmt.Errorf("source %s not in SHOW SOURCES", name)
}

// TestEndToEnd is the walking skeleton's acceptance test: 200,000 events
// over 50 keys with bounded disorder through a 4-partition topic, the
// source and view created through pgx, the view compared with a plain
// loop; then a late event and a malformed record, counted and absent.
func TestEndToEnd(t *testing.T) {
	env := newEnv(t)
	ctx := env.ctx
	brokers := []string{env.broker.Addr()}
	if err := kafka.CreateTopic(ctx, brokers, "requests", 4); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 21, 12, 0, 7, 0, time.UTC)
	evs := genEvents(42, 200_000, 50, start, 2, 3000)
	msgs := make([]kafka.Message, len(evs))
	for i, e := range evs {
		msgs[i] = kafka.Message{Key: []byte(e.service), Value: e.json(), Partition: -1}
	}
	produce(t, ctx, brokers, "requests", msgs)

	conn := env.connect(t)
	if _, err := conn.Exec(ctx, fmt.Sprintf(createSource, env.broker.Addr())); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, createView); err != nil {
		t.Fatal(err)
	}
	// A second view on the same source, append-only: each window's row
	// once, when the watermark passes its end.
	if _, err := conn.Exec(ctx, createView[:len("CREATE MATERIALIZED VIEW ")]+"req_1m_closed"+
		createView[len("CREATE MATERIALIZED VIEW req_1m"):]+" EMIT ON WINDOW CLOSE"); err != nil {
		t.Fatal(err)
	}

	want := oracleView(evs)
	const all = "SELECT * FROM req_1m ORDER BY window_start, service"
	poll(t, 2*time.Minute, "req_1m equals the oracle", func() string {
		got, err := queryView(ctx, conn, all)
		if err != nil {
			return err.Error()
		}
		return diffViews(got, want)
	})

	// The product example's query: ordering and LIMIT on the view.
	rows, err := conn.Query(ctx, "SELECT window_start, n FROM req_1m WHERE service = 'svc-01' ORDER BY window_start DESC LIMIT 5")
	if err != nil {
		t.Fatal(err)
	}
	var starts []time.Time
	for rows.Next() {
		var s time.Time
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		if w := want[s.UTC().Format(time.RFC3339)+"/svc-01"]; w.n != n {
			t.Fatalf("svc-01 window %v: n=%d want %d", s, n, w.n)
		}
		starts = append(starts, s)
	}
	if rows.Err() != nil || len(starts) != 5 || !sort.SliceIsSorted(starts, func(i, j int) bool { return starts[i].After(starts[j]) }) {
		t.Fatalf("ORDER BY window_start DESC LIMIT 5 gave %v (%v)", starts, rows.Err())
	}

	// The append-only view holds exactly the closed windows.
	poll(t, time.Minute, "req_1m_closed holds the closed windows", func() string {
		got, err := queryView(ctx, conn, "SELECT * FROM req_1m_closed")
		if err != nil {
			return err.Error()
		}
		closed := map[string]windowRow{}
		maxTS := int64(math.MinInt64)
		for _, e := range evs {
			maxTS = max(maxTS, e.tsMS)
		}
		for k, r := range want {
			if r.end.UnixMilli() <= maxTS-5000-3000 {
				closed[k] = r
			}
		}
		for k, r := range got {
			if _, ok := want[k]; !ok || r.end.UnixMilli() > maxTS-5000 {
				return "open window emitted: " + k
			}
		}
		for k := range closed {
			if _, ok := got[k]; !ok {
				return "closed window missing: " + k
			}
		}
		for k, r := range got {
			if d := diffViews(map[string]windowRow{k: r}, map[string]windowRow{k: want[k]}); d != "" {
				return d
			}
		}
		return ""
	})

	// A record far behind the watermark, and a malformed one.
	before, err := showSource(ctx, conn, "requests")
	if err != nil {
		t.Fatal(err)
	}
	late := reqEvent{tsMS: start.UnixMilli() + 30_000, service: "svc-late", host: "h", latency: 1, status: 200}
	produce(t, ctx, brokers, "requests", []kafka.Message{
		{Key: []byte("x"), Value: late.json(), Partition: 0},
		{Key: []byte("x"), Value: []byte(`{"ts": 1, "service": "svc-`), Partition: 1},
	})
	poll(t, time.Minute, "late and malformed counted", func() string {
		got, err := showSource(ctx, conn, "requests")
		if err != nil {
			return err.Error()
		}
		// Two views read the source: the late event is late for both.
		if got.malformed != before.malformed+1 || got.late != before.late+2 || got.records != before.records+2 {
			return fmt.Sprintf("before %+v, now %+v", before, got)
		}
		return ""
	})
	got, err := queryView(ctx, conn, all)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffViews(got, want); d != "" {
		t.Fatalf("after the late event the view changed:\n%s", d)
	}
}

// TestCatalogStatements covers SHOW, DESCRIBE, DROP with dependencies,
// IF [NOT] EXISTS and the error codes clients rely on.
func TestCatalogStatements(t *testing.T) {
	env := newEnv(t)
	ctx := env.ctx
	if err := kafka.CreateTopic(ctx, []string{env.broker.Addr()}, "requests", 4); err != nil {
		t.Fatal(err)
	}
	conn := env.connect(t)
	exec := func(sql string) error {
		_, err := conn.Exec(ctx, sql)
		return err
	}
	code := func(err error) string {
		if pe, ok := err.(*pgconn.PgError); ok {
			return pe.Code
		}
		return fmt.Sprintf("no SQLSTATE (%v)", err)
	}
	src := fmt.Sprintf(createSource, env.broker.Addr())
	for _, sql := range []string{src, createView} {
		if err := exec(sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := exec(src); code(err) != "42P07" {
		t.Fatalf("duplicate source: %v", err)
	}
	if err := exec(strings.Replace(src, "CREATE SOURCE", "CREATE SOURCE IF NOT EXISTS", 1)); err != nil {
		t.Fatalf("IF NOT EXISTS: %v", err)
	}
	if err := exec(strings.Replace(createView, "VIEW req_1m", "VIEW IF NOT EXISTS req_1m", 1)); err != nil {
		t.Fatalf("view IF NOT EXISTS: %v", err)
	}
	// FORMAT JSON and INTERVAL '1 minute' are accepted too.
	if err := exec(`CREATE SOURCE r2 (ts TIMESTAMPTZ, v INT, WATERMARK FOR ts AS ts - INTERVAL '5 seconds')
		WITH (connector='kafka', topic='requests', properties.bootstrap.server='` + env.broker.Addr() + `') FORMAT JSON`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`CREATE MATERIALIZED VIEW r2_1m AS SELECT window_start, count(*) AS n FROM TUMBLE(r2, ts, INTERVAL '1 minute') GROUP BY window_start`); err != nil {
		t.Fatal(err)
	}

	var names []string
	rows, _ := conn.Query(ctx, "SHOW MATERIALIZED VIEWS")
	for rows.Next() {
		vals, _ := rows.Values()
		names = append(names, vals[0].(string))
	}
	if strings.Join(names, ",") != "r2_1m,req_1m" {
		t.Fatalf("SHOW MATERIALIZED VIEWS = %v", names)
	}
	var cols []string
	rows, _ = conn.Query(ctx, "DESCRIBE req_1m")
	for rows.Next() {
		vals, _ := rows.Values()
		cols = append(cols, vals[0].(string)+" "+vals[1].(string))
	}
	wantCols := "window_start timestamp without time zone,window_end timestamp without time zone,service character varying,n bigint,total_ms double precision,avg_ms double precision,min_ms double precision,max_ms double precision"
	if strings.Join(cols, ",") != wantCols {
		t.Fatalf("DESCRIBE req_1m =\n%s\nwant\n%s", strings.Join(cols, ","), wantCols)
	}

	cases := []struct{ sql, code string }{
		{"DROP SOURCE requests", "2BP01"},
		{"DROP SOURCE nope", "42P01"},
		{"DROP MATERIALIZED VIEW requests", "42809"},
		{"SELECT nope FROM req_1m", "42703"},
		{"SELECT * FROM nope", "42P01"},
		{"SELECT nope(1)", "42883"},
		{"SELEC 1", "42601"},
		{"SELECT * FROM requests", "0A000"},
	}
	for _, c := range cases {
		if err := exec(c.sql); code(err) != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	err := exec("SELECT service, nope FROM req_1m")
	if p, ok := err.(*pgconn.PgError); !ok || p.Position != 17 {
		t.Fatalf("position of an undefined column: %#v", err)
	}
	if err := exec("DROP SOURCE IF EXISTS nope"); err != nil {
		t.Fatal(err)
	}
	if err := exec("DROP MATERIALIZED VIEW req_1m"); err != nil {
		t.Fatal(err)
	}
	if err := exec("DROP MATERIALIZED VIEW IF EXISTS req_1m"); err != nil {
		t.Fatal(err)
	}
	if err := exec("DROP SOURCE r2"); code(err) != "2BP01" {
		t.Fatalf("r2 still has r2_1m: %v", err)
	}
	if err := exec("DROP SOURCE r2 CASCADE"); err != nil {
		t.Fatal(err)
	}
	if err := exec("DROP SOURCE requests"); err != nil {
		t.Fatal(err)
	}
	rows, _ = conn.Query(ctx, "SHOW SOURCES")
	n := 0
	for rows.Next() {
		n++
	}
	if n != 0 {
		t.Fatalf("%d sources left after DROP", n)
	}
}
