package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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

// fixture is a real engine reading an in-memory log "events", with the
// dashboard served by an httptest server and its loops running.
type fixture struct {
	eng  *engine.Engine
	log  *memory.Log
	sess *engine.Session
	dash *Server
	srv  *httptest.Server
}

const eventsSource = `CREATE SOURCE events (ts TIMESTAMP, service VARCHAR, latency DOUBLE PRECISION,
	WATERMARK FOR ts AS ts) WITH (connector = 'memory', topic = 'events') FORMAT JSON`

// base is the event time of the fixture's events.
var base = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	b := memory.NewBroker()
	f := &fixture{log: memory.NewLog(1)}
	b.Add("events", f.log)
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", b.Factory())
	chans := connectors.NewChannelRegistry()
	notify.Register(chans)
	quiet := slog.New(slog.DiscardHandler)
	eng, err := engine.Open(engine.Options{
		Functions: reg, Connectors: conns, Channels: chans, DataDir: t.TempDir(), CheckpointInterval: -1,
		AlertTick: 5 * time.Millisecond, IdleTimeout: time.Hour, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.eng, f.sess = eng, eng.NewSession(map[string]string{"user": "test"})
	f.exec(t, eventsSource)
	f.dash = New(Options{Engine: eng, Logger: quiet, SampleInterval: 20 * time.Millisecond,
		RetryDelay: 50 * time.Millisecond, ChangeInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	loops := make(chan struct{})
	go func() { defer close(loops); f.dash.Run(ctx) }()
	f.srv = httptest.NewServer(f.dash)
	t.Cleanup(func() {
		f.srv.Close()
		cancel()
		<-loops
		_ = f.sess.Close()
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

func (f *fixture) exec(t *testing.T, sql string) {
	t.Helper()
	if err := f.sess.Query(context.Background(), sql, &table{}); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// emit appends one event per service=latency pair at event time ts.
func (f *fixture) emit(ts time.Time, pairs ...any) {
	for i := 0; i < len(pairs); i += 2 {
		f.log.Append(0, fmt.Appendf(nil, `{"ts": %d, "service": %q, "latency": %v}`, ts.UnixMilli(), pairs[i], pairs[i+1]))
	}
}

// get fetches path and decodes its JSON body into out; it returns the
// status.
func (f *fixture) get(t *testing.T, path string, out any) int {
	t.Helper()
	res, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q", path, ct)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res.StatusCode
}

// poll calls f until it returns "" or the deadline passes.
func poll(t *testing.T, timeout time.Duration, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %v: %s", what, timeout, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sseEvent is one event read from the live stream.
type sseEvent struct {
	name string
	data string
}

// stream is a client of the live stream; its events arrive on a channel.
type stream struct {
	events chan sseEvent
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// openStream connects to the fixture's /api/live.
func (f *fixture) openStream(t *testing.T) *stream {
	t.Helper()
	return openStream(t, f.srv.URL)
}

// openStream connects to baseURL/api/live; the stream closes when the
// test ends.
func openStream(t *testing.T, baseURL string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", baseURL+"/api/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("live: %d %q", res.StatusCode, ct)
	}
	s := &stream{events: make(chan sseEvent, 1024), cancel: cancel}
	s.done.Go(func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				select {
				case s.events <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		s.done.Wait()
	})
	return s
}

// next returns the next event for which match returns true, skipping
// others.
func (s *stream) next(t *testing.T, what string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-s.events:
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("live stream: no %s", what)
		}
	}
}

// named matches events of one name whose data contains every part.
func named(name string, parts ...string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		if ev.name != name {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(ev.data, p) {
				return false
			}
		}
		return true
	}
}
