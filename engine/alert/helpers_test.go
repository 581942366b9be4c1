package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func labels(kv ...string) []connectors.Label {
	var out []connectors.Label
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, connectors.Label{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// on / off build events for the label set "service=<svc>".
func on(svc string, sev Severity) Event {
	return Event{Labels: labels("service", svc), Annotations: labels("summary", "latency of "+svc+" is high"), Severity: sev, Active: true}
}

func off(svc string) Event { return Event{Labels: labels("service", svc)} }

// testConfig is a config with small round numbers: group_wait 30s,
// group_interval 5m, repeat 1h.
func testConfig() *Config {
	c := DefaultConfig("pager")
	c.RepeatInterval = time.Hour
	return c
}

// harness drives a manager with times relative to t0 and records every
// notification.
type harness struct {
	t    *testing.T
	m    *Manager
	sent []*connectors.Notification
}

func newHarness(t *testing.T, cfg *Config, mute Muter, firing *FiringIndex) *harness {
	return &harness{t: t, m: NewManager(cfg, mute, firing)}
}

// observe advances to d, then applies the events.
func (h *harness) observe(d time.Duration, evs ...Event) {
	h.advance(d)
	for _, ev := range evs {
		h.m.Observe(at(d), ev)
	}
}

// advance runs Advance(at(d)) and returns the notifications as strings.
func (h *harness) advance(d time.Duration) []string {
	ns := h.m.Advance(at(d))
	h.sent = append(h.sent, ns...)
	return render(ns)
}

// expect advances to d and checks the notifications.
func (h *harness) expect(d time.Duration, want ...string) {
	h.t.Helper()
	got := h.advance(d)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Fatalf("at +%v:\ngot:\n  %s\nwant:\n  %s", d, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// render shows a notification as
// "+<created> <channel> <status> [svc:status ...] esc=N" with flags.
func render(ns []*connectors.Notification) []string {
	var out []string
	for _, n := range ns {
		var b strings.Builder
		fmt.Fprintf(&b, "+%v %s %s [", n.CreatedAt.Sub(t0), n.Channel, n.Status)
		for i, a := range n.Alerts {
			if i > 0 {
				b.WriteByte(' ')
			}
			var vals []string
			for _, l := range a.Labels {
				vals = append(vals, l.Value)
			}
			fmt.Fprintf(&b, "%s:%s", strings.Join(vals, ","), a.Status)
			if a.Flapping {
				b.WriteString(":flapping")
			}
			if a.Duplicates > 0 {
				fmt.Fprintf(&b, ":dup%d", a.Duplicates)
			}
		}
		b.WriteByte(']')
		if n.Escalation > 0 {
			fmt.Fprintf(&b, " esc=%d", n.Escalation)
		}
		if n.Summary != "" {
			fmt.Fprintf(&b, " summary=%q", n.Summary)
		}
		out = append(out, b.String())
	}
	return out
}

func (h *harness) row(svc string) (AlertRow, bool) {
	for _, r := range h.m.Alerts() {
		if v, _ := labelValue(r.Labels, "service"); v == svc {
			return r, true
		}
	}
	return AlertRow{}, false
}

func isCode(err error, code string) bool { return sqlerr.CodeOf(err).String() == code }
