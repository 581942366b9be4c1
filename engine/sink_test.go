package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/connectors/notify"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/scalar"
)

// fakeClock is the engine's clock in sink tests: alert timers (for,
// group_wait, escalation, silences) follow it, so tests move time
// instead of waiting for it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hookMsg is one request a fake receiver got.
type hookMsg struct {
	key  string
	body map[string]any
}

// receiver is an httptest webhook receiver that answers with the
// statuses it is given (then 200) and records what it accepted.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []hookMsg
	attempts int
	script   []int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts++
		if len(r.script) > 0 {
			code := r.script[0]
			r.script = r.script[1:]
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			if code != http.StatusOK {
				w.WriteHeader(code)
				fmt.Fprintf(w, "scripted %d", code)
				return
			}
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("receiver: body is not JSON: %v: %s", err, raw)
		}
		r.got = append(r.got, hookMsg{key: req.Header.Get("Idempotency-Key"), body: body})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) attemptCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

func (r *receiver) messages() []hookMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookMsg(nil), r.got...)
}

// alertsOf summarises a notification: status and each alert's
// service label and status.
func alertsOf(m hookMsg) string {
	var parts []string
	alerts, _ := m.body["alerts"].([]any)
	for _, a := range alerts {
		am, _ := a.(map[string]any)
		labels, _ := am["labels"].(map[string]any)
		parts = append(parts, fmt.Sprintf("%v:%v", labels["service"], am["status"]))
	}
	return fmt.Sprintf("%v[%s]", m.body["status"], strings.Join(parts, " "))
}

// openSinkEngine opens an engine with the alert channels, on clock.
func openSinkEngine(t *testing.T, dir string, clock *fakeClock, logs map[string]*memory.Log) *testEngine {
	t.Helper()
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	b := memory.NewBroker()
	for name, l := range logs {
		b.Add(name, l)
	}
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", b.Factory())
	chans := connectors.NewChannelRegistry()
	notify.Register(chans)
	e, err := engine.Open(engine.Options{
		Functions: reg, Connectors: conns, Channels: chans, DataDir: dir, CheckpointInterval: -1,
		Now: clock.Now, AlertTick: 5 * time.Millisecond, IdleTimeout: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testEngine{Engine: e, broker: b, sess: e.NewSession(map[string]string{"user": "test"})}
}

const eventsSource = `CREATE SOURCE events (ts TIMESTAMP, service VARCHAR, latency DOUBLE PRECISION,
	WATERMARK FOR ts AS ts) WITH (connector = 'memory', topic = 'events') FORMAT JSON`

// latFixture is the setup most sink tests share: a clock, the events
// log, an engine with the events source and the view lat (ts, service,
// latency) over it. The engine closes when the test ends.
func latFixture(t *testing.T) (*fakeClock, *memory.Log, *testEngine) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	l := memory.NewLog(1)
	te := openSinkEngine(t, t.TempDir(), clock, map[string]*memory.Log{"events": l})
	t.Cleanup(func() { _ = te.Close() })
	te.exec(t, eventsSource)
	te.exec(t, `CREATE MATERIALIZED VIEW lat AS SELECT ts, service, latency FROM events`)
	return clock, l, te
}

// emit appends one event per service=latency pair at event time ts.
func emit(l *memory.Log, ts time.Time, pairs ...any) {
	for i := 0; i < len(pairs); i += 2 {
		l.Append(0, fmt.Appendf(nil, `{"ts": %d, "service": %q, "latency": %v}`, ts.UnixMilli(), pairs[i], pairs[i+1]))
	}
}

// waitRows polls until view holds n rows, so the sink has seen them
// before the test moves the clock.
func (te *testEngine) waitRows(t *testing.T, view string, n int64) {
	t.Helper()
	waitFor(t, 10*time.Second, view+" rows", func() string {
		r := te.exec(t, "SELECT count(*) FROM "+view)
		if got := r.rows[0][0].I; got != n {
			return fmt.Sprintf("%d rows", got)
		}
		return ""
	})
}

// waitAlerts polls until the sink knows n alerts (in any state), so it
// has seen their rows before the test moves the clock.
func (te *testEngine) waitAlerts(t *testing.T, sink string, n int64) {
	t.Helper()
	waitFor(t, 10*time.Second, sink+" alerts", func() string {
		r := te.exec(t, fmt.Sprintf("SELECT count(*) FROM tocsin_alerts WHERE sink = '%s'", sink))
		if got := r.rows[0][0].I; got != n {
			return fmt.Sprintf("%d alerts", got)
		}
		return ""
	})
}

// waitMessages polls until the receiver holds want notifications
// (summarised by alertsOf), failing on more.
func waitMessages(t *testing.T, r *receiver, want ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, "notifications", func() string {
		msgs := r.messages()
		got := make([]string, len(msgs))
		for i, m := range msgs {
			got[i] = alertsOf(m)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Sprintf("got %q, want %q", got, want)
		}
		return ""
	})
}

// alertState returns tocsin_alerts' state of service's alert.
func (te *testEngine) alertState(t *testing.T, sink, service string) string {
	r := te.exec(t, fmt.Sprintf("SELECT state FROM tocsin_alerts WHERE sink = '%s' AND labels->>'service' = '%s'", sink, service))
	if len(r.rows) == 0 {
		return "none"
	}
	return r.rows[len(r.rows)-1][0].S
}

// TestSinkLifecycle drives one sink through the lifecycle with the clock:
// pending that never fires, firing after `for` and group_wait, resolve
// when the label set's latest row stops matching, and a silence.
func TestSinkLifecycle(t *testing.T) {
	clock, l, te := latFixture(t)
	hook := newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK slow FROM lat WHERE latency > 100 WITH (
		connector = 'webhook', url = '%s', labels = 'service', summary = '{{.service}} at {{.latency}} ms',
		for = '1 minute', group_by = 'service', group_wait = '10 seconds', group_interval = '1 minute',
		repeat_interval = '1 hour', resolve_timeout = '1 hour')`, hook.srv.URL))

	emit(l, clock.Now(), "api", 150, "db", 200)
	waitFor(t, 10*time.Second, "pending", func() string {
		if s := te.alertState(t, "slow", "api") + te.alertState(t, "slow", "db"); s != "pendingpending" {
			return s
		}
		return ""
	})
	clock.Advance(30 * time.Second)
	emit(l, clock.Now(), "db", 10) // db stops matching before `for`: never fires
	waitFor(t, 10*time.Second, "db's pending alert dropped", func() string {
		if s := te.alertState(t, "slow", "db"); s != "none" && s != "inactive" {
			return s
		}
		return ""
	})
	clock.Advance(40 * time.Second)
	waitFor(t, 10*time.Second, "api firing", func() string { return diff(te.alertState(t, "slow", "api"), "firing") })
	if s := te.alertState(t, "slow", "db"); s != "none" && s != "inactive" {
		t.Errorf("db alert is %s, want none (pending alerts that never fire are dropped)", s)
	}
	clock.Advance(15 * time.Second) // group_wait
	waitMessages(t, hook, "firing[api:firing]")
	if got := hook.messages()[0].body["alerts"].([]any)[0].(map[string]any)["annotations"].(map[string]any)["summary"]; got != "api at 150 ms" {
		t.Errorf("summary annotation = %v", got)
	}

	emit(l, clock.Now(), "api", 20) // stops matching: resolved
	te.waitRows(t, "lat", 4)
	waitFor(t, 10*time.Second, "api resolved", func() string { return diff(te.alertState(t, "slow", "api"), "resolved") })
	clock.Advance(time.Minute) // group_interval
	waitMessages(t, hook, "firing[api:firing]", "resolved[api:resolved]")

	// A silence holds a new alert's notifications; SHOW SILENCES lists it.
	te.exec(t, "CREATE SILENCE maint MATCHING (service = 'web') FOR '30 minutes' COMMENT 'deploy'")
	if r := te.exec(t, "SHOW SILENCES"); len(r.rows) != 1 || r.col(0, "comment").S != "deploy" {
		t.Fatalf("SHOW SILENCES: %v", r.rows)
	}
	emit(l, clock.Now(), "web", 500)
	waitFor(t, 10*time.Second, "web pending", func() string { return diff(te.alertState(t, "slow", "web"), "pending") })
	clock.Advance(2 * time.Minute)
	waitFor(t, 10*time.Second, "web firing", func() string { return diff(te.alertState(t, "slow", "web"), "firing") })
	clock.Advance(2 * time.Minute)
	r := te.exec(t, "SELECT silenced FROM tocsin_alerts WHERE labels->>'service' = 'web'")
	if len(r.rows) != 1 || !r.rows[0][0].Bool() {
		t.Errorf("web alert silenced = %v, want true", r.rows)
	}
	te.exec(t, "DROP SILENCE maint")
	clock.Advance(2 * time.Minute)
	waitMessages(t, hook, "firing[api:firing]", "resolved[api:resolved]", "firing[web:firing]")
	if keys := hook.messages(); keys[0].key == "" || keys[0].key == keys[1].key {
		t.Errorf("idempotency keys %q and %q: want distinct, non-empty", keys[0].key, keys[1].key)
	}
}

func diff(got, want string) string {
	if got == want {
		return ""
	}
	return "got " + got
}

// TestSinkEscalationAndAck routes a P2 alert to the default channel,
// escalates it to the P1 channel when nobody acknowledges it, and stops
// escalating once ACKNOWLEDGE ALERT runs.
func TestSinkEscalationAndAck(t *testing.T) {
	clock, l, te := latFixture(t)
	team, oncall := newReceiver(t), newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK slow FROM lat WHERE latency > 100 WITH (
		connector = 'webhook', url = '%s', labels = 'service', severity = 'P2', group_wait = '1 minute',
		channel.oncall.connector = 'webhook', channel.oncall.url = '%s', route.p1 = 'oncall',
		escalate_after.p2 = '10 minutes', escalate_after.p1 = '10 minutes', resolve_timeout = '1 hour')`, team.srv.URL, oncall.srv.URL))
	emit(l, clock.Now(), "api", 150, "db", 300)
	te.waitAlerts(t, "slow", 2)
	clock.Advance(time.Minute)
	waitMessages(t, team, "firing[api:firing db:firing]")
	r := te.exec(t, "SELECT id FROM tocsin_alerts WHERE labels->>'service' = 'db'")
	if len(r.rows) != 1 {
		t.Fatalf("tocsin_alerts rows for db: %v", r.rows)
	}
	te.exec(t, fmt.Sprintf("ACKNOWLEDGE ALERT %d BY 'alice'", r.rows[0][0].I))
	clock.Advance(10 * time.Minute)
	waitMessages(t, oncall, "firing[api:firing]")
	if got := oncall.messages()[0].body["escalation"]; got != float64(1) {
		t.Errorf("escalation = %v, want 1", got)
	}
	r = te.exec(t, "SELECT escalation_level, acknowledged_by FROM tocsin_alerts ORDER BY id")
	if len(r.rows) != 2 || r.rows[0][0].I != 1 || r.rows[1][1].S != "alice" {
		t.Errorf("tocsin_alerts escalation/ack: %v", r.rows)
	}
	if _, err := te.execErr("ACKNOWLEDGE ALERT 12345", ""); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("ACKNOWLEDGE of an unknown alert: %v", err)
	}
}

// TestSinkDelivery: a 500 and a 429 are retried until delivered, a 400
// goes to tocsin_sink_errors with the response, and channel health shows
// in tocsin_sink_channels.
func TestSinkDelivery(t *testing.T) {
	clock, l, te := latFixture(t)
	flaky := newReceiver(t, 500, 429)
	broken := newReceiver(t, 400)
	te.exec(t, fmt.Sprintf(`CREATE SINK a FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_wait = '0s', retry_initial = '10ms', retry_max = '50ms')`, flaky.srv.URL))
	te.exec(t, fmt.Sprintf(`CREATE SINK b FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_wait = '0s', retry_initial = '10ms')`, broken.srv.URL))
	emit(l, clock.Now(), "api", 150)
	waitMessages(t, flaky, "firing[api:firing]")
	if flaky.attemptCount() != 3 {
		t.Errorf("flaky receiver saw %d attempts, want 3 (500, 429, 200)", flaky.attemptCount())
	}
	waitFor(t, 10*time.Second, "sink error row", func() string {
		r := te.exec(t, "SELECT sink, status, response FROM tocsin_sink_errors")
		if len(r.rows) != 1 || r.rows[0][0].S != "b" || r.rows[0][1].I != 400 || !strings.Contains(r.rows[0][2].S, "scripted 400") {
			return fmt.Sprint(r.rows)
		}
		return ""
	})
	if n := len(broken.messages()); n != 0 || broken.attemptCount() != 1 {
		t.Errorf("400 receiver: %d accepted, %d attempts; want 0 and 1 (no retry)", n, broken.attemptCount())
	}
	// The receiver records a message before the dispatcher sees the
	// response and counts it, so the counters are polled.
	waitFor(t, 10*time.Second, "channel counters", func() string {
		r := te.exec(t, "SELECT sink, health, sent, failed, retried FROM tocsin_sink_channels ORDER BY sink")
		if len(r.rows) != 2 || r.rows[0][2].I != 1 || r.rows[0][4].I != 2 || r.rows[1][3].I != 1 {
			return fmt.Sprint(r.rows)
		}
		return ""
	})
}

// TestSinkOutboxSurvivesRestart: a notification whose channel is down
// stays in the outbox through a checkpoint and a restart, and is
// delivered afterwards with the same idempotency key.
func TestSinkOutboxSurvivesRestart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	l := memory.NewLog(1)
	logs := map[string]*memory.Log{"events": l}
	down := newReceiver(t, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503)
	te := openSinkEngine(t, dir, clock, logs)
	te.exec(t, eventsSource)
	te.exec(t, `CREATE MATERIALIZED VIEW lat AS SELECT ts, service, latency FROM events`)
	te.exec(t, fmt.Sprintf(`CREATE SINK a FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_wait = '0s', retry_initial = '20ms', retry_max = '20ms')`, down.srv.URL))
	emit(l, clock.Now(), "api", 150)
	waitFor(t, 10*time.Second, "a failed attempt", func() string {
		down.mu.Lock()
		defer down.mu.Unlock()
		if down.attempts < 2 {
			return "no attempt yet"
		}
		return ""
	})
	if err := te.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	// The receiver recovers; the restarted engine resends.
	down.mu.Lock()
	down.script = nil
	down.mu.Unlock()
	te = openSinkEngine(t, dir, clock, logs)
	defer te.Close()
	waitMessages(t, down, "firing[api:firing]")
	if k := down.messages()[0].key; k == "" {
		t.Error("no idempotency key")
	}
}

// TestSinkDefaultsAndInhibition: the simplest form (only connector and
// url) fires after Alertmanager's 30 s group_wait; the AS form sinks a
// query's rows; a firing P0 alert inhibits a P2 alert with the same
// service, until the rule is dropped.
func TestSinkDefaultsAndInhibition(t *testing.T) {
	clock, l, te := latFixture(t)
	simple, crit, warn := newReceiver(t), newReceiver(t), newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK s FROM lat WITH (connector = 'webhook', url = '%s')`, simple.srv.URL))
	te.exec(t, fmt.Sprintf(`CREATE SINK crit AS SELECT service, latency FROM lat WHERE latency > 1000
		WITH (connector = 'webhook', url = '%s', labels = 'service', severity = 'P0', group_wait = '0s', resolve_timeout = '1 hour')`, crit.srv.URL))
	te.exec(t, fmt.Sprintf(`CREATE SINK warn FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', severity = 'P2', group_by = 'service', group_wait = '10 seconds', group_interval = '1 minute', resolve_timeout = '1 hour')`, warn.srv.URL))
	te.exec(t, `CREATE INHIBITION crit_mutes_warn SOURCE MATCHING (severity = 'P0') TARGET MATCHING (severity = 'P2') EQUAL (service)`)
	if r := te.exec(t, "SHOW INHIBITIONS"); len(r.rows) != 1 || r.col(0, "equal").S != "service" {
		t.Fatalf("SHOW INHIBITIONS: %v", r.rows)
	}
	emit(l, clock.Now(), "api", 5000)
	te.waitRows(t, "lat", 1)
	waitMessages(t, crit, "firing[api:firing]")
	emit(l, clock.Now(), "db", 500)
	te.waitAlerts(t, "warn", 2)
	te.waitAlerts(t, "s", 2)
	clock.Advance(29 * time.Second)
	time.Sleep(50 * time.Millisecond) // not synchronisation: a chance for a wrong early send to show
	if n := len(simple.messages()); n != 0 {
		t.Errorf("the simplest sink sent %d notifications before its 30 s group_wait", n)
	}
	clock.Advance(31 * time.Second)
	// warn holds api (inhibited by crit's api) and sends db.
	waitMessages(t, warn, "firing[db:firing]")
	r := te.exec(t, "SELECT inhibited FROM tocsin_alerts WHERE sink = 'warn' AND labels->>'service' = 'api'")
	if len(r.rows) != 1 || !r.rows[0][0].Bool() {
		t.Errorf("warn's api alert inhibited = %v, want true", r.rows)
	}
	waitMessages(t, simple, "firing[api:firing db:firing]")
	te.exec(t, "DROP INHIBITION crit_mutes_warn")
	clock.Advance(time.Minute)
	waitMessages(t, warn, "firing[db:firing]", "firing[api:firing]")
}

// TestSinkStormControl: with rate_limit one notification per hour, the
// first group's notification goes out and the others are folded into
// one summary sent when the window ends.
func TestSinkStormControl(t *testing.T) {
	clock, l, te := latFixture(t)
	hook := newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK s FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_by = 'service', group_wait = '10 seconds', rate_limit = '1 per 1 hour', resolve_timeout = '1 day')`, hook.srv.URL))
	emit(l, clock.Now(), "a", 500, "b", 500, "c", 500, "d", 500)
	te.waitAlerts(t, "s", 4)
	clock.Advance(time.Minute)
	waitMessages(t, hook, "firing[a:firing]")
	if r := te.exec(t, "SHOW SINKS"); len(r.rows) != 1 || r.col(0, "connector").S != "webhook" || r.col(0, "firing").I != 4 || r.col(0, "status").S != "running" {
		t.Errorf("SHOW SINKS: %v", r.rows)
	}
	clock.Advance(time.Hour)
	waitFor(t, 10*time.Second, "the folded summary", func() string {
		msgs := hook.messages()
		if len(msgs) != 2 {
			return fmt.Sprintf("%d notifications", len(msgs))
		}
		if s, _ := msgs[1].body["summary"].(string); !strings.Contains(s, "3") {
			return fmt.Sprintf("summary %q does not count the 3 folded notifications", s)
		}
		return ""
	})
}

// TestSinkDeadChannelDoesNotStall: a receiver that never answers holds
// its sink's delivery, not the view the sink reads nor another sink.
func TestSinkDeadChannelDoesNotStall(t *testing.T) {
	clock, l, te := latFixture(t)
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	ok := newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK dead FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_by = 'service', group_wait = '0s', timeout = '1 hour')`, hung.URL))
	te.exec(t, fmt.Sprintf(`CREATE SINK live FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_wait = '0s', group_interval = '1s')`, ok.srv.URL))
	for i := range 200 {
		emit(l, clock.Now().Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("s%03d", i), 500)
	}
	te.waitRows(t, "lat", 200)
	waitFor(t, 10*time.Second, "the live sink's notification", func() string {
		if len(ok.messages()) == 0 {
			return "none yet"
		}
		return ""
	})
	waitFor(t, 10*time.Second, "the dead sink holds its 200 notifications", func() string {
		r := te.exec(t, "SHOW SINKS")
		if len(r.rows) != 2 || r.col(0, "name").S != "dead" || r.col(0, "pending").I != 200 || r.col(0, "firing").I != 200 {
			return fmt.Sprint(r.rows)
		}
		return ""
	})
	// The view kept up throughout.
	emit(l, clock.Now(), "late", 1)
	te.waitRows(t, "lat", 201)
}

// TestSinkStatementsSurviveRestart: silences and inhibition rules are
// stored when they change and are back after a restart; DROP SILENCE
// takes the id CREATE SILENCE returned.
func TestSinkStatementsSurviveRestart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	te := openSinkEngine(t, dir, clock, nil)
	r := te.exec(t, "CREATE SILENCE MATCHING (service = 'a') FOR INTERVAL '2' HOUR")
	id := r.rows[0][0].I
	te.exec(t, "CREATE SILENCE maint MATCHING (service =~ 'db-.*') FOR '1 hour' WITH (notify_on_expiry = 'yes')")
	te.exec(t, "CREATE INHIBITION crit SOURCE MATCHING (severity = 'P0') TARGET MATCHING (severity = 'P3') EQUAL (service)")
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openSinkEngine(t, dir, clock, nil)
	defer te.Close()
	r = te.exec(t, "SHOW SILENCES")
	if len(r.rows) != 2 || r.col(0, "id").I != id || r.col(1, "name").S != "maint" || !r.col(1, "notify_on_expiry").Bool() {
		t.Fatalf("SHOW SILENCES after restart: %v", r.rows)
	}
	if r := te.exec(t, "SHOW INHIBITIONS"); len(r.rows) != 1 || r.col(0, "name").S != "crit" {
		t.Fatalf("SHOW INHIBITIONS after restart: %v", r.rows)
	}
	te.exec(t, fmt.Sprintf("DROP SILENCE %d", id))
	te.exec(t, "DROP SILENCE maint")
	if r := te.exec(t, "SHOW SILENCES"); len(r.rows) != 0 {
		t.Fatalf("SHOW SILENCES after DROP: %v", r.rows)
	}
	if _, err := te.execErr("DROP SILENCE maint", ""); err == nil {
		t.Error("dropping a dropped silence succeeded")
	}
	clock.Advance(3 * time.Hour)
	r = te.exec(t, "CREATE SILENCE MATCHING (x = 'y') FOR '1 minute'")
	if r.rows[0][0].I <= id+1 {
		t.Errorf("silence ids restart: new id %d after %d", r.rows[0][0].I, id+1)
	}
}

// TestSinkOptionErrors: bad sink definitions fail at CREATE with 22023.
func TestSinkOptionErrors(t *testing.T) {
	_, _, te := latFixture(t)
	for _, c := range []struct{ with, want string }{
		{`connector = 'webhook', url = 'http://x', group_by = 'latency'`, "group_by"},
		{`connector = 'webhook', url = 'http://x', summary = '{{.nosuch}}'`, "summary template"},
		{`connector = 'webhook', url = 'http://x', for = 'soon'`, "for"},
		{`connector = 'nosuch'`, "unknown sink connector"},
		{`connector = 'webhook', url = 'http://x', route.p0 = 'pager'`, "pager"},
		{`connector = 'webhook', url = 'http://x', severity = 'P9'`, "severity"},
		{`connector = 'webhook'`, "url"},
	} {
		_, err := te.execErr("CREATE SINK bad FROM lat WITH ("+c.with+")", "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("WITH (%s): error %v, want one naming %q", c.with, err, c.want)
		}
	}
	r := te.exec(t, "SHOW SINKS")
	if len(r.rows) != 0 {
		t.Errorf("failed CREATE SINKs left sinks: %v", r.rows)
	}
}

// TestRowsSinkWhere: a rows-mode sink sends only the rows its WHERE
// keeps, each as a JSON object with its op.
func TestRowsSinkWhere(t *testing.T) {
	clock, l, te := latFixture(t)
	hook := newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK rows FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s', mode = 'rows')`, hook.srv.URL))
	emit(l, clock.Now(), "a", 50, "b", 150, "c", 99, "d", 101)
	waitFor(t, 10*time.Second, "rows", func() string {
		var got []string
		for _, m := range hook.messages() {
			rows, _ := m.body["rows"].([]any)
			for _, r := range rows {
				rm := r.(map[string]any)
				got = append(got, fmt.Sprintf("%v:%v:%v", rm["op"], rm["service"], rm["latency"]))
			}
		}
		if strings.Join(got, " ") != "insert:b:150 insert:d:101" {
			return fmt.Sprint(got)
		}
		return ""
	})
}
