package engine_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// liveResult collects a streaming statement's rows from another
// goroutine: each row as "diff service worst".
type liveResult struct {
	result
	mu   sync.Mutex
	live []string
}

func (r *liveResult) Columns(cols []engine.Column) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.result.Columns(cols)
}

func (r *liveResult) Rows(rec arrow.RecordBatch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < int(rec.NumRows()); i++ {
		var parts []string
		for j, c := range r.cols {
			if c.Name == "tocsin_ts" {
				if rec.Column(j).IsNull(i) {
					parts = append(parts, "no-ts")
				}
				continue
			}
			parts = append(parts, functions.DatumAt(rec.Column(j), c.Type, i).String())
		}
		r.live = append(r.live, strings.Join(parts, " "))
	}
	return nil
}

func (r *liveResult) rowsSoFar() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.live...)
}

func (r *liveResult) columnNames() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, c := range r.cols {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

// waitLive polls until the rows collected so far are want, in any order
// within each group of rows that arrived together (want is compared
// sorted).
func waitLive(t *testing.T, r *liveResult, want ...string) {
	t.Helper()
	sort.Strings(want)
	waitFor(t, 10*time.Second, "subscribed rows", func() string {
		got := r.rowsSoFar()
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Sprintf("got %q, want %q", got, want)
		}
		return ""
	})
}

const worstView = `CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM events GROUP BY service`

// runSubscribe runs sql on a new session in the background; the
// returned function cancels it and returns its error.
func (te *testEngine) runSubscribe(t *testing.T, sql string) (*liveResult, func() error) {
	t.Helper()
	sess := te.NewSession(map[string]string{"user": "sub"})
	ctx, cancel := context.WithCancel(context.Background())
	r := &liveResult{}
	errc := make(chan error, 1)
	go func() { errc <- sess.Query(ctx, sql, r) }()
	return r, func() error {
		cancel()
		select {
		case err := <-errc:
			_ = sess.Close()
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("SUBSCRIBE did not end after its context was canceled")
			return nil
		}
	}
}

func TestSubscribeSnapshotThenChanges(t *testing.T) {
	l := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"events": l})
	defer te.Close()
	te.exec(t, eventsSource)
	te.exec(t, worstView)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	emit(l, at, "api", 120, "db", 30)
	waitFor(t, 10*time.Second, "view rows", func() string {
		if n := te.exec(t, "SELECT count(*) FROM worst").rows[0][0].I; n != 2 {
			return fmt.Sprintf("%d rows", n)
		}
		return ""
	})

	r, stop := te.runSubscribe(t, "SUBSCRIBE worst")
	waitLive(t, r, "1 api 120", "1 db 30")
	if got := r.columnNames(); got != "tocsin_ts,tocsin_diff,service,worst" {
		t.Errorf("columns %s", got)
	}
	emit(l, at.Add(time.Second), "api", 300, "web", 5)
	waitLive(t, r, "1 api 120", "1 db 30", "-1 api 120", "1 api 300", "1 web 5")
	// A change that does not change the view's rows sends nothing.
	emit(l, at.Add(2*time.Second), "api", 100)
	emit(l, at.Add(3*time.Second), "db", 31)
	waitLive(t, r, "1 api 120", "1 db 30", "-1 api 120", "1 api 300", "1 web 5", "-1 db 30", "1 db 31")

	err := stop()
	if sqlerr.CodeOf(err) != sqlerr.QueryCanceled {
		t.Fatalf("canceled SUBSCRIBE returned %v, want 57014", err)
	}
	// The view keeps running without its subscriber.
	emit(l, at.Add(4*time.Second), "db", 40)
	waitFor(t, 10*time.Second, "view after cancel", func() string {
		r := te.exec(t, "SELECT worst FROM worst WHERE service = 'db'")
		if len(r.rows) != 1 || r.rows[0][0].F != 40 {
			return fmt.Sprintf("%v", r.rows)
		}
		return ""
	})
}

func TestSubscribeWithoutSnapshot(t *testing.T) {
	l := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"events": l})
	defer te.Close()
	te.exec(t, eventsSource)
	te.exec(t, worstView)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	emit(l, at, "api", 120)
	waitFor(t, 10*time.Second, "view rows", func() string {
		if n := te.exec(t, "SELECT count(*) FROM worst").rows[0][0].I; n != 1 {
			return fmt.Sprintf("%d rows", n)
		}
		return ""
	})
	r, stop := te.runSubscribe(t, "SUBSCRIBE TO worst WITH (snapshot = false)")
	waitFor(t, 10*time.Second, "columns", func() string {
		if r.columnNames() == "" {
			return "no columns yet"
		}
		return ""
	})
	emit(l, at.Add(time.Second), "db", 7)
	waitLive(t, r, "1 db 7")
	if err := stop(); sqlerr.CodeOf(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v", err)
	}
}

func TestSubscribeErrors(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"events": memory.NewLog(1)})
	defer te.Close()
	te.exec(t, eventsSource)
	te.exec(t, `CREATE TABLE t (a INT)`)
	for sql, code := range map[string]sqlerr.Code{
		"SUBSCRIBE nope":            sqlerr.UndefinedTable,
		"SUBSCRIBE events":          sqlerr.WrongObjectType,
		"SUBSCRIBE t":               sqlerr.WrongObjectType,
		"FETCH c":                   sqlerr.InvalidCursorName,
		"CLOSE c":                   sqlerr.InvalidCursorName,
		"NOTIFY tocsin_alerts, 'x'": sqlerr.InsufficientPrivilege,
		"NOTIFY ch, '" + strings.Repeat("x", 8000) + "'": sqlerr.InvalidParameterValue,
	} {
		if _, err := te.execErr(sql, ""); sqlerr.CodeOf(err) != code {
			t.Errorf("%.40s: got %v, want %s", sql, err, code)
		}
	}
	te.exec(t, worstView)
	if _, err := te.execErr("SUBSCRIBE worst WITH (snapshot = maybe)", ""); sqlerr.CodeOf(err) != sqlerr.InvalidParameterValue {
		t.Errorf("bad snapshot option: %v", err)
	}
	if _, err := te.execErr("SUBSCRIBE worst WITH (progress = true)", ""); sqlerr.CodeOf(err) != sqlerr.InvalidParameterValue {
		t.Errorf("unknown option: %v", err)
	}
}

func TestCursorOverSubscribe(t *testing.T) {
	l := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"events": l})
	defer te.Close()
	te.exec(t, eventsSource)
	te.exec(t, worstView)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	emit(l, at, "api", 120, "db", 30, "web", 9)
	waitFor(t, 10*time.Second, "view rows", func() string {
		if n := te.exec(t, "SELECT count(*) FROM worst").rows[0][0].I; n != 3 {
			return fmt.Sprintf("%d rows", n)
		}
		return ""
	})
	te.exec(t, "DECLARE c CURSOR FOR SUBSCRIBE worst")
	if _, err := te.execErr("DECLARE c CURSOR FOR SUBSCRIBE worst", ""); sqlerr.CodeOf(err) != sqlerr.DuplicateCursor {
		t.Errorf("second DECLARE c: %v", err)
	}
	rowsOf := func(r *result) []string {
		var out []string
		for i := range r.rows {
			out = append(out, fmt.Sprintf("%d %s %v", r.col(i, "tocsin_diff").I, r.col(i, "service").S, r.col(i, "worst").F))
		}
		sort.Strings(out)
		return out
	}
	r := te.exec(t, "FETCH 2 c")
	if len(r.rows) != 2 || r.tags[0] != "FETCH 2" || len(r.cols) != 4 {
		t.Fatalf("FETCH 2: %v %v", r.rows, r.tags)
	}
	got := rowsOf(r)
	r = te.exec(t, "FETCH ALL FROM c")
	got = append(got, rowsOf(r)...)
	sort.Strings(got)
	if want := "1 api 120,1 db 30,1 web 9"; strings.Join(got, ",") != want {
		t.Fatalf("snapshot through FETCH: %q, want %s", got, want)
	}
	// Nothing buffered: a timeout returns no rows.
	r = te.exec(t, "FETCH ALL c WITH (timeout = '20ms')")
	if len(r.rows) != 0 || r.tags[0] != "FETCH 0" || len(r.cols) != 4 {
		t.Fatalf("empty FETCH: %v %v %v", r.rows, r.tags, r.cols)
	}
	// Without a timeout FETCH waits for the next change.
	done := make(chan *result, 1)
	go func() {
		r, err := te.execErr("FETCH ALL c", "")
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	emit(l, at.Add(time.Second), "web", 10)
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("FETCH did not return after a change")
	}
	// The change's two rows arrive together.
	if got := rowsOf(r); strings.Join(got, ",") != "-1 web 9,1 web 10" {
		t.Fatalf("FETCH after a change: %q", got)
	}
	te.exec(t, "CLOSE c")
	if _, err := te.execErr("FETCH c", ""); sqlerr.CodeOf(err) != sqlerr.InvalidCursorName {
		t.Fatalf("FETCH after CLOSE: %v", err)
	}
}

func TestCursorCancelAndTransactions(t *testing.T) {
	l := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"events": l})
	defer te.Close()
	te.exec(t, eventsSource)
	te.exec(t, worstView)
	te.exec(t, "DECLARE c CURSOR FOR SUBSCRIBE worst WITH (snapshot = false)")

	// A waiting FETCH ends with 57014 when canceled; the cursor stays.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- te.sess.Query(ctx, "FETCH c", &result{}) }()
	cancel()
	if err := <-errc; sqlerr.CodeOf(err) != sqlerr.QueryCanceled {
		t.Fatalf("canceled FETCH: %v", err)
	}
	emit(l, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), "api", 1)
	if r := te.exec(t, "FETCH 5 c"); len(r.rows) != 1 {
		t.Fatalf("FETCH after a canceled FETCH: %v", r.rows)
	}

	// A cursor declared in a transaction block ends with it, unless WITH HOLD.
	te.exec(t, "BEGIN; DECLARE t1 CURSOR FOR SUBSCRIBE worst; DECLARE t2 CURSOR WITH HOLD FOR SUBSCRIBE worst; COMMIT")
	if _, err := te.execErr("FETCH t1 WITH (timeout = '0s')", ""); sqlerr.CodeOf(err) != sqlerr.InvalidCursorName {
		t.Errorf("t1 after COMMIT: %v", err)
	}
	te.exec(t, "FETCH t2 WITH (timeout = '0s')")
	te.exec(t, "CLOSE ALL")
	for _, c := range []string{"c", "t2"} {
		if _, err := te.execErr("FETCH "+c, ""); sqlerr.CodeOf(err) != sqlerr.InvalidCursorName {
			t.Errorf("%s after CLOSE ALL: %v", c, err)
		}
	}
}

func TestCursorOverSelect(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1)
	defer te.Close()
	te.exec(t, `CREATE TABLE t (a INT)`)
	te.exec(t, `INSERT INTO t VALUES (1), (2), (3), (4), (5)`)
	te.exec(t, `BEGIN; DECLARE _psql_cursor NO SCROLL CURSOR FOR SELECT a FROM t ORDER BY a`)
	var got []string
	for {
		r := te.exec(t, "FETCH FORWARD 2 FROM _psql_cursor")
		if len(r.rows) == 0 {
			if r.tags[0] != "FETCH 0" {
				t.Fatalf("tag %s", r.tags[0])
			}
			break
		}
		for _, row := range r.rows {
			got = append(got, row[0].String())
		}
	}
	te.exec(t, "CLOSE _psql_cursor; COMMIT")
	if strings.Join(got, ",") != "1,2,3,4,5" {
		t.Fatalf("rows %v", got)
	}
}

// notes is a ResultWriter that keeps notices.
type notes struct {
	result
	notices []string
}

func (n *notes) Notice(sev, msg string) error {
	n.notices = append(n.notices, sev+": "+msg)
	return nil
}

func TestListenNotify(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1)
	defer te.Close()
	a := te.NewSession(map[string]string{"user": "a"})
	b := te.NewSession(map[string]string{"user": "b"})
	defer a.Close()
	defer b.Close()
	ach, bch := a.Notifications(11), b.Notifications(22)
	run := func(s *engine.Session, sql string) {
		if err := s.Query(context.Background(), sql, &result{}); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	run(a, "LISTEN jobs; LISTEN other")
	run(b, "NOTIFY jobs, 'first'; NOTIFY nobody, 'x'; NOTIFY jobs")
	for _, want := range []engine.Notification{{Channel: "jobs", Payload: "first", PID: 22}, {Channel: "jobs", PID: 22}} {
		select {
		case n := <-ach:
			if n != want {
				t.Fatalf("got %+v, want %+v", n, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
		}
	}
	select {
	case n := <-bch:
		t.Fatalf("b does not listen but got %+v", n)
	default:
	}
	run(a, "UNLISTEN jobs")
	run(b, "NOTIFY jobs, 'after'; NOTIFY other, 'still'")
	if n := <-ach; n.Channel != "other" || n.Payload != "still" {
		t.Fatalf("after UNLISTEN: %+v", n)
	}
	// A session notifies itself too; UNLISTEN * stops everything.
	run(a, "LISTEN mine; NOTIFY mine, 'me'")
	if n := <-ach; n.PID != 11 || n.Payload != "me" {
		t.Fatalf("self notification %+v", n)
	}
	run(a, "UNLISTEN *")
	run(b, "NOTIFY mine; NOTIFY other")
	select {
	case n := <-ach:
		t.Fatalf("after UNLISTEN *: %+v", n)
	default:
	}

	// A session that does not read its notifications loses the oldest,
	// and is told so with its next statement.
	run(a, "LISTEN flood")
	for i := range 1030 {
		run(b, fmt.Sprintf("NOTIFY flood, '%d'", i))
	}
	if n := <-ach; n.Payload != "6" {
		t.Fatalf("oldest kept notification %q, want 6", n.Payload)
	}
	var w notes
	if err := a.Query(context.Background(), "SELECT 1", &w); err != nil {
		t.Fatal(err)
	}
	if len(w.notices) != 1 || !strings.Contains(w.notices[0], "6 notifications were dropped") {
		t.Fatalf("notices %q", w.notices)
	}
}
