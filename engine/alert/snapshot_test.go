package alert

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

// richConfig turns on every feature so a snapshot has something of each.
func richConfig() *Config {
	cfg := testConfig()
	cfg.For = 40 * time.Second
	cfg.KeepFiringFor = time.Minute
	cfg.ResolveTimeout = 15 * time.Minute
	cfg.GroupBy = []string{"cluster"}
	cfg.GroupInterval = 2 * time.Minute
	cfg.RepeatInterval = 20 * time.Minute
	cfg.Routes = map[Severity][]string{P0: {"pager"}, P1: {"pager", "chat"}, P2: {"chat"}}
	cfg.EscalateAfter = map[Severity]time.Duration{P2: 7 * time.Minute, P1: 5 * time.Minute}
	cfg.RateLimit, cfg.RateInterval = 6, 5*time.Minute
	cfg.FlapCount, cfg.FlapWindow = 4, 30*time.Minute
	cfg.DedupDistance = 6
	cfg.Retention = time.Hour
	return cfg
}

type scripted struct {
	at time.Duration
	ev Event
}

// script returns deterministic pseudo-random events over span.
func script(seed uint64, span time.Duration) []scripted {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []scripted
	for d := time.Duration(0); d < span; d += time.Duration(5+rng.IntN(40)) * time.Second {
		svc := fmt.Sprintf("s%d", rng.IntN(8))
		cluster := []string{"eu", "us"}[rng.IntN(2)]
		ev := Event{Labels: labels("service", svc, "cluster", cluster), Active: rng.IntN(3) > 0}
		if ev.Active {
			ev.Severity = Severity(rng.IntN(4) + 1)
			ev.Annotations = labels("summary", fmt.Sprintf("latency of %s is %d ms", svc, 500+rng.IntN(20)))
		}
		out = append(out, scripted{d, ev})
	}
	return out
}

// world is one run's manager with its own silences and firing index.
type world struct {
	m      *Manager
	sil    *Silences
	firing *FiringIndex
}

func newWorld(t testing.TB) *world {
	w := &world{sil: NewSilences(), firing: NewFiringIndex()}
	if _, err := w.sil.Add(at(0), Silence{
		Matchers: []Matcher{mustMatcher(t, "service", MatchRegexp, "s[12]")},
		StartsAt: at(30 * time.Minute), EndsAt: at(50 * time.Minute), NotifyOnExpiry: true,
	}); err != nil {
		t.Fatal(err)
	}
	w.m = NewManager(richConfig(), &Mutes{Silences: w.sil, Firing: w.firing}, w.firing)
	return w
}

// fingerprintOf renders notifications with their keys and times.
func fingerprintOf(ns []*connectors.Notification) []string {
	out := render(ns)
	for i, n := range ns {
		out[i] += fmt.Sprintf(" key=%s created=%d", n.Key, n.CreatedAt.UnixNano())
	}
	return out
}

func TestSnapshotRestoreReplaysIdentically(t *testing.T) {
	const span = 3 * time.Hour
	evs := script(1, span)
	// Uninterrupted run.
	ref := newWorld(t)
	var want []string
	// Advance before two events in three: Observe runs the timers the
	// skipped Advance would have and holds their notifications.
	for i, s := range evs {
		if i%3 != 2 {
			want = append(want, fingerprintOf(ref.m.Advance(at(s.at)))...)
		}
		ref.m.Observe(at(s.at), s.ev)
	}
	want = append(want, fingerprintOf(ref.m.Advance(at(span+24*time.Hour)))...)
	t.Logf("%d notifications", len(want))
	if len(want) < 50 {
		t.Fatalf("the script produced only %d notifications", len(want))
	}
	keys := map[string]bool{}
	for _, n := range want {
		k := strings.Fields(n[strings.LastIndex(n, " key="):])[0]
		if keys[k] {
			t.Fatalf("duplicate key in %s", n)
		}
		keys[k] = true
	}

	for _, cut := range []int{len(evs) / 5, len(evs)/2 + 1, len(evs)*4/5 + 2} {
		w := newWorld(t)
		var got []string
		for i, s := range evs {
			if i == cut {
				// Restart: snapshot, then a brand new manager, silences and
				// firing index restored from bytes.
				snap, err := w.m.Snapshot([]byte("prefix"))
				if err != nil {
					t.Fatal(err)
				}
				snap = snap[len("prefix"):]
				silSnap, _ := w.sil.Snapshot(nil)
				w = &world{sil: NewSilences(), firing: NewFiringIndex()}
				if err := w.sil.Restore(silSnap); err != nil {
					t.Fatal(err)
				}
				w.m = NewManager(richConfig(), &Mutes{Silences: w.sil, Firing: w.firing}, w.firing)
				if err := w.m.Restore(snap); err != nil {
					t.Fatal(err)
				}
				again, _ := w.m.Snapshot(nil)
				if !bytes.Equal(again, snap) {
					t.Fatal("snapshot of a restored manager differs")
				}
			}
			if i%3 != 2 {
				got = append(got, fingerprintOf(w.m.Advance(at(s.at)))...)
			}
			w.m.Observe(at(s.at), s.ev)
		}
		got = append(got, fingerprintOf(w.m.Advance(at(span+24*time.Hour)))...)
		if len(got) != len(want) {
			t.Fatalf("cut %d: %d notifications, want %d", cut, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("cut %d: notification %d:\ngot  %s\nwant %s", cut, i, got[i], want[i])
			}
		}
	}
}

// TestRestoreCatchesUp: a manager restored long after its snapshot
// produces, in one Advance, exactly what the same manager would have
// produced advancing that late without a restart, and it loses no
// transition compared with a manager advanced every 10s.
func TestRestoreCatchesUp(t *testing.T) {
	evs := script(2, time.Hour)
	fine, late := newWorld(t), newWorld(t)
	for _, s := range evs {
		fine.m.Observe(at(s.at), s.ev)
		late.m.Observe(at(s.at), s.ev)
	}
	snap, _ := late.m.Snapshot(nil)
	var fineNs []*connectors.Notification
	for d := time.Hour; d <= 5*time.Hour; d += 10 * time.Second {
		fineNs = append(fineNs, fine.m.Advance(at(d))...)
	}
	lateNs := late.m.Advance(at(5 * time.Hour))
	up := newWorld(t)
	if err := up.m.Restore(snap); err != nil {
		t.Fatal(err)
	}
	upNs := up.m.Advance(at(5 * time.Hour))
	if got, want := fingerprintOf(upNs), fingerprintOf(lateNs); len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("catch-up after restore:\ngot  %v\nwant %v", got, want)
	}
	if fmt.Sprint(up.m.Alerts()) != fmt.Sprint(late.m.Alerts()) {
		t.Fatal("alerts differ after catch-up")
	}
	transitions := func(ns []*connectors.Notification) map[string]bool {
		set := map[string]bool{}
		for _, n := range ns {
			for _, a := range n.Alerts {
				set[fmt.Sprintf("%s %d %s %s", n.Channel, a.ID, a.Status, a.StartsAt)] = true
			}
		}
		return set
	}
	if got, want := transitions(upNs), transitions(fineNs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("transitions:\ngot  %v\nwant %v", got, want)
	}
}

func TestRestoreRejectsCorruptInput(t *testing.T) {
	w := newWorld(t)
	for _, s := range script(3, 30*time.Minute) {
		w.m.Advance(at(s.at))
		w.m.Observe(at(s.at), s.ev)
	}
	snap, _ := w.m.Snapshot(nil)
	before := fmt.Sprint(w.m.Alerts())
	for _, bad := range [][]byte{nil, {9}, snap[:len(snap)/2], append(append([]byte{}, snap...), 0)} {
		if err := w.m.Restore(bad); !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("Restore(%d bytes) = %v; want ErrCorrupt", len(bad), err)
		}
	}
	if fmt.Sprint(w.m.Alerts()) != before {
		t.Fatal("a failed Restore changed the manager")
	}
}

func TestDeliveredCountsAndErrors(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone))
	h.advance(30 * time.Second)
	n := h.sent[0]
	h.m.Delivered(n, nil)
	h.m.Delivered(n, errors.New("status 503: unavailable"))
	h.m.Delivered(n, nil)
	r, _ := h.row("a")
	if r.Notifications != 2 || r.LastError != "status 503: unavailable" {
		t.Fatalf("row = %+v", r)
	}
}

// TestRestoreWithChangedGroupBy: a restore under a different group_by
// regroups the firing alerts and flushes the new groups at once.
func TestRestoreWithChangedGroupBy(t *testing.T) {
	h := newHarness(t, testConfig(), nil, nil)
	h.observe(0, on("a", SeverityNone), on("b", SeverityNone))
	h.expect(30*time.Second, "+30s default firing [a:firing b:firing]")
	snap, _ := h.m.Snapshot(nil)
	cfg := testConfig()
	cfg.GroupBy = []string{"service"}
	h2 := newHarness(t, cfg, nil, nil)
	if err := h2.m.Restore(snap); err != nil {
		t.Fatal(err)
	}
	h2.expect(time.Minute, "+0s default firing [a:firing]", "+0s default firing [b:firing]")
}
