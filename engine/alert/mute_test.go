package alert

import (
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

func mustMatcher(t testing.TB, name string, op MatchOp, value string) Matcher {
	t.Helper()
	m, err := NewMatcher(name, op, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatcher(t *testing.T) {
	ls := labels("service", "api-eu", "alertname", "pager")
	for _, tc := range []struct {
		op    MatchOp
		name  string
		value string
		want  bool
	}{
		{MatchEqual, "service", "api-eu", true},
		{MatchEqual, "service", "api", false},
		{MatchNotEqual, "service", "api", true},
		{MatchRegexp, "service", "api-.*", true},
		{MatchRegexp, "service", "api", false}, // anchored
		{MatchNotRegexp, "service", "db-.*", true},
		{MatchEqual, "team", "", true}, // missing label = ""
		{MatchNotEqual, "team", "db", true},
	} {
		m := mustMatcher(t, tc.name, tc.op, tc.value)
		if got := m.Matches(ls); got != tc.want {
			t.Errorf("%s: got %v", m, got)
		}
	}
	if _, err := NewMatcher("a", MatchRegexp, "("); !isCode(err, "2201B") {
		t.Fatalf("bad regexp: %v", err)
	}
	if _, err := NewMatcher("", MatchEqual, "x"); !isCode(err, "22023") {
		t.Fatalf("no name: %v", err)
	}
}

func TestSilenceHoldsThenExpires(t *testing.T) {
	for _, notifyOnExpiry := range []bool{false, true} {
		sil := NewSilences()
		id, err := sil.Add(at(0), Silence{
			Matchers: []Matcher{mustMatcher(t, "service", MatchEqual, "a")},
			EndsAt:   at(20 * time.Minute), CreatedBy: "bob", Comment: "deploy", NotifyOnExpiry: notifyOnExpiry,
		})
		if err != nil || id != 1 {
			t.Fatal(id, err)
		}
		h := newHarness(t, testConfig(), &Mutes{Silences: sil}, nil)
		h.observe(time.Minute, on("a", SeverityNone), on("b", SeverityNone))
		h.expect(90*time.Second, "+1m30s default firing [b:firing]")
		if r, _ := h.row("a"); !r.Silenced || r.State != "firing" {
			t.Fatalf("row = %+v; want silenced and firing", r)
		}
		if notifyOnExpiry {
			h.expect(19*time.Minute + 59*time.Second)
			h.expect(20*time.Minute, "+20m0s default firing [a:firing b:firing]")
		} else {
			// Re-checked at the first group_interval tick after the end.
			h.expect(21*time.Minute + 29*time.Second)
			h.expect(21*time.Minute+30*time.Second, "+21m30s default firing [a:firing b:firing]")
		}
		if r, _ := h.row("a"); r.Silenced {
			t.Fatalf("row = %+v; want not silenced", r)
		}
		if got := sil.List(at(21 * time.Minute)); len(got) != 0 {
			t.Fatalf("expired silences listed: %+v", got)
		}
	}
}

func TestSilenceMutedResolutionNotSent(t *testing.T) {
	sil := NewSilences()
	if _, err := sil.Add(at(0), Silence{Matchers: []Matcher{mustMatcher(t, "alertname", MatchEqual, "pager")}, EndsAt: at(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, testConfig(), &Mutes{Silences: sil}, nil)
	h.observe(0, on("a", SeverityNone))
	h.observe(10*time.Minute, off("a"))
	h.expect(3 * time.Hour) // firing never notified: its resolution is not news
}

func TestSilencesAPI(t *testing.T) {
	sil := NewSilences()
	m := []Matcher{mustMatcher(t, "service", MatchEqual, "a")}
	if _, err := sil.Add(at(0), Silence{EndsAt: at(time.Hour)}); !isCode(err, "22023") {
		t.Fatalf("no matchers: %v", err)
	}
	if _, err := sil.Add(at(0), Silence{Matchers: m, StartsAt: at(time.Hour), EndsAt: at(time.Minute)}); !isCode(err, "22023") {
		t.Fatalf("ends before start: %v", err)
	}
	id1, _ := sil.Add(at(0), Silence{Matchers: m, StartsAt: at(10 * time.Minute), EndsAt: at(time.Hour)})
	id2, _ := sil.Add(at(0), Silence{Matchers: m, EndsAt: at(2 * time.Hour)})
	if _, ok := sil.Active(at(5*time.Minute), labels("service", "a")); !ok {
		t.Fatal("silence 2 should be active")
	}
	if s, _ := sil.Active(at(20*time.Minute), labels("service", "a")); s.ID != id2 {
		t.Fatalf("active = %d; want the one ending last (%d)", s.ID, id2)
	}
	buf, err := sil.Snapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sil.Remove(id2); err != nil {
		t.Fatal(err)
	}
	if err := sil.Remove(id2); !isCode(err, "42704") {
		t.Fatalf("remove twice: %v", err)
	}
	if s, _ := sil.Active(at(20*time.Minute), labels("service", "a")); s.ID != id1 {
		t.Fatalf("active = %d; want %d", s.ID, id1)
	}
	restored := NewSilences()
	if err := restored.Restore(buf); err != nil {
		t.Fatal(err)
	}
	if got := restored.List(at(0)); len(got) != 2 || got[1].ID != id2 || got[0].Matchers[0].String() != `service="a"` {
		t.Fatalf("restored = %+v", got)
	}
	if id, _ := restored.Add(at(0), Silence{Matchers: m, EndsAt: at(time.Hour)}); id != 3 {
		t.Fatalf("id after restore = %d", id)
	}
}

func TestInhibitionByFiringP0(t *testing.T) {
	firing := NewFiringIndex()
	inh := NewInhibitions()
	if err := inh.Add(InhibitRule{
		Name:   "p0-mutes-p2",
		Source: []Matcher{mustMatcher(t, "severity", MatchEqual, "P0")},
		Target: []Matcher{mustMatcher(t, "severity", MatchEqual, "P2")},
		Equal:  []string{"service"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := inh.Add(InhibitRule{Name: "p0-mutes-p2", Source: []Matcher{{}}, Target: []Matcher{{}}}); !isCode(err, "42710") {
		t.Fatalf("duplicate rule: %v", err)
	}
	mutes := &Mutes{Inhibitions: inh, Firing: firing}
	// Two sinks share the firing index: "down" raises P0s, "pager" P2s.
	down := newHarness(t, DefaultConfig("down"), mutes, firing)
	pager := newHarness(t, testConfig(), mutes, firing)
	p2 := func(svc string) Event {
		return Event{Labels: labels("service", svc, "check", "latency"), Severity: P2, Active: true}
	}
	down.observe(0, on("api", P0))
	pager.observe(10*time.Second, p2("api"), p2("web"))
	if firing.Len() != 3 {
		t.Fatalf("firing index holds %d alerts", firing.Len())
	}
	pager.expect(40*time.Second, "+40s default firing [web,latency:firing]")
	if rows := pager.m.Alerts(); !rows[0].Inhibited || rows[1].Inhibited {
		t.Fatalf("rows = %+v", rows)
	}
	down.observe(2*time.Minute, off("api"))
	if firing.Len() != 2 {
		t.Fatalf("firing index holds %d alerts after resolve", firing.Len())
	}
	pager.expect(5*time.Minute+40*time.Second, "+5m40s default firing [api,latency:firing web,latency:firing]")
}

func TestMutesWithPlainMuter(t *testing.T) {
	h := newHarness(t, testConfig(), muteFunc(func(now time.Time, ls []connectors.Label) (string, bool) {
		return "maintenance", now.Before(at(10 * time.Minute))
	}), nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(5 * time.Minute)
	h.expect(10*time.Minute+30*time.Second, "+10m30s default firing [a:firing]")
}

type muteFunc func(time.Time, []connectors.Label) (string, bool)

func (f muteFunc) Muted(now time.Time, ls []connectors.Label) (string, bool) { return f(now, ls) }
