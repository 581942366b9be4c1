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

// groupNote is a notification of alert group group on channel.
func groupNote(channel, group, key string) *connectors.Notification {
	n := note(channel, key)
	n.GroupKey = group
	return n
}

// concurrency counts the Sends of a fake channel in flight.
type concurrency struct {
	mu       sync.Mutex
	cur, max int
}

func (c *concurrency) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur++
	c.max = max(c.max, c.cur)
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur--
}

func (c *concurrency) get() (cur, maxSeen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.max
}

// groupOf returns the group of a key "<group>-<n>".
func groupOf(key string) string {
	g, _, _ := strings.Cut(key, "-")
	return g
}

// checkGroupOrder fails unless, for every group, c's calls for that
// group's keys are contiguous per key and in want's order (want maps a
// group to its keys in Enqueue order): retries never let a later
// notification of a group overtake an earlier one.
func checkGroupOrder(t *testing.T, c *fakeChannel, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, cl := range c.Calls() {
		g := groupOf(cl.key)
		keys := got[g]
		if len(keys) == 0 || keys[len(keys)-1] != cl.key {
			got[g] = append(keys, cl.key)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("calls for %d groups, want %d", len(got), len(want))
	}
	for g, keys := range want {
		if !equal(got[g], keys) {
			t.Fatalf("group %s: keys sent in order\n%v\nwant\n%v", g, got[g], keys)
		}
	}
}

// groupsLeft returns the number of group queues the channel still holds.
func groupsLeft(d *Dispatcher, channel string) int {
	q := d.queues[channel]
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.groups)
}

// TestFailingGroupDoesNotDelayOtherGroups: a group whose notifications
// the endpoint keeps rejecting with 503 (retried up to the 1 h deadline)
// does not delay another group's notifications on the same channel, even
// with a single send slot.
func TestFailingGroupDoesNotDelayOtherGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(_ context.Context, n *connectors.Notification, _ int) error {
			if n.GroupKey == "bad" {
				return &connectors.SendError{Status: 503, Err: errors.New("unavailable")}
			}
			return nil
		})
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"default": c}, MaxInFlight: 1})
		begin := time.Now()
		d.Submit(groupNote("default", "bad", "bad-0"))
		d.Submit(groupNote("default", "bad", "bad-1"))
		for i := range 10 {
			d.Submit(groupNote("default", "good", fmt.Sprint("good-", i)))
		}
		synctest.Wait()
		if !time.Now().Equal(begin) {
			t.Fatal("virtual time moved")
		}
		if r := res.get(); len(r) != 10 {
			t.Fatalf("%d results while the bad group retries, want the 10 good ones", len(r))
		}
		if h := d.Health()[0]; h.Sent != 10 || h.QueueDepth != 2 {
			t.Fatalf("health = %+v", h)
		}

		// Half an hour into bad-0's retries, a new good notification
		// still goes out at once.
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if r := res.get(); len(r) != 10 {
			t.Fatalf("%d results at 30 min, want 10", len(r))
		}
		d.Submit(groupNote("default", "good", "good-10"))
		synctest.Wait()
		r := res.get()
		if len(r) != 11 || r[10].N.Key != "good-10" || r[10].Err != nil {
			t.Fatalf("results = %+v", r)
		}

		// Each bad notification fails at its own deadline, in order.
		settle()
		settle()
		r = res.get()
		if len(r) != 13 || r[11].N.Key != "bad-0" || r[12].N.Key != "bad-1" {
			t.Fatalf("results = %+v", r)
		}
		for _, x := range r[11:] {
			if x.Err == nil || !strings.HasPrefix(x.Err.Error(), "deadline exceeded after ") {
				t.Fatalf("result %+v, want a deadline failure", x)
			}
		}
		want := map[string][]string{"bad": {"bad-0", "bad-1"}, "good": nil}
		for i := range 11 {
			want["good"] = append(want["good"], fmt.Sprint("good-", i))
		}
		checkGroupOrder(t, c, want)
		if d.Outbox().Len() != 0 || groupsLeft(d, "default") != 0 {
			t.Fatalf("outbox %d, groups %d after delivery", d.Outbox().Len(), groupsLeft(d, "default"))
		}
	})
}

// TestGroupOrderUnderRetries sends many groups through a flaky, slow
// endpoint with two send slots: groups interleave, but within a group
// notifications go out strictly in Enqueue order, every one once
// delivered.
func TestGroupOrderUnderRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cc concurrency
		c := newFake(func(_ context.Context, n *connectors.Notification, attempt int) error {
			cc.enter()
			defer cc.leave()
			var g, j int
			fmt.Sscanf(n.Key, "g%d-%d", &g, &j)
			// Simulated latency (virtual time), varying per key.
			time.Sleep(time.Duration((g+j)%4) * 100 * time.Millisecond)
			if (g+j)%3 == 0 && attempt <= 1+j%3 {
				return &connectors.SendError{Status: 502, Err: errors.New("bad gateway")}
			}
			return nil
		})
		d, res := start(t, Options{Channels: map[string]connectors.Channel{"default": c}, MaxInFlight: 2})
		want := map[string][]string{}
		for j := range 15 {
			for g := range 6 {
				group, key := fmt.Sprint("g", g), fmt.Sprintf("g%d-%d", g, j)
				d.Submit(groupNote("default", group, key))
				want[group] = append(want[group], key)
			}
		}
		settle()
		r := res.get()
		if len(r) != 90 {
			t.Fatalf("%d results, want 90", len(r))
		}
		for _, x := range r {
			if x.Err != nil {
				t.Fatalf("result %+v", x)
			}
		}
		checkGroupOrder(t, c, want)
		// The groups really ran side by side: some group's call came
		// between two calls of another.
		calls := c.Calls()
		interleaved := false
		for i := 2; i < len(calls) && !interleaved; i++ {
			a, b, x := groupOf(calls[i-2].key), groupOf(calls[i-1].key), groupOf(calls[i].key)
			interleaved = a == x && a != b
		}
		if !interleaved {
			t.Fatal("groups were sent one after the other")
		}
		if _, m := cc.get(); m != 2 {
			t.Fatalf("at most %d Sends in flight, want 2", m)
		}
		if h := d.Health()[0]; h.Sent != 90 || h.QueueDepth != 0 {
			t.Fatalf("health = %+v", h)
		}
		if groupsLeft(d, "default") != 0 {
			t.Fatal("empty group queues left behind")
		}
	})
}

// TestMaxInFlightBoundsSends holds every Send until released and counts
// how many run at once.
func TestMaxInFlightBoundsSends(t *testing.T) {
	for _, tc := range []struct{ opt, want int }{{0, DefaultMaxInFlight}, {1, 1}, {3, 3}} {
		t.Run(fmt.Sprint(tc.opt), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var cc concurrency
				gate := make(chan struct{})
				c := newFake(func(ctx context.Context, _ *connectors.Notification, _ int) error {
					cc.enter()
					defer cc.leave()
					select {
					case <-gate:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				other := newFake(ok)
				d, res := start(t, Options{
					Channels:    map[string]connectors.Channel{"default": c, "other": other},
					MaxInFlight: tc.opt,
				})
				want := map[string][]string{}
				for j := range 2 {
					for g := range 10 {
						group, key := fmt.Sprint("g", g), fmt.Sprintf("g%d-%d", g, j)
						d.Submit(groupNote("default", group, key))
						want[group] = append(want[group], key)
					}
				}
				// The bound is per channel: another channel's sends are
				// not held up.
				for g := range 10 {
					d.Submit(groupNote("other", fmt.Sprint("g", g), fmt.Sprintf("g%d-0", g)))
				}
				synctest.Wait()
				if cur, _ := cc.get(); cur != tc.want || len(c.Calls()) != tc.want {
					t.Fatalf("%d Sends in flight (%d calls), want %d", cur, len(c.Calls()), tc.want)
				}
				if n := len(res.get()); n != 10 {
					t.Fatalf("%d results, want the other channel's 10", n)
				}
				if h := d.Health()[0]; h.QueueDepth != 20 {
					t.Fatalf("queue depth %d, want 20", h.QueueDepth)
				}
				close(gate)
				settle()
				if _, m := cc.get(); m != tc.want {
					t.Fatalf("at most %d Sends in flight, want %d", m, tc.want)
				}
				if n := len(res.get()); n != 30 {
					t.Fatalf("%d results, want 30", n)
				}
				checkGroupOrder(t, c, want)
			})
		})
	}
}

// TestHungGroupLeavesOtherSlots: a group whose Send never answers holds
// one slot for its attempt timeout; the other groups share the rest.
func TestHungGroupLeavesOtherSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(ctx context.Context, n *connectors.Notification, _ int) error {
			if n.GroupKey == "hung" {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
		d, res := start(t, Options{
			Channels:       map[string]connectors.Channel{"default": c},
			MaxInFlight:    2,
			AttemptTimeout: time.Hour,
		})
		d.Submit(groupNote("default", "hung", "hung-0"))
		for i := range 20 {
			d.Submit(groupNote("default", fmt.Sprint("g", i%5), fmt.Sprint("g-", i)))
		}
		synctest.Wait()
		if n := len(res.get()); n != 20 {
			t.Fatalf("%d results, want 20", n)
		}
		if h := d.Health()[0]; h.QueueDepth != 1 || h.Sent != 20 {
			t.Fatalf("health = %+v", h)
		}
	})
}

// TestGroupsEnqueuedBeforeStart: entries of several groups queued before
// Start all go out after it, each group in order.
func TestGroupsEnqueuedBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(ok)
		res := &results{}
		d := NewDispatcher(Options{Channels: map[string]connectors.Channel{"default": c}, OnResult: res.add})
		defer d.Close()
		want := map[string][]string{}
		for j := range 4 {
			for g := range 3 {
				group, key := fmt.Sprint("g", g), fmt.Sprintf("g%d-%d", g, j)
				d.Submit(groupNote("default", group, key))
				want[group] = append(want[group], key)
			}
		}
		synctest.Wait()
		if h := d.Health()[0]; h.QueueDepth != 12 || len(c.Calls()) != 0 {
			t.Fatalf("before Start: health %+v, %d calls", h, len(c.Calls()))
		}
		d.Start(t.Context())
		synctest.Wait()
		if n := len(res.get()); n != 12 {
			t.Fatalf("%d results, want 12", n)
		}
		checkGroupOrder(t, c, want)
		if groupsLeft(d, "default") != 0 {
			t.Fatal("empty group queues left behind")
		}
	})
}

// TestCloseKeepsEveryGroupsEntries closes a dispatcher with groups in
// every state (sending, waiting to retry, waiting for a slot, queued
// behind their front): every entry stays in the outbox, and nothing is
// sent after Close.
func TestCloseKeepsEveryGroupsEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(ctx context.Context, n *connectors.Notification, _ int) error {
			if n.GroupKey == "hung" {
				<-ctx.Done()
				return ctx.Err()
			}
			return &connectors.SendError{Status: 500, Err: errors.New("oops")}
		})
		res := &results{}
		d := NewDispatcher(Options{
			Channels:       map[string]connectors.Channel{"default": c},
			MaxInFlight:    1,
			AttemptTimeout: time.Hour,
			OnResult:       res.add,
		})
		d.Start(t.Context())
		d.Submit(groupNote("default", "failing", "failing-0"))
		synctest.Wait() // failing-0 failed once and waits to retry
		d.Submit(groupNote("default", "hung", "hung-0"))
		d.Submit(groupNote("default", "hung", "hung-1"))
		synctest.Wait() // hung-0 holds the only slot
		d.Submit(groupNote("default", "waiting", "waiting-0"))
		synctest.Wait()
		if n := len(c.Calls()); n != 2 {
			t.Fatalf("%d calls before Close, want 2", n)
		}
		d.Close()
		if n := d.Outbox().Len(); n != 4 {
			t.Fatalf("outbox has %d entries after Close, want 4", n)
		}
		d.Submit(groupNote("default", "late", "late-0"))
		settle()
		if n := len(c.Calls()); n != 2 {
			t.Fatalf("%d calls after Close, want 2", n)
		}
		if len(res.get()) != 0 || d.Outbox().Len() != 5 {
			t.Fatalf("results %+v, outbox %d", res.get(), d.Outbox().Len())
		}
		if h := d.Health()[0]; h.QueueDepth != 5 {
			t.Fatalf("health = %+v", h)
		}
	})
}

// TestSlotWaitPastDeadline: a retry that only gets a send slot after
// its deadline fails without another attempt.
func TestSlotWaitPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFake(func(ctx context.Context, n *connectors.Notification, _ int) error {
			if n.GroupKey == "hung" {
				<-ctx.Done()
				return ctx.Err()
			}
			return &connectors.SendError{Status: 503, Response: "busy", Err: errors.New("unavailable")}
		})
		d, res := start(t, Options{
			Channels:       map[string]connectors.Channel{"default": c},
			MaxInFlight:    1,
			Deadline:       10 * time.Second,
			InitialBackoff: time.Second,
			MaxBackoff:     time.Second,
			AttemptTimeout: time.Minute,
		})
		d.Submit(groupNote("default", "flaky", "flaky-0"))
		synctest.Wait() // failed once, waiting about 1s to retry
		d.Submit(groupNote("default", "hung", "hung-0"))
		synctest.Wait() // the hung Send holds the slot for a minute
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		r := res.get()
		if len(r) != 2 {
			t.Fatalf("results = %+v", r)
		}
		var flaky Result
		for _, x := range r {
			if x.N.GroupKey == "flaky" {
				flaky = x
			}
		}
		const wantErr = "deadline exceeded after 1 attempts: status 503: unavailable"
		if flaky.Err == nil || flaky.Err.Error() != wantErr || flaky.Attempts != 1 || flaky.Status != 503 || flaky.Response != "busy" {
			t.Fatalf("flaky result %+v, want %q", flaky, wantErr)
		}
		if n := len(c.Calls()); n != 2 {
			t.Fatalf("%d calls, want 2", n)
		}
	})
}

// BenchmarkDispatcherSubmitGroups is BenchmarkDispatcherSubmit with the
// notifications spread over 64 alert groups of one channel, so group
// goroutines run side by side and share the channel's send slots.
func BenchmarkDispatcherSubmitGroups(b *testing.B) {
	done := make(chan struct{}, 1024)
	d := NewDispatcher(Options{
		Channels: map[string]connectors.Channel{"default": newFake(ok)},
		OnResult: func(Result) { done <- struct{}{} },
	})
	d.Start(context.Background())
	defer d.Close()
	notes := make([]*connectors.Notification, 64)
	for i := range notes {
		notes[i] = groupNote("default", fmt.Sprint("g", i), "k")
	}
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		d.Submit(notes[sent%len(notes)])
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
