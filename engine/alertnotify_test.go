package engine_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
)

// nextAlert waits for the next tocsin_alerts notification and decodes it.
func nextAlert(t *testing.T, ch <-chan engine.Notification) map[string]any {
	t.Helper()
	select {
	case n := <-ch:
		if n.Channel != engine.AlertsChannel || n.PID != 0 {
			t.Fatalf("notification %+v", n)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			t.Fatalf("payload %q: %v", n.Payload, err)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no alert notification")
		return nil
	}
}

func alertSummary(m map[string]any) string {
	labels, _ := m["labels"].(map[string]any)
	return fmt.Sprintf("%v %v %v %v", m["sink"], labels["service"], m["state"], m["severity"])
}

// TestListenAlerts follows one alert through its states on the
// tocsin_alerts channel: pending, firing, acknowledged, escalated,
// resolved.
func TestListenAlerts(t *testing.T) {
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	l := memory.NewLog(1)
	te := openSinkEngine(t, t.TempDir(), clock, map[string]*memory.Log{"events": l})
	defer te.Close()
	hook := newReceiver(t)
	te.exec(t, eventsSource)
	te.exec(t, `CREATE MATERIALIZED VIEW lat AS SELECT ts, service, latency FROM events`)
	te.exec(t, fmt.Sprintf(`CREATE SINK slow FROM lat WHERE latency > 100 WITH (
		connector = 'webhook', url = '%s', labels = 'service', severity = 'P2', for = '1 minute',
		group_wait = '0s', escalate_after.p2 = '10 minutes', resolve_timeout = '1 hour')`, hook.srv.URL))

	// An alert that fired before anyone listened is not news.
	emit(l, clock.Now(), "old", 500)
	te.waitAlerts(t, "slow", 1)
	clock.Advance(2 * time.Minute)
	waitFor(t, 10*time.Second, "old firing", func() string { return diff(te.alertState(t, "slow", "old"), "firing") })

	listener := te.NewSession(map[string]string{"user": "pager"})
	defer listener.Close()
	ch := listener.Notifications(7)
	if err := listener.Query(t.Context(), "LISTEN tocsin_alerts", &result{}); err != nil {
		t.Fatal(err)
	}
	emit(l, clock.Now(), "api", 150)
	m := nextAlert(t, ch)
	if got := alertSummary(m); got != "slow api pending P2" {
		t.Fatalf("first notification %s", got)
	}
	if m["fingerprint"] == "" || m["id"] == nil || m["at"] != clock.Now().Format(time.RFC3339Nano) {
		t.Errorf("payload %v", m)
	}
	clock.Advance(time.Minute)
	m = nextAlert(t, ch)
	if got := alertSummary(m); got != "slow api firing P2" {
		t.Fatalf("after for: %s", got)
	}
	te.exec(t, fmt.Sprintf("ACKNOWLEDGE ALERT %v", int64(m["id"].(float64))))
	if got := alertSummary(nextAlert(t, ch)); got != "slow api acknowledged P2" {
		t.Fatalf("after ACKNOWLEDGE: %s", got)
	}
	// The old alert was never acknowledged: it escalates.
	clock.Advance(10 * time.Minute)
	if got := alertSummary(nextAlert(t, ch)); got != "slow old escalated P2" {
		t.Fatalf("after escalate_after: %s", got)
	}
	emit(l, clock.Now(), "api", 20)
	if got := alertSummary(nextAlert(t, ch)); got != "slow api resolved P2" {
		t.Fatalf("after recovery: %s", got)
	}
	if err := listener.Query(t.Context(), "UNLISTEN tocsin_alerts", &result{}); err != nil {
		t.Fatal(err)
	}
	emit(l, clock.Now(), "db", 900)
	te.waitAlerts(t, "slow", 3)
	select {
	case n := <-ch:
		t.Fatalf("after UNLISTEN: %+v", n)
	default:
	}
}
