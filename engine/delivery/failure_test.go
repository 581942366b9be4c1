package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

func TestPermanentFailureIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(context.Context, *connectors.Notification, int) error {
			return &connectors.SendError{Permanent: true, Status: 400, Response: `{"error":"bad payload"}`, Err: errors.New("bad request")}
		})
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"default": c}})
		begin := time.Now()
		seq := d.Submit(note("default", "k1"))
		settle()
		if n := len(c.Calls()); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
		r := res.get()
		if len(r) != 1 || r[0].Seq != seq || r[0].Attempts != 1 || r[0].Status != 400 || r[0].Response != `{"error":"bad payload"}` || !connectors.IsPermanent(r[0].Err) {
			t.Fatalf("results = %+v", r)
		}
		want := SinkError{Sink: "pager", Channel: "default", Key: "k1", At: begin, Status: 400,
			Response: `{"error":"bad payload"}`, Error: "status 400: bad request", Attempts: 1}
		if e := d.Errors(); len(e) != 1 || e[0] != want {
			t.Fatalf("errors = %+v, want %+v", e, want)
		}
		if d.Outbox().Len() != 0 {
			t.Fatal("failed entry left in the outbox")
		}
		if h := d.Health()[0]; h.Failed != 1 || h.Sent != 0 || h.State != "degraded" || !h.LastFailure.Equal(begin) {
			t.Fatalf("health = %+v", h)
		}
	})
}

func TestDeadlineExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(context.Context, *connectors.Notification, int) error {
			return &connectors.SendError{Status: 503, Response: "busy", Err: errors.New("unavailable")}
		})
		d, res := start(t, Options{
			Channels:       map[string]connectors.Channel{"default": c},
			Deadline:       10 * time.Second,
			InitialBackoff: time.Second,
			MaxBackoff:     2 * time.Second,
		})
		d.Submit(note("default", "k"))
		settle()
		calls := c.Calls()
		// Waits are at most 1.5+2.25+3+3 s for the first four, so at least
		// five attempts fit in 10s.
		if len(calls) < 5 {
			t.Fatalf("%d attempts, want at least 5", len(calls))
		}
		if span := calls[len(calls)-1].at.Sub(calls[0].at); span >= 10*time.Second {
			t.Fatalf("attempted for %v, past the 10s deadline", span)
		}
		r := res.get()
		if len(r) != 1 {
			t.Fatalf("results = %+v", r)
		}
		wantErr := fmt.Sprintf("deadline exceeded after %d attempts: status 503: unavailable", len(calls))
		if r[0].Err == nil || r[0].Err.Error() != wantErr || r[0].Attempts != len(calls) || r[0].Status != 503 || r[0].Response != "busy" {
			t.Fatalf("result = %+v, want error %q", r[0], wantErr)
		}
		if e := d.Errors(); len(e) != 1 || e[0].Error != wantErr || e[0].Attempts != len(calls) || e[0].Status != 503 {
			t.Fatalf("errors = %+v", e)
		}
		if h := d.Health()[0]; h.State != "down" || h.Failed != 1 || h.Retried != int64(len(calls)-1) {
			t.Fatalf("health = %+v", h)
		}
		if d.Outbox().Len() != 0 {
			t.Fatal("failed entry left in the outbox")
		}
	})
}

func TestAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Every attempt hangs until its context ends: a timeout is
		// retryable, and the last attempt is cut to the deadline.
		c := newFake(func(ctx context.Context, _ *connectors.Notification, _ int) error {
			<-ctx.Done()
			return ctx.Err()
		})
		d, res := start(t, Options{
			Channels:       map[string]connectors.Channel{"default": c},
			Deadline:       12 * time.Second,
			InitialBackoff: time.Millisecond,
			MaxBackoff:     time.Millisecond,
			AttemptTimeout: 5 * time.Second,
		})
		begin := time.Now()
		d.Submit(note("default", "k"))
		settle()
		calls := c.Calls()
		if len(calls) != 3 {
			t.Fatalf("%d attempts, want 3", len(calls))
		}
		if got := calls[0].deadline.Sub(calls[0].at); got != 5*time.Second {
			t.Fatalf("first attempt timeout %v, want 5s", got)
		}
		if !calls[2].deadline.Equal(begin.Add(12 * time.Second)) {
			t.Fatalf("last attempt deadline %v, want the notification deadline %v", calls[2].deadline, begin.Add(12*time.Second))
		}
		if r := res.get(); len(r) != 1 || !errors.Is(r[0].Err, context.DeadlineExceeded) || r[0].Attempts != 3 {
			t.Fatalf("results = %+v", r)
		}
	})
}

func TestBlockedChannelDoesNotStallOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := newFake(func(ctx context.Context, _ *connectors.Notification, _ int) error {
			<-ctx.Done() // a dead endpoint: never answers
			return ctx.Err()
		})
		fast := newFake(ok)
		d, res := start(t, Options{
			Channels:       map[string]connectors.Channel{"slow": slow, "fast": fast},
			AttemptTimeout: time.Hour,
		})
		begin := time.Now()
		d.Submit(note("slow", "s0"))
		for i := range 10 {
			d.Submit(note("fast", fmt.Sprint(i)))
		}
		// Enqueue never blocks, however deep the dead channel's queue.
		for i := range 1000 {
			d.Submit(note("slow", fmt.Sprint("s", i+1)))
		}
		synctest.Wait()
		if !time.Now().Equal(begin) {
			t.Fatalf("virtual time moved: the test waited on the slow channel")
		}
		if n := len(fast.Calls()); n != 10 {
			t.Fatalf("fast channel got %d sends, want 10", n)
		}
		if n := len(res.get()); n != 10 {
			t.Fatalf("%d results, want 10", n)
		}
		h := d.Health()
		if h[0].Channel != "fast" || h[0].Sent != 10 || h[0].QueueDepth != 0 || h[1].QueueDepth != 1001 || h[1].Sent != 0 {
			t.Fatalf("health = %+v", h)
		}
		if d.Outbox().Len() != 1001 {
			t.Fatalf("outbox has %d entries, want 1001", d.Outbox().Len())
		}
	})
}

func TestCloseMidRetryKeepsEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(context.Context, *connectors.Notification, int) error {
			return errors.New("connection reset by peer")
		})
		res := &results{}
		d := NewDispatcher(Options{Sink: "pager", Channels: map[string]connectors.Channel{"default": c}, OnResult: res.add})
		d.Start(t.Context())
		seq := d.Submit(note("default", "k"))
		synctest.Wait() // first attempt failed; the dispatcher is in its backoff wait
		if n := len(c.Calls()); n != 1 {
			t.Fatalf("%d attempts before Close, want 1", n)
		}
		d.Close()
		d.Close() // idempotent
		if p := d.Outbox().Pending(); len(p) != 1 || p[0].Seq != seq {
			t.Fatalf("outbox after Close = %+v, want entry %d", p, seq)
		}
		if len(res.get()) != 0 || len(d.Errors()) != 0 {
			t.Fatalf("Close finished the entry: %+v %+v", res.get(), d.Errors())
		}
		if c.closed {
			t.Fatal("Close closed the caller's channel")
		}
		settle()
		if n := len(c.Calls()); n != 1 {
			t.Fatalf("%d attempts after Close, want 1", n)
		}
	})
}

func TestCloseDuringSendKeepsEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(ctx context.Context, _ *connectors.Notification, _ int) error {
			<-ctx.Done()
			return ctx.Err()
		})
		ctx, cancel := context.WithCancel(t.Context())
		d := NewDispatcher(Options{Channels: map[string]connectors.Channel{"default": c}})
		d.Start(ctx)
		d.Submit(note("default", "k"))
		synctest.Wait()
		cancel() // stopping through Start's context works like Close
		synctest.Wait()
		d.Close()
		if d.Outbox().Len() != 1 {
			t.Fatal("entry left the outbox when its Send was cancelled")
		}
		if h := d.Health()[0]; h.LastError != "" || h.State != "healthy" {
			t.Fatalf("a cancelled Send counted against the channel: %+v", h)
		}
	})
}

func TestUnknownChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"default": newFake(ok)}})
		seq := d.Submit(note("nope", "k"))
		// The failure is immediate, on the caller's goroutine.
		r := res.get()
		if len(r) != 1 || r[0].Seq != seq || r[0].Attempts != 0 || r[0].Err == nil || !strings.Contains(r[0].Err.Error(), `unknown channel "nope"`) {
			t.Fatalf("results = %+v", r)
		}
		if e := d.Errors(); len(e) != 1 || e[0].Channel != "nope" || e[0].Key != "k" {
			t.Fatalf("errors = %+v", e)
		}
		if d.Outbox().Len() != 0 {
			t.Fatal("entry for an unknown channel left in the outbox")
		}
	})
}

func TestErrorsAreBounded(t *testing.T) {
	d := NewDispatcher(Options{})
	defer d.Close()
	for i := range maxErrors + 5 {
		d.Submit(note("none", fmt.Sprint(i)))
	}
	e := d.Errors()
	if len(e) != maxErrors || e[0].Key != "5" || e[len(e)-1].Key != fmt.Sprint(maxErrors+4) {
		t.Fatalf("errors: %d rows, first %q, last %q", len(e), e[0].Key, e[len(e)-1].Key)
	}
}

// TestRestartResendsPending runs a dispatcher against a dead endpoint,
// checkpoints its outbox, and restores it into a new dispatcher whose
// endpoint works: the pending entries are sent again, with their
// sequence numbers.
func TestRestartResendsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dead := newFake(func(context.Context, *connectors.Notification, int) error {
			return &connectors.SendError{Status: 502, Err: errors.New("bad gateway")}
		})
		d1 := NewDispatcher(Options{Channels: map[string]connectors.Channel{"default": dead}})
		d1.Start(t.Context())
		s1 := d1.Submit(fullNotificationOn("default", "a"))
		s2 := d1.Submit(fullNotificationOn("default", "b"))
		synctest.Wait()
		snap, err := d1.Outbox().Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		d1.Close()

		out := NewOutbox()
		if err := out.Restore(snap); err != nil {
			t.Fatal(err)
		}
		live := newFake(ok)
		d2, res := start(t, Options{Channels: map[string]connectors.Channel{"default": live}, Outbox: out})
		d2.EnqueuePending()
		settle()
		r := res.get()
		if len(r) != 2 || r[0].Seq != s1 || r[1].Seq != s2 || r[0].Err != nil || r[1].Err != nil {
			t.Fatalf("results after restart = %+v", r)
		}
		if got := deliveredOrder(live); !equal(got, []string{"a", "b"}) {
			t.Fatalf("resent %v", got)
		}
		if out.Len() != 0 {
			t.Fatal("outbox not drained")
		}
	})
}

func fullNotificationOn(channel, key string) *connectors.Notification {
	n := fullNotification(key)
	n.Channel = channel
	return n
}
