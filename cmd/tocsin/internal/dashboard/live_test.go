package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLiveStream follows the live stream through a view's snapshot and
// changes, a view created and one dropped while it runs, an alert
// change and source samples.
func TestLiveStream(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	f.emit(base, "api", 120, "db", 30)
	poll(t, 10*time.Second, "worst rows", func() string {
		var got struct{ Rows [][]any }
		f.get(t, "/api/views/worst/rows", &got)
		if len(got.Rows) != 2 {
			return fmt.Sprint(got.Rows)
		}
		return ""
	})
	s := f.openStream(t)
	cat := s.next(t, "catalog", named(evCatalog, `"name":"worst"`))
	var c catalogPayload
	if err := json.Unmarshal([]byte(cat.data), &c); err != nil || len(c.Views) != 1 || c.Views[0].Name != "worst" {
		t.Fatalf("catalog %s: %v", cat.data, err)
	}
	snap := s.next(t, "worst snapshot", named(evView, `"view":"worst"`, `"reset":true`))
	var p viewPayload
	if err := json.Unmarshal([]byte(snap.data), &p); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range p.Rows {
		rows = append(rows, fmt.Sprint(r))
	}
	slices.Sort(rows)
	if strings.Join(rows, " ") != "[api 120] [db 30]" || p.ID != c.Views[0].ID {
		t.Fatalf("snapshot %s", snap.data)
	}

	// A change: api's worst latency goes from 120 to 300.
	f.emit(base, "api", 300)
	ch := s.next(t, "worst changes", named(evView, `"view":"worst"`, `"changes"`))
	if !strings.Contains(ch.data, `{"diff":-1,"row":["api",120]}`) || !strings.Contains(ch.data, `{"diff":1,"row":["api",300]}`) {
		t.Fatalf("changes %s", ch.data)
	}

	// A view created meanwhile joins the catalog and sends its snapshot.
	f.exec(t, perMinute)
	s.next(t, "catalog with per_min", named(evCatalog, `"name":"per_min"`, `"time":"window_start"`))
	s.next(t, "per_min snapshot", named(evView, `"view":"per_min"`, `"reset":true`, `"2026-11-21T10:00:00Z"`))

	// An alert fires.
	alertSink(t, f)
	f.emit(base, "web", 500)
	a := s.next(t, "firing alert", named(evAlert, `"state":"firing"`))
	var ae AlertEvent
	if err := json.Unmarshal([]byte(a.data), &ae); err != nil || ae.Sink != "pager" || ae.Labels["service"] == "" {
		t.Fatalf("alert %s: %v", a.data, err)
	}

	s.next(t, "sources", named(evSources, `"name":"events"`, `"records":`))

	// A dropped view leaves the catalog.
	f.exec(t, "DROP MATERIALIZED VIEW per_min")
	s.next(t, "catalog without per_min", func(ev sseEvent) bool {
		return ev.name == evCatalog && !strings.Contains(ev.data, "per_min")
	})
}

// TestLiveStreamsAreIndependent: two streams follow a view each with
// its own cursor.
func TestLiveStreamsAreIndependent(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	s := f.openStream(t)
	s.next(t, "worst snapshot", named(evView, `"view":"worst"`, `"reset":true`))
	s2 := f.openStream(t)
	s2.next(t, "worst snapshot on the second stream", named(evView, `"view":"worst"`, `"reset":true`))
	f.emit(base, "api", 1)
	s.next(t, "change", named(evView, `"view":"worst"`, `{"diff":1,"row":["api",1]}`))
	s2.next(t, "change on the second stream", named(evView, `"view":"worst"`, `{"diff":1,"row":["api",1]}`))
}

// TestFollowerRetries: a follower whose cursor cannot start reports the
// error and tries again after RetryDelay, until its context ends.
func TestFollowerRetries(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan event)
	done := make(chan struct{})
	go func() { defer close(done); f.dash.follow(ctx, View{ID: 1, Name: "ghost"}, out) }()
	for range 2 {
		select {
		case ev := <-out:
			if ev.name != evView || !strings.Contains(string(ev.data), `"error":"relation \"ghost\" does not exist"`) {
				t.Fatalf("event %s %s", ev.name, ev.data)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no error event")
		}
	}
	cancel()
	<-done
}

// TestServeStops: Serve returns nil once its context ends, even with a
// live stream open, and stops every loop.
func TestServeStops(t *testing.T) {
	f := newFixture(t)
	f.exec(t, worstView)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.dash.Serve(ctx, ln) }()
	s := openStream(t, "http://"+ln.Addr().String())
	s.next(t, "worst snapshot", named(evView, `"view":"worst"`, `"reset":true`))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}
