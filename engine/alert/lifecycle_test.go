package alert

import (
	"testing"
	"time"
)

func TestPendingThatNeverFires(t *testing.T) {
	cfg := testConfig()
	cfg.For = time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	if r, ok := h.row("a"); !ok || r.State != "pending" || !r.StartedAt.Equal(at(0)) {
		t.Fatalf("row = %+v, %v; want pending since +0", r, ok)
	}
	h.observe(30*time.Second, on("a", SeverityNone))
	h.observe(59*time.Second, off("a"))
	h.expect(time.Hour)
	if rows := h.m.Alerts(); len(rows) != 0 {
		t.Fatalf("alerts = %+v; want none", rows)
	}
	if !h.m.Next().IsZero() {
		t.Fatalf("Next = %v; want nothing scheduled", h.m.Next())
	}
}

func TestFiringAfterFor(t *testing.T) {
	cfg := testConfig()
	cfg.For = time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	if got := h.m.Next(); !got.Equal(at(time.Minute)) {
		t.Fatalf("Next = %v; want +1m", got.Sub(t0))
	}
	h.observe(40*time.Second, on("a", SeverityNone)) // re-observation does not restart For
	h.expect(59 * time.Second)
	h.expect(time.Minute) // fires; the new group waits group_wait
	if r, _ := h.row("a"); r.State != "firing" || !r.StartedAt.Equal(at(0)) || !r.FiredAt.Equal(at(time.Minute)) || r.Episode != 1 {
		t.Fatalf("row = %+v", r)
	}
	h.expect(90*time.Second, "+1m30s default firing [a:firing]")
	n := h.sent[0]
	if n.Sink != "pager" || n.GroupKey != "{}" || n.Alerts[0].Fingerprint == "" || !n.Alerts[0].FiredAt.Equal(at(time.Minute)) {
		t.Fatalf("notification = %+v", n)
	}
}

func TestResolveByInactiveEvent(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.observe(2*time.Minute, off("a"))
	h.expect(5 * time.Minute)
	h.expect(5*time.Minute+30*time.Second, "+5m30s default resolved [a:resolved]")
	r, ok := h.row("a")
	if !ok || r.State != "resolved" || !r.ResolvedAt.Equal(at(2*time.Minute)) {
		t.Fatalf("row = %+v, %v", r, ok)
	}
	if n := h.sent[1]; !n.Alerts[0].EndsAt.Equal(at(2 * time.Minute)) {
		t.Fatalf("EndsAt = %v", n.Alerts[0].EndsAt)
	}
	// Retention: the resolved row goes 24h after it resolved.
	h.expect(24*time.Hour + 2*time.Minute)
	if _, ok := h.row("a"); ok {
		t.Fatal("resolved alert kept past retention")
	}
}

func TestResolveTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.ResolveTimeout = 10 * time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.observe(5*time.Minute, on("a", SeverityNone))
	h.expect(14*time.Minute + 59*time.Second)
	h.expect(15*time.Minute, "+15m0s default resolved [a:resolved]")
}

func TestKeepFiringFor(t *testing.T) {
	cfg := testConfig()
	cfg.KeepFiringFor = 3 * time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.observe(2*time.Minute, off("a"))
	h.observe(4*time.Minute, on("a", SeverityNone)) // back within keep_firing_for
	h.expect(10 * time.Minute)
	if r, _ := h.row("a"); r.State != "firing" || r.Episode != 1 {
		t.Fatalf("row = %+v; want still firing in episode 1", r)
	}
	h.observe(10*time.Minute, off("a"))
	h.expect(12*time.Minute + 59*time.Second)
	h.expect(13*time.Minute, "+13m0s default resolved [a:resolved]")
}

func TestNewEpisodeAfterResolution(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.observe(10*time.Second, off("a")) // fired and resolved within group_wait: nothing to say
	h.expect(time.Minute)
	h.observe(2*time.Minute, on("a", SeverityNone))
	h.expect(2*time.Minute+30*time.Second, "+2m30s default firing [a:firing]")
	r, _ := h.row("a")
	if r.Episode != 2 || r.ID != 1 {
		t.Fatalf("row = %+v; want episode 2 of alert 1", r)
	}
}

func TestGroupingBatches(t *testing.T) {
	cfg := testConfig()
	cfg.GroupBy = []string{"cluster"}
	h := newHarness(t, cfg, nil, nil)
	ev := func(svc, cluster string) Event {
		return Event{Labels: labels("service", svc, "cluster", cluster), Active: true}
	}
	h.observe(0, ev("a", "eu"))
	h.observe(10*time.Second, ev("b", "eu"), ev("x", "us"))
	h.observe(20*time.Second, ev("c", "eu"))
	h.expect(29 * time.Second)
	h.expect(30*time.Second, "+30s default firing [a,eu:firing b,eu:firing c,eu:firing]")
	h.expect(40*time.Second, "+40s default firing [x,us:firing]")
	h.observe(time.Minute, ev("d", "eu"))
	h.expect(5*time.Minute + 29*time.Second)
	h.expect(5*time.Minute+30*time.Second, "+5m30s default firing [a,eu:firing b,eu:firing c,eu:firing d,eu:firing]")
	if g := h.sent[0]; g.GroupKey != `{cluster="eu"}` || len(g.GroupLabels) != 1 || g.GroupLabels[0].Value != "eu" {
		t.Fatalf("group = %q %v", g.GroupKey, g.GroupLabels)
	}
	// A resolution and a new firing in the same interval share a flush.
	h.observe(6*time.Minute, Event{Labels: labels("service", "a", "cluster", "eu")})
	h.observe(7*time.Minute, ev("e", "eu"))
	h.expect(10*time.Minute+30*time.Second, "+10m30s default firing [a,eu:resolved b,eu:firing c,eu:firing d,eu:firing e,eu:firing]")
}

func TestRepeatInterval(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.expect(time.Hour)
	h.expect(time.Hour+30*time.Second, "+1h0m30s default firing [a:firing]")
	h.expect(2*time.Hour+30*time.Second, "+2h0m30s default firing [a:firing]")
	keys := map[string]bool{}
	for _, n := range h.sent {
		if keys[n.Key] {
			t.Fatalf("duplicate key %s", n.Key)
		}
		keys[n.Key] = true
	}
	h.observe(2*time.Hour+time.Minute, off("a"))
	h.expect(3*time.Hour, "+2h5m30s default resolved [a:resolved]")
	h.expect(10 * time.Hour)
}

func TestRoutingBySeverity(t *testing.T) {
	cfg := testConfig()
	cfg.Routes = map[Severity][]string{P0: {"pager", "chat"}, P2: {"chat"}}
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", P0), on("b", P2), on("c", P3), on("d", SeverityNone))
	h.expect(30*time.Second,
		"+30s chat firing [a:firing b:firing]",
		"+30s default firing [c:firing d:firing]",
		"+30s pager firing [a:firing]")
	for _, n := range h.sent {
		if n.Channel == "pager" && n.Alerts[0].Severity != "P0" {
			t.Fatalf("severity = %q", n.Alerts[0].Severity)
		}
	}
	// Only the channel with news is sent on a change.
	h.observe(time.Minute, off("c"))
	h.expect(5*time.Minute+30*time.Second, "+5m30s default firing [c:resolved d:firing]")
}

func TestEscalation(t *testing.T) {
	cfg := testConfig()
	cfg.Routes = map[Severity][]string{P0: {"boss"}, P1: {"oncall"}, P2: {"team"}}
	cfg.EscalateAfter = map[Severity]time.Duration{P2: 15 * time.Minute, P1: 10 * time.Minute}
	cfg.RepeatInterval = 0
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", P2), on("b", P2))
	h.expect(30*time.Second, "+30s team firing [a:firing b:firing]")
	r, _ := h.row("b")
	if err := h.m.Acknowledge(at(10*time.Minute), r.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	h.expect(15*time.Minute, "+15m0s oncall firing [a:firing] esc=1")
	h.expect(25*time.Minute, "+25m0s boss firing [a:firing] esc=2")
	h.expect(10 * time.Hour)
	ra, _ := h.row("a")
	rb, _ := h.row("b")
	if ra.EscalationLevel != 2 || rb.EscalationLevel != 0 || rb.AcknowledgedBy != "alice" || !rb.AcknowledgedAt.Equal(at(10*time.Minute)) {
		t.Fatalf("rows = %+v / %+v", ra, rb)
	}
	// Acknowledging stops a running escalation; errors for unknown and resolved alerts.
	if err := h.m.Acknowledge(at(0), 999, "x"); err == nil || !isCode(err, "42704") {
		t.Fatalf("ack unknown = %v", err)
	}
}

// TestObserveRunsDueTimers: events observed without an Advance in
// between still see the timers that fell due before them.
func TestObserveRunsDueTimers(t *testing.T) {
	cfg := testConfig()
	cfg.For = time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.m.Observe(at(0), on("a", SeverityNone))
	h.m.Observe(at(5*time.Minute), off("a"))
	h.expect(10*time.Minute, "+1m30s default firing [a:firing]", "+6m30s default resolved [a:resolved]")
}

// TestConcurrentReaders: SQL sessions and the dispatcher call Alerts,
// Acknowledge and Delivered while the sink job observes and advances.
func TestConcurrentReaders(t *testing.T) {
	cfg := testConfig()
	cfg.GroupWait = 0
	m := NewManager(cfg, nil, NewFiringIndex())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			for _, r := range m.Alerts() {
				_ = m.Acknowledge(at(time.Duration(i)*time.Second), r.ID, "ops")
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		now := at(time.Duration(i) * time.Second)
		svc := string(rune('a' + i%7))
		if i%5 == 0 {
			m.Observe(now, off(svc))
		} else {
			m.Observe(now, on(svc, P2))
		}
		for _, n := range m.Advance(now) {
			m.Delivered(n, nil)
		}
	}
	<-done
}

func TestNextReportsHeldNotifications(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.m.Observe(at(0), on("a", SeverityNone))
	if got := h.m.Next(); !got.Equal(at(30 * time.Second)) {
		t.Fatalf("Next = %v", got.Sub(t0))
	}
	h.m.Observe(at(time.Minute), on("b", SeverityNone)) // runs the flush at +30s
	if got := h.m.Next(); !got.Equal(at(30 * time.Second)) {
		t.Fatalf("Next with a held notification = %v; want +30s", got.Sub(t0))
	}
	h.expect(time.Minute, "+30s default firing [a:firing]")
	if got := h.m.Next(); !got.Equal(at(5*time.Minute + 30*time.Second)) {
		t.Fatalf("Next = %v", got.Sub(t0))
	}
}

// TestZeroRetention: with retention 0 a resolved alert goes as soon as
// its resolution is sent (its retention ran out before the flush).
func TestZeroRetention(t *testing.T) {
	cfg := testConfig()
	cfg.Retention = 0
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.observe(time.Minute, off("a"))
	h.expect(5*time.Minute+30*time.Second, "+5m30s default resolved [a:resolved]")
	if rows := h.m.Alerts(); len(rows) != 0 {
		t.Fatalf("rows = %+v", rows)
	}
}

// TestCatchUpCollapsesRepeats: an Advance long after the last one sends
// one repeat for the missed stretch, not one per repeat interval, and
// keeps the repeat phase.
func TestCatchUpCollapsesRepeats(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing]")
	h.expect(10*time.Hour, "+1h0m30s default firing [a:firing]")
	if got := h.m.Next(); !got.Equal(at(10*time.Hour + 30*time.Second)) {
		t.Fatalf("Next = %v; want +10h0m30s", got.Sub(t0))
	}
	h.expect(10*time.Hour+30*time.Second, "+10h0m30s default firing [a:firing]")
}
