//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// TestPostgresDifferential proves Tocsin computes what PostgreSQL
// computes. For every case of testdata/pgdiff/*.case it compares a
// Tocsin materialized view (or an ad hoc query) over generated event
// streams with the equivalent batch query in a real PostgreSQL 15 over
// the same events, after the watermark has passed the end of the data.
//
// The run has three phases, so that late events are late whatever the
// batching:
//
//  1. Selection. Every case is a parallel subtest; each records itself
//     as selected (so -run TestPostgresDifferential/<case> selects
//     cases, and only their datasets and tables are loaded) and waits.
//  2. Setup, in this function: one PostgreSQL cluster, one broker and
//     one Tocsin server for the whole run; per dataset a topic, a
//     source, a PostgreSQL table filled with COPY; the reference tables;
//     then every selected case's Tocsin statements (its views exist
//     before any data). Then the data is written; for datasets with late
//     events the test waits until every view that windows the dataset
//     has read all of it before writing the late events; last come the
//     sentinels (see pgdiff_data_test.go).
//  3. Comparison, in the subtests, two at a time: each polls its query
//     until it equals PostgreSQL's rows, and fails with a diff when its
//     views have read everything and still differ, or at a deadline.
//
// It runs only with TOCSIN_PGDIFF=1 (make pgdiff sets it), so that
// make test, which runs every package with the race detector, does not
// run it a second time.
func TestPostgresDifferential(t *testing.T) {
	if os.Getenv("TOCSIN_PGDIFF") == "" {
		t.Skip("set TOCSIN_PGDIFF=1 to run the differential test against PostgreSQL (make pgdiff)")
	}
	files, err := loadCaseFiles("testdata/pgdiff")
	if err != nil {
		t.Fatal(err)
	}
	if len(files.cases) == 0 {
		t.Fatal("no cases in testdata/pgdiff/*.case")
	}
	h := &diffHarness{files: files, ready: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(h.ready) }) }
	defer release()
	h.outcomes = map[string]pdOutcome{}
	t.Cleanup(func() { h.summarize(t) })
	for _, c := range files.cases {
		t.Run(c.name, func(t *testing.T) {
			h.selectCase(c)
			t.Parallel()
			<-h.ready
			ct := &caseT{T: t, h: h, name: c.name}
			defer ct.record()
			if !h.setUp {
				ct.fail(outcomeHarness, "the harness's setup failed (see TestPostgresDifferential's log)")
			}
			h.run(ct, c)
		})
	}
	if len(h.selected) == 0 {
		return
	}
	start := time.Now()
	h.setup(t)
	h.setUp = true
	t.Logf("setup of %d cases took %v", len(h.selected), time.Since(start).Round(time.Millisecond))
	release()
}

// diffHarness is the state shared by the cases. The setup phase writes
// it; after ready is closed it is only read.
type diffHarness struct {
	files *pgCaseFile
	ready chan struct{}
	setUp bool

	mu       sync.Mutex
	selected []*pgCase
	outcomes map[string]pdOutcome

	env      *testEnv
	pg       *pgServer
	ctx      context.Context
	datasets map[string]*dataset
	dsErr    map[string]error
	tableErr map[string]error
	setupErr map[string]error  // per case: a Tocsin setup statement failed
	stmtOf   map[string]string // created view -> its CREATE statement
}

func (h *diffHarness) selectCase(c *pgCase) {
	h.mu.Lock()
	h.selected = append(h.selected, c)
	h.mu.Unlock()
}

// Timeouts of the comparison phase.
const (
	pdCatchUpTimeout = 2 * time.Minute // views reading the data before late events are written
	pdCaseTimeout    = 2 * time.Minute // one case's polling, whatever happens
	pdSettleTime     = 3 * time.Second // a case's views read everything: results must be final by now
	pdPollInterval   = 100 * time.Millisecond
)

// setup starts the servers and loads what the selected cases need.
func (h *diffHarness) setup(t *testing.T) {
	h.pg = startPostgres(t)
	h.env = newDiffEnv(t)
	h.ctx = h.env.ctx
	h.datasets = map[string]*dataset{}
	h.dsErr = map[string]error{}
	h.tableErr = map[string]error{}
	h.setupErr = map[string]error{}
	h.stmtOf = map[string]string{}
	ctx := h.ctx
	sort.Slice(h.selected, func(i, j int) bool {
		return slices.Index(h.files.cases, h.selected[i]) < slices.Index(h.files.cases, h.selected[j])
	})

	pg := h.connectPG(t)
	defer pg.Close(context.Background())
	toc := h.connectTocsin(t)
	defer toc.Close(context.Background())
	if _, err := pg.Exec(ctx, "SET TimeZone = 'UTC'").ReadAll(); err != nil {
		t.Fatal(err)
	}

	// Datasets and tables the selected cases use.
	needDS := map[string]bool{}
	needTables := map[string]bool{}
	for _, c := range h.selected {
		for _, d := range c.datasets {
			needDS[d] = true
		}
		for _, tb := range c.tables {
			needTables[tb] = true
		}
	}
	brokers := []string{h.env.broker.Addr()}
	for _, name := range pdSortedKeys(needDS) {
		spec := h.files.datasets[name]
		ds, err := spec.generate()
		if err != nil {
			t.Fatal(err) // a dataset the case files cannot have
		}
		h.datasets[name] = ds
		if err := kafka.CreateTopic(ctx, brokers, ds.topic(), spec.partitions); err != nil {
			t.Fatal(err)
		}
		if _, err := toc.Exec(ctx, ds.createSource(h.env.broker.Addr())).ReadAll(); err != nil {
			h.dsErr[name] = fmt.Errorf("tocsin: CREATE SOURCE %s: %w", name, err)
		}
		for _, ddl := range ds.postgresDDL() {
			if _, err := pg.Exec(ctx, ddl).ReadAll(); err != nil {
				t.Fatalf("postgres: %s: %v", ddl, err)
			}
		}
		copySQL := fmt.Sprintf("COPY %s_all FROM STDIN", name)
		if _, err := pg.CopyFrom(ctx, strings.NewReader(string(ds.copyData())), copySQL); err != nil {
			t.Fatalf("postgres: %s: %v", copySQL, err)
		}
		if _, err := pg.Exec(ctx, fmt.Sprintf("ANALYZE %s_all", name)).ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range pdSortedKeys(needTables) {
		tb := h.files.tables[name]
		for _, st := range tb.postgres {
			if _, err := pg.Exec(ctx, st).ReadAll(); err != nil {
				t.Fatalf("postgres: table %s: %s: %v", name, st, err)
			}
		}
		for _, st := range tb.tocsin {
			if _, err := toc.Exec(ctx, st).ReadAll(); err != nil {
				h.tableErr[name] = fmt.Errorf("tocsin: table %s: %s: %w", name, st, err)
				break
			}
		}
	}

	// The data first, and for datasets without late events the
	// sentinels too, before any view reads the topics: the writes then
	// do not compete with every view's fetches for the broker.
	start := time.Now()
	var lateDS []*dataset
	for _, name := range pdSortedKeys(needDS) {
		ds := h.datasets[name]
		if err := pdProduce(ctx, brokers, ds.topic(), pdMessages(ds.data)); err != nil {
			t.Fatal(err)
		}
		if len(ds.late) > 0 {
			lateDS = append(lateDS, ds)
		} else if err := pdProduce(ctx, brokers, ds.topic(), pdMessages(ds.sentinels)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d datasets in %v", len(needDS), time.Since(start).Round(time.Millisecond))

	// Every case's views.
	start = time.Now()
	for _, c := range h.selected {
		if h.depsBroken(c) != nil {
			continue
		}
		for _, st := range c.tocsin {
			st = h.expand(c, st)
			if _, err := toc.Exec(ctx, st).ReadAll(); err != nil {
				h.setupErr[c.name] = &pdStmtError{stmt: st, err: err}
				break
			}
			if m := pdCreateViewRE.FindStringSubmatch(st); m != nil {
				h.stmtOf[strings.ToLower(m[1])] = st
			}
		}
	}
	t.Logf("created %d views in %v", len(h.stmtOf), time.Since(start).Round(time.Millisecond))

	// Late events once the windowed views have read the data, then the
	// sentinels.
	for _, ds := range lateDS {
		start := time.Now()
		if msg := h.waitWindowedViews(toc, ds); msg != "" {
			t.Logf("dataset %s: %s; writing its late events anyway", ds.spec.name, msg)
		}
		t.Logf("dataset %s: windowed views read the data in %v", ds.spec.name, time.Since(start).Round(time.Millisecond))
		if err := pdProduce(ctx, brokers, ds.topic(), pdMessages(ds.late)); err != nil {
			t.Fatal(err)
		}
		if err := pdProduce(ctx, brokers, ds.topic(), pdMessages(ds.sentinels)); err != nil {
			t.Fatal(err)
		}
	}
}

// newDiffEnv is newEnv with checkpoints on, as a server runs by default
// (the <view>_late tables are written with the checkpoints), and with an
// idle timeout longer than any run. Idleness is processing time: with
// the default 30 s, a slow run (the race detector, a loaded machine) that
// starts a view more than 30 s before its data arrives would let the
// first partition read move the watermark past the others' data and drop
// it as late, a result PostgreSQL cannot reproduce. The sentinels, one
// per partition, advance every partition's watermark instead.
func newDiffEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0",
		idleTimeout: 24 * time.Hour, checkpointInterval: time.Second}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.close() })
	return &testEnv{broker: b, srv: srv, ctx: ctx}
}

// pdStmtError is a failed setup statement.
type pdStmtError struct {
	stmt string
	err  error
}

func (e *pdStmtError) Error() string {
	return fmt.Sprintf("%v\n  statement: %s", e.err, pdOneLine(e.stmt))
}
func (e *pdStmtError) Unwrap() error { return e.err }

func pdOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func pdSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pdProduce writes msgs in order.
func pdProduce(ctx context.Context, brokers []string, topic string, msgs []kafka.Message) error {
	w := kafka.NewWriter(brokers, topic)
	defer w.Close()
	for len(msgs) > 0 {
		n := min(len(msgs), 5000)
		if err := w.Write(ctx, msgs[:n]...); err != nil {
			return fmt.Errorf("produce to %s: %w", topic, err)
		}
		msgs = msgs[n:]
	}
	return nil
}

func (h *diffHarness) connectPG(t *testing.T) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(h.ctx, h.pg.connString())
	if err != nil {
		t.Fatalf("connect to postgres: %v", err)
	}
	return conn
}

func (h *diffHarness) connectTocsin(t *testing.T) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(h.ctx, fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable", h.env.srv.pgAddr))
	if err != nil {
		t.Fatalf("connect to tocsin: %v", err)
	}
	return conn
}

// expand substitutes {cut}.
func (h *diffHarness) expand(c *pgCase, sql string) string {
	if len(c.datasets) == 0 || !strings.Contains(sql, "{cut}") {
		return sql
	}
	return strings.ReplaceAll(sql, "{cut}", h.datasets[c.datasets[0]].cutLiteral())
}

// depsBroken returns the setup error of a dataset or table c uses.
func (h *diffHarness) depsBroken(c *pgCase) error {
	for _, d := range c.datasets {
		if err := h.dsErr[d]; err != nil {
			return err
		}
	}
	for _, tb := range c.tables {
		if err := h.tableErr[tb]; err != nil {
			return err
		}
	}
	return nil
}

// pdViewInfo is a row of SHOW MATERIALIZED VIEWS.
type pdViewInfo struct {
	status       string
	records, lag int64
	err          string
}

func pdShowViews(ctx context.Context, conn *pgconn.PgConn) (map[string]pdViewInfo, error) {
	r, err := pdQuery(ctx, conn, "SHOW MATERIALIZED VIEWS")
	if err != nil {
		return nil, err
	}
	out := map[string]pdViewInfo{}
	for _, row := range r.rows {
		get := func(col string) pdCell {
			if i := slices.Index(r.names, col); i >= 0 {
				return row[i]
			}
			return pdCell{null: true}
		}
		num := func(col string) int64 {
			n, _ := strconv.ParseInt(get(col).text, 10, 64)
			return n
		}
		out[get("name").text] = pdViewInfo{status: get("status").text, records: num("records"), lag: num("lag"), err: get("error").text}
	}
	return out, nil
}

// pdSourceRow returns the columns of one source in SHOW SOURCES.
func pdSourceRow(ctx context.Context, conn *pgconn.PgConn, name string) (map[string]string, error) {
	r, err := pdQuery(ctx, conn, "SHOW SOURCES")
	if err != nil {
		return nil, err
	}
	i := slices.Index(r.names, "name")
	for _, row := range r.rows {
		if i >= 0 && row[i].text == name {
			m := map[string]string{}
			for j, n := range r.names {
				m[n] = row[j].text
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("source %s is not in SHOW SOURCES (%d rows)", name, len(r.rows))
}

// windowedViews lists the created views that window ds directly.
func (h *diffHarness) windowedViews(ds string) []string {
	var out []string
	for v, st := range h.stmtOf {
		if pdWindowedOver(st, ds) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// waitWindowedViews waits until every view windowing ds has read all of
// its data (or failed). It returns what it gave up on, or "".
func (h *diffHarness) waitWindowedViews(conn *pgconn.PgConn, ds *dataset) string {
	views := h.windowedViews(ds.spec.name)
	deadline := time.Now().Add(pdCatchUpTimeout)
	for {
		infos, err := pdShowViews(h.ctx, conn)
		var behind []string
		switch {
		case err != nil:
			behind = []string{err.Error()}
		default:
			for _, v := range views {
				info, ok := infos[v]
				if !ok {
					// Not listed: nothing to wait for. Its case will
					// tell whether the view works.
					continue
				}
				if info.status != "failed" && info.records < int64(len(ds.data)) {
					behind = append(behind, fmt.Sprintf("%s (%s, %d of %d records)", v, info.status, info.records, len(ds.data)))
				}
			}
		}
		if len(behind) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return "views still behind after " + pdCatchUpTimeout.String() + ": " + strings.Join(behind, ", ")
		}
		time.Sleep(pdPollInterval)
	}
}

// run runs one case in its subtest.
func (h *diffHarness) run(t *caseT, c *pgCase) {
	if c.lateCounter {
		h.checkLateCounter(t, c)
		return
	}
	if err := h.depsBroken(c); err != nil {
		t.failErr(err, "a dataset or table of the case could not be set up: %v", err)
	}
	ctx := h.ctx
	pg := h.connectPG(t.T)
	defer pg.Close(context.Background())
	toc := h.connectTocsin(t.T)
	defer toc.Close(context.Background())
	if _, err := pg.Exec(ctx, "SET TimeZone = 'UTC'").ReadAll(); err != nil {
		t.fail(outcomeHarness, "%v", err)
	}
	for _, st := range c.pgSetup {
		if _, err := pg.Exec(ctx, h.expand(c, st)).ReadAll(); err != nil {
			t.fail(outcomeCaseBug, "case bug: postgres setup failed: %v\n  statement: %s", err, pdOneLine(st))
		}
	}
	query, pgQuery := h.expand(c, c.query), h.expand(c, c.pgQuery)
	want, pgErr := pdQuery(ctx, pg, pgQuery)
	if c.errCode != "" {
		h.checkError(t, c, toc, query, pgQuery, pgErr)
		return
	}
	if pgErr != nil {
		t.fail(outcomeCaseBug, "case bug: the postgres query failed: %v\n  query: %s", pgErr, pdOneLine(pgQuery))
	}
	if err := h.setupErr[c.name]; err != nil {
		t.failErr(err, "tocsin rejected the case's setup: %v", err)
	}
	var cut time.Time
	if len(c.datasets) > 0 {
		cut = h.datasets[c.datasets[0]].cut
		if _, err := pdDropSentinelRows(want, c.cutCol, cut); err != nil {
			t.fail(outcomeCaseBug, "case bug: postgres result: %v", err)
		}
	}
	if len(want.rows) == 0 && !c.emptyOK {
		t.fail(outcomeCaseBug, "case bug: postgres returns no rows, so the case proves nothing (add empty-ok if that is intended)\n  query: %s", pdOneLine(pgQuery))
	}

	deadline := time.Now().Add(pdCaseTimeout)
	var settledAt time.Time
	for {
		got, err := pdQuery(ctx, toc, query)
		var diff string
		switch {
		case err != nil:
			diff = fmt.Sprintf("tocsin query failed: %v\n  query: %s", err, pdOneLine(query))
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pdPermanentError(pe.Code) {
				t.failErr(err, "%s", diff)
			}
		case !cut.IsZero():
			if _, err := pdDropSentinelRows(got, c.cutCol, cut); err != nil {
				t.fail(outcomeWrong, "tocsin result: %v", err)
			}
			fallthrough
		default:
			diff = pdDiff(got, want, c)
		}
		if diff == "" {
			return
		}
		settled, failed := h.caseSettled(toc, c)
		if failed != "" {
			t.fail(outcomeViewFailed, "%s\nlast difference:\n%s", failed, diff)
		}
		now := time.Now()
		switch {
		case !settled:
			settledAt = time.Time{}
		case settledAt.IsZero():
			settledAt = now
		case now.Sub(settledAt) > pdSettleTime:
			t.fail(outcomeWrong, "the case's views read every record %v ago and the result still differs:\n%s", pdSettleTime, diff)
		}
		if now.After(deadline) {
			t.fail(outcomeWrong, "no match after %v:\n%s", pdCaseTimeout, diff)
		}
		time.Sleep(pdPollInterval)
	}
}

// pdPermanentError reports SQLSTATE classes that waiting cannot fix:
// syntax and semantic errors, unsupported features, data exceptions.
func pdPermanentError(code string) bool {
	for _, p := range []string{"42", "0A", "22", "2B"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

// caseSettled reports whether every view of the case has read all of its
// source (a view over another view: is running with no lag), and the
// error of a view that failed.
func (h *diffHarness) caseSettled(conn *pgconn.PgConn, c *pgCase) (bool, string) {
	infos, err := pdShowViews(h.ctx, conn)
	if err != nil {
		return false, ""
	}
	for _, v := range c.views {
		st, ok := h.stmtOf[v]
		if !ok {
			continue
		}
		info, ok := infos[v]
		if !ok {
			continue // not listed: nothing to wait for
		}
		if info.status == "failed" {
			return false, fmt.Sprintf("materialized view %s failed: %s", v, info.err)
		}
		if info.status != "running" || info.lag != 0 {
			return false, ""
		}
		for _, d := range c.datasets {
			if ds := h.datasets[d]; sqlMentions(st, d) && info.records < int64(ds.total()) {
				return false, ""
			}
		}
	}
	return true, ""
}

// checkError checks that Tocsin fails like PostgreSQL: the same SQLSTATE
// and, when both ran the same text, the same position.
func (h *diffHarness) checkError(t *caseT, c *pgCase, toc *pgconn.PgConn, query, pgQuery string, pgErr error) {
	var want *pgconn.PgError
	if !errors.As(pgErr, &want) || want.Code != c.errCode {
		t.fail(outcomeCaseBug, "case bug: postgres should fail with %s, got %v\n  query: %s", c.errCode, pgErr, pdOneLine(pgQuery))
	}
	gotErr := h.setupErr[c.name]
	sameText := false
	if gotErr == nil {
		_, gotErr = pdQuery(h.ctx, toc, query)
		sameText = query == pgQuery
	}
	var got *pgconn.PgError
	switch {
	case gotErr == nil:
		t.fail(outcomeErrMismatch, "tocsin succeeded; postgres fails with %s: %s", want.Code, want.Message)
	case !errors.As(gotErr, &got):
		t.fail(outcomeErrMismatch, "tocsin failed without a SQLSTATE (%v); postgres fails with %s: %s", gotErr, want.Code, want.Message)
	case got.Code != want.Code && (got.Code == "0A000" || got.Code == "42883"):
		t.fail(outcomeUnsupported, "tocsin fails with %s (%s); postgres with %s (%s)", got.Code, got.Message, want.Code, want.Message)
	case got.Code != want.Code:
		t.fail(outcomeErrMismatch, "tocsin fails with %s (%s); postgres with %s (%s)", got.Code, got.Message, want.Code, want.Message)
	case sameText && !c.noPos && want.Position != 0 && got.Position != want.Position:
		t.fail(outcomeErrMismatch, "tocsin reports the error at position %d, postgres at %d (%s)\n  query: %s", got.Position, want.Position, want.Message, pdOneLine(query))
	}
}

// checkLateCounter is the synthetic case of a dataset with late events:
// SHOW SOURCES counts every late event once per view that windows the
// source, and every record once.
func (h *diffHarness) checkLateCounter(t *caseT, c *pgCase) {
	name := c.datasets[0]
	if err := h.depsBroken(c); err != nil {
		t.failErr(err, "the dataset could not be set up: %v", err)
	}
	ds := h.datasets[name]
	pg := h.connectPG(t.T)
	defer pg.Close(context.Background())
	r, err := pdQuery(h.ctx, pg, fmt.Sprintf("SELECT count(*) FROM %s_all WHERE late", name))
	if err != nil || r.rows[0][0].text != strconv.Itoa(len(ds.late)) {
		t.fail(outcomeHarness, "postgres holds %v late events (%v), want %d", r, err, len(ds.late))
	}
	toc := h.connectTocsin(t.T)
	defer toc.Close(context.Background())
	views := h.windowedViews(name)
	if len(views) == 0 {
		t.Skipf("no selected case windows %s, so nothing drops its late events; select its cases too", name)
	}
	wantLate := len(ds.late) * len(views)
	deadline := time.Now().Add(pdCaseTimeout)
	var settledAt time.Time
	for {
		row, err := pdSourceRow(h.ctx, toc, name)
		var msg string
		settled := false
		if err != nil {
			msg = err.Error()
			settled = true // waiting will not list it
		} else {
			msg = fmt.Sprintf("SHOW SOURCES %s: records %s, dead_letters %s, late %s; want records %d, dead_letters 0, late %d (%d late events x %d windowed views: %s)",
				name, row["records"], row["dead_letters"], row["late"], ds.total(), wantLate, len(ds.late), len(views), strings.Join(views, ", "))
			if row["records"] == strconv.Itoa(ds.total()) && row["dead_letters"] == "0" && row["late"] == strconv.Itoa(wantLate) {
				return
			}
			settled = row["records"] == strconv.Itoa(ds.total()) && row["lag"] == "0"
		}
		now := time.Now()
		switch {
		case !settled:
			settledAt = time.Time{}
		case settledAt.IsZero():
			settledAt = now
		case now.Sub(settledAt) > pdSettleTime:
			t.fail(outcomeWrong, "%s", msg)
		}
		if now.After(deadline) {
			t.fail(outcomeWrong, "%s", msg)
		}
		time.Sleep(pdPollInterval)
	}
}
