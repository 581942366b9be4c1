package alert

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "1h30m": 90 * time.Minute, "5 minutes": 5 * time.Minute,
		"1 hour": time.Hour, "30 second": 30 * time.Second, " 1 Hour 30 Minutes ": 90 * time.Minute,
		"2 days": 48 * time.Hour, "1.5 hours": 90 * time.Minute, "0": 0, "10min": 10 * time.Minute,
		"250 ms": 250 * time.Millisecond,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1s", "5 fortnights", "minutes", "5 minutes ago", "1e400 hours", "-5 minutes"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
}

func TestParseConfig(t *testing.T) {
	cfg, used, err := ParseConfig("pager", map[string]string{
		"for": "1 minute", "keep_firing_for": "30s", "resolve_timeout": "10 minutes",
		"group_by": "service, cluster", "group_wait": "10s", "group_interval": "1m",
		"repeat_interval": "2 hours", "route.p0": "oncall", "route.p2": "chat, email",
		"route.default": "team", "escalate_after.p1": "15 minutes", "rate_limit": "10 per 1 minute",
		"flap_threshold": "4 in 10 minutes", "dedup_distance": "3", "retention": "1h",
		"url": "http://x", // not ours
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Sink: "pager", For: time.Minute, KeepFiringFor: 30 * time.Second, ResolveTimeout: 10 * time.Minute,
		GroupBy: []string{"service", "cluster"}, GroupWait: 10 * time.Second, GroupInterval: time.Minute,
		RepeatInterval: 2 * time.Hour, Routes: map[Severity][]string{P0: {"oncall"}, P2: {"chat", "email"}},
		DefaultRoute: []string{"team"}, EscalateAfter: map[Severity]time.Duration{P1: 15 * time.Minute},
		RateLimit: 10, RateInterval: time.Minute, FlapCount: 4, FlapWindow: 10 * time.Minute,
		DedupDistance: 3, Retention: time.Hour,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	wantUsed := "dedup_distance escalate_after.p1 flap_threshold for group_by group_interval group_wait keep_firing_for rate_limit repeat_interval resolve_timeout retention route.default route.p0 route.p2"
	if strings.Join(used, " ") != wantUsed {
		t.Fatalf("used = %v", used)
	}

	def, used, err := ParseConfig("s", nil)
	if err != nil || len(used) != 0 || !reflect.DeepEqual(def, DefaultConfig("s")) {
		t.Fatalf("defaults = %+v, %v, %v", def, used, err)
	}
	for _, form := range []string{"10/1m", "10 per minute", "10 / 60s"} {
		c, _, err := ParseConfig("s", map[string]string{"rate_limit": form})
		if err != nil || c.RateLimit != 10 || c.RateInterval != time.Minute {
			t.Errorf("rate_limit %q = %d/%v, %v", form, c.RateLimit, c.RateInterval, err)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"for", "soon"},
		{"for", "-1m"},
		{"group_wait", ""},
		{"group_interval", "0s"},
		{"group_by", "a,,b"},
		{"route.p4", "x"},
		{"route.urgent", "x"},
		{"route.p1", " , "},
		{"escalate_after.p0", "5m"},
		{"escalate_after.p2", "0s"},
		{"escalate_after.p2", "later"},
		{"rate_limit", "lots"},
		{"rate_limit", "0 per minute"},
		{"rate_limit", "10 per 0s"},
		{"flap_threshold", "1 in 10 minutes"},
		{"flap_threshold", "4 per 10 minutes"},
		{"dedup_distance", "65"},
		{"dedup_distance", "x"},
	} {
		_, _, err := ParseConfig("s", map[string]string{tc.key: tc.value})
		if err == nil || !isCode(err, "22023") || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.key)) {
			t.Errorf("%s = %q: err = %v; want 22023 naming the option", tc.key, tc.value, err)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"P0": P0, "p1": P1, " P2 ": P2, "P3": P3, "": SeverityNone} {
		if got, err := ParseSeverity(in); err != nil || got != want || (want != SeverityNone && got.String() != strings.ToUpper(strings.TrimSpace(in))) {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("P5"); !isCode(err, "22023") {
		t.Fatalf("P5: %v", err)
	}
}

func TestAcknowledgeResolved(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.observe(time.Minute, off("a"))
	r, _ := h.row("a")
	if err := h.m.Acknowledge(at(2*time.Minute), r.ID, "x"); !isCode(err, "55000") {
		t.Fatalf("ack resolved = %v", err)
	}
}

func TestFingerprintIgnoresLabelOrder(t *testing.T) {
	a := fingerprint("s", labels("a", "1", "b", "2"))
	b := fingerprint("s", labels("b", "2", "a", "1"))
	c := fingerprint("t", labels("a", "1", "b", "2"))
	d := fingerprint("s", labels("a", "12", "b", ""))
	if a != b || a == c || a == d || len(fingerprintHex(a)) != 16 || len(fingerprintHex(1)) != 16 {
		t.Fatalf("fingerprints %x %x %x %x", a, b, c, d)
	}
}
