package alert

import (
	"strings"
	"testing"
	"time"
)

func TestRateLimitFoldsIntoSummary(t *testing.T) {
	cfg := testConfig()
	cfg.GroupBy = []string{"service"}
	cfg.GroupWait = 0
	cfg.RateLimit, cfg.RateInterval = 2, 10*time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone), on("b", SeverityNone), on("c", SeverityNone), on("d", SeverityNone))
	h.expect(0, "+0s default firing [a:firing]", "+0s default firing [b:firing]")
	h.observe(time.Minute, off("c"))
	h.expect(9*time.Minute + 59*time.Second)
	h.expect(10*time.Minute,
		`+10m0s default firing [c:resolved d:firing] summary="3 notifications for 2 alerts folded: pager{service=\"c\"} resolved, pager{service=\"d\"} firing"`)
	// A new window opens with the next notification.
	h.observe(11*time.Minute, on("e", SeverityNone), on("f", SeverityNone))
	h.expect(11*time.Minute, "+11m0s default firing [e:firing]", "+11m0s default firing [f:firing]")
	sum := h.sent[2]
	if !strings.HasPrefix(sum.Key, "folded-") || sum.GroupKey != "" {
		t.Fatalf("summary = %+v", sum)
	}
}

func TestFlapping(t *testing.T) {
	cfg := testConfig()
	cfg.GroupWait, cfg.GroupInterval = 0, time.Minute
	cfg.FlapCount, cfg.FlapWindow = 4, 10*time.Minute
	h := newHarness(t, cfg, nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.expect(0, "+0s default firing [a:firing]")
	h.observe(time.Minute, off("a"))
	h.expect(time.Minute, "+1m0s default resolved [a:resolved]")
	h.observe(2*time.Minute, on("a", SeverityNone))
	h.expect(2*time.Minute, "+2m0s default firing [a:firing]")
	h.observe(3*time.Minute, off("a")) // 4th change within 10m: flapping
	h.expect(3*time.Minute, "+3m0s default resolved [a:resolved:flapping]")
	if r, _ := h.row("a"); !r.Flapping {
		t.Fatalf("row = %+v; want flapping", r)
	}
	h.observe(4*time.Minute, on("a", SeverityNone))
	h.observe(5*time.Minute, off("a"))
	h.observe(6*time.Minute, on("a", SeverityNone))
	h.expect(15*time.Minute + 59*time.Second) // held while flapping
	h.expect(16*time.Minute, "+16m0s default firing [a:firing]")
	if r, _ := h.row("a"); r.Flapping || r.Episode != 4 {
		t.Fatalf("row = %+v; want stable in episode 4", r)
	}
}

func TestDedupFolding(t *testing.T) {
	cfg := testConfig()
	cfg.DedupDistance = 10
	h := newHarness(t, cfg, nil, nil)
	ev := func(svc, text string) Event {
		return Event{Labels: labels("service", svc), Annotations: labels("summary", text), Active: true}
	}
	h.observe(0,
		ev("a", "latency of api is 512 ms"),
		ev("b", "disk full on db-1"),
		ev("c", "latency of api is 513 ms"),
		ev("d", "latency of api is 512 ms"),
		Event{Labels: labels("service", "e"), Active: true}, // no text: never folded
		Event{Labels: labels("service", "f"), Active: true})
	h.expect(30*time.Second, "+30s default firing [a:firing:dup2 b:firing e:firing f:firing]")
}

func TestSimHashDistances(t *testing.T) {
	h := func(s string) uint64 {
		v, ok := annotationSimHash(labels("summary", s))
		if !ok {
			t.Fatalf("no hash for %q", s)
		}
		return v
	}
	if h("Latency of API is 512 ms!") != h("latency of api is 512 ms") {
		t.Fatal("case and punctuation should not matter")
	}
	near := hamming(h("latency of api is 512 ms"), h("latency of api is 513 ms"))
	far := hamming(h("latency of api is 512 ms"), h("disk full on db-1"))
	if near >= far || near > 12 || far < 24 {
		t.Fatalf("near = %d, far = %d", near, far)
	}
	if _, ok := annotationSimHash(labels("summary", " -- ")); ok {
		t.Fatal("no text should give no hash")
	}
}

func hamming(a, b uint64) int {
	n := 0
	for x := a ^ b; x != 0; x &= x - 1 {
		n++
	}
	return n
}
