package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// call is one Send a fakeChannel saw.
type call struct {
	key      string
	at       time.Time
	deadline time.Time
}

// fakeChannel is a connectors.Channel whose outcomes a test scripts with
// fn (attempt counts from 1 per key).
type fakeChannel struct {
	fn func(ctx context.Context, n *connectors.Notification, attempt int) error

	mu     sync.Mutex
	calls  []call
	perKey map[string]int
	closed bool
}

var _ connectors.Channel = (*fakeChannel)(nil)

func newFake(fn func(ctx context.Context, n *connectors.Notification, attempt int) error) *fakeChannel {
	return &fakeChannel{fn: fn, perKey: map[string]int{}}
}

func (c *fakeChannel) Send(ctx context.Context, n *connectors.Notification) error {
	dl, _ := ctx.Deadline()
	c.mu.Lock()
	c.calls = append(c.calls, call{key: n.Key, at: time.Now(), deadline: dl})
	c.perKey[n.Key]++
	attempt := c.perKey[n.Key]
	c.mu.Unlock()
	return c.fn(ctx, n, attempt)
}

func (c *fakeChannel) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *fakeChannel) Calls() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.calls...)
}

func ok(context.Context, *connectors.Notification, int) error { return nil }

// results collects OnResult calls.
type results struct {
	mu  sync.Mutex
	all []Result
}

func (r *results) add(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, res)
}

func (r *results) get() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.all...)
}

func note(channel, key string) *connectors.Notification {
	return &connectors.Notification{Sink: "pager", Channel: channel, Key: key}
}

// start builds and starts a dispatcher in the current synctest bubble;
// it is closed when the test's bubble function returns.
func start(t *testing.T, o Options) (*Dispatcher, *results) {
	t.Helper()
	res := &results{}
	o.Sink = "pager"
	o.OnResult = res.add
	d := NewDispatcher(o)
	d.Start(t.Context())
	t.Cleanup(d.Close)
	return d, res
}

// settle advances the bubble's virtual clock by an hour, longer than any
// retry sequence these tests script, and waits for the goroutines to
// block again. It costs no real time.
func settle() {
	time.Sleep(time.Hour)
	synctest.Wait()
}

func TestDeliveryOrderPerChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a fails every third key twice (retryable) before succeeding; b
		// always succeeds.
		a := newFake(func(_ context.Context, n *connectors.Notification, attempt int) error {
			if strings.HasSuffix(n.Key, "0") && attempt <= 2 {
				return &connectors.SendError{Status: 503, Err: errors.New("unavailable")}
			}
			return nil
		})
		b := newFake(ok)
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"a": a, "b": b}})
		var wantA, wantB []string
		for i := range 50 {
			ka, kb := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
			d.Submit(note("a", ka))
			d.Submit(note("b", kb))
			wantA, wantB = append(wantA, ka), append(wantB, kb)
		}
		settle()
		if n := len(res.get()); n != 100 {
			t.Fatalf("%d results, want 100", n)
		}
		if got := deliveredOrder(a); !equal(got, wantA) {
			t.Fatalf("channel a order:\n got %v\nwant %v", got, wantA)
		}
		if got := deliveredOrder(b); !equal(got, wantB) {
			t.Fatalf("channel b order:\n got %v\nwant %v", got, wantB)
		}
		// Retries never let a later key overtake: the calls of a are
		// grouped by key, in order.
		var keys []string
		for _, c := range a.Calls() {
			if len(keys) == 0 || keys[len(keys)-1] != c.key {
				keys = append(keys, c.key)
			}
		}
		if !equal(keys, wantA) {
			t.Fatalf("channel a interleaved keys: %v", keys)
		}
		if d.Outbox().Len() != 0 {
			t.Fatalf("outbox has %d entries after delivery", d.Outbox().Len())
		}
		for _, r := range res.get() {
			if r.Err != nil {
				t.Fatalf("result %d: %v", r.Seq, r.Err)
			}
		}
		h := d.Health()
		if h[0].Channel != "a" || h[0].Sent != 50 || h[0].Retried != 10 || h[1].Sent != 50 || h[1].Retried != 0 {
			t.Fatalf("health = %+v", h)
		}
	})
}

// deliveredOrder returns the keys of c's calls, last call per key (the
// successful one) in call order.
func deliveredOrder(c *fakeChannel) []string {
	calls := c.Calls()
	var out []string
	for i, cl := range calls {
		if i+1 < len(calls) && calls[i+1].key == cl.key {
			continue
		}
		out = append(out, cl.key)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryThenSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(_ context.Context, _ *connectors.Notification, attempt int) error {
			if attempt <= 2 {
				return &connectors.SendError{Status: 500, Response: "oops", Err: errors.New("server error")}
			}
			return nil
		})
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"default": c}})
		seq := d.Submit(note("default", "k"))
		settle()
		calls := c.Calls()
		if len(calls) != 3 {
			t.Fatalf("%d attempts, want 3", len(calls))
		}
		// Backoff: 500ms then 750ms, each ±50% (backoff/v5 may add 1ns).
		bounds := [][2]time.Duration{{250 * time.Millisecond, 750*time.Millisecond + 1}, {375 * time.Millisecond, 1125*time.Millisecond + 1}}
		for i, b := range bounds {
			w := calls[i+1].at.Sub(calls[i].at)
			if w < b[0] || w > b[1] {
				t.Fatalf("wait %d = %v, want within %v", i+1, w, b)
			}
		}
		r := res.get()
		if len(r) != 1 || r[0].Seq != seq || r[0].Err != nil || r[0].Attempts != 3 || r[0].Status != 0 {
			t.Fatalf("results = %+v", r)
		}
		if h := d.Health()[0]; h.Sent != 1 || h.Retried != 2 || h.Failed != 0 || h.LastError != "status 500: server error" {
			t.Fatalf("health = %+v", h)
		}
		if len(d.Errors()) != 0 || d.Outbox().Len() != 0 {
			t.Fatalf("errors %v, outbox %d", d.Errors(), d.Outbox().Len())
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(_ context.Context, _ *connectors.Notification, attempt int) error {
			if attempt == 1 {
				return &connectors.SendError{Status: 429, RetryAfter: 7 * time.Second, Err: errors.New("slow down")}
			}
			return nil
		})
		d2, r2 := start(t, Options{Channels: map[string]connectors.Channel{"default": c}})
		d2.Submit(note("default", "k"))
		settle()
		calls := c.Calls()
		if len(calls) != 2 {
			t.Fatalf("%d attempts, want 2", len(calls))
		}
		if w := calls[1].at.Sub(calls[0].at); w < 7*time.Second {
			t.Fatalf("waited %v after a 429 with Retry-After 7s", w)
		}
		if r := r2.get(); len(r) != 1 || r[0].Err != nil || r[0].Attempts != 2 {
			t.Fatalf("results = %+v", r)
		}
	})
}

// BenchmarkDispatcherSubmit measures the Submit → Send → Done → OnResult
// path on one channel with real goroutines.
func BenchmarkDispatcherSubmit(b *testing.B) {
	done := make(chan struct{}, 1024)
	d := NewDispatcher(Options{
		Channels: map[string]connectors.Channel{"default": newFake(ok)},
		OnResult: func(Result) { done <- struct{}{} },
	})
	d.Start(context.Background())
	defer d.Close()
	n := note("default", "k")
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		d.Submit(n)
		sent++
		if sent%512 == 0 {
			for range 512 {
				<-done
			}
		}
	}
	for range sent % 512 {
		<-done
	}
}
