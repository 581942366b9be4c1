package delivery

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestHealthTransitions scripts each attempt's outcome through a channel
// and checks the state after each: healthy → degraded → down → degraded
// → healthy.
func TestHealthTransitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		outcomes := make(chan error)
		c := newFake(func(ctx context.Context, _ *connectors.Notification, _ int) error {
			select {
			case err := <-outcomes:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		d, _ := start(t, Options{Channels: map[string]connectors.Channel{"default": c}})
		fail := &connectors.SendError{Status: 503, Err: errors.New("unavailable")}
		var lastOK, lastFail time.Time
		step := func(err error, want string) {
			t.Helper()
			outcomes <- err // blocks until the dispatcher attempts (after any backoff)
			if err == nil {
				lastOK = time.Now()
			} else {
				lastFail = time.Now()
			}
			synctest.Wait()
			h := d.Health()[0]
			if h.State != want {
				t.Fatalf("after %v: state %q, want %q (%+v)", err, h.State, want, h)
			}
			if !h.LastSuccess.Equal(lastOK) || !h.LastFailure.Equal(lastFail) {
				t.Fatalf("last success/failure = %v/%v, want %v/%v", h.LastSuccess, h.LastFailure, lastOK, lastFail)
			}
		}

		if h := d.Health()[0]; h.State != "healthy" {
			t.Fatalf("initial state %q", h.State)
		}
		d.Submit(note("default", "n1"))
		step(nil, "healthy")
		d.Submit(note("default", "n2"))
		step(fail, "degraded")
		step(fail, "degraded")
		step(fail, "down")
		if h := d.Health()[0]; h.LastError != "status 503: unavailable" || h.Retried != 2 {
			t.Fatalf("health = %+v", h)
		}
		step(nil, "degraded") // n2 delivered, but 3 of the last 5 attempts failed
		// Attempts so far: ok F F F ok. Healthy again once at most one
		// failure is among the last 10 attempts: after 8 more successes.
		for i := range 8 {
			d.Submit(note("default", fmt.Sprint("m", i)))
			want := "degraded"
			if i == 7 {
				want = "healthy"
			}
			step(nil, want)
		}
		// One isolated failure degrades until the next success.
		d.Submit(note("default", "x"))
		step(fail, "degraded")
		step(nil, "healthy")
		if h := d.Health()[0]; h.Sent != 11 || h.Failed != 0 || h.Retried != 4 {
			t.Fatalf("counters = %+v", h)
		}
	})
}

func TestHealthRule(t *testing.T) {
	at := time.Unix(0, 0)
	fail := errors.New("x")
	for _, tc := range []struct {
		outcomes string // o: ok, f: failed; oldest first
		want     HealthState
	}{
		{"", Healthy},
		{"o", Healthy},
		{"f", Degraded},
		{"ff", Degraded},
		{"fff", Down},
		{"ooofff", Down},
		{"fffo", Degraded},
		{"fo", Healthy},
		{"fooooooooofo", Healthy},
		{"ffoooooooooo", Healthy},
		{"ffoooooooo", Degraded},
		{"ffooooooooo", Healthy},
		{"offo", Degraded},
	} {
		var h health
		for _, c := range tc.outcomes {
			if c == 'f' {
				h.attempt(at, fail)
			} else {
				h.attempt(at, nil)
			}
		}
		if got := h.state(); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.outcomes, got, tc.want)
		}
	}
}
