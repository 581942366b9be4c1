package servicemonitoring

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// steps returns the first n steps (all for n < 0).
func steps(seed int64, n int) []examples.Step {
	g := NewGenerator(examples.Config{Seed: seed, Start: start})
	var out []examples.Step
	for n < 0 || len(out) < n {
		st, ok := g.Next()
		if !ok {
			break
		}
		out = append(out, st)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	a, b, c := steps(1, -1), steps(1, -1), steps(2, 5)
	if len(a) != Minutes {
		t.Fatalf("%d steps, want %d", len(a), Minutes)
	}
	same := func(x, y []examples.Step) bool {
		return slices.EqualFunc(x, y, func(p, q examples.Step) bool {
			return p.At.Equal(q.At) && slices.EqualFunc(p.Records, q.Records, func(r, s examples.Record) bool {
				return r.Topic == s.Topic && bytes.Equal(r.Key, s.Key) && bytes.Equal(r.Value, s.Value)
			})
		})
	}
	if !same(a, b) {
		t.Error("the same seed gave different data")
	}
	if same(a[:5], c) {
		t.Error("seeds 1 and 2 gave the same data")
	}
}

// TestIncidents checks the data itself: each service's per-minute error
// share, p95 latency and count leave their usual ranges exactly in the
// incidents, and every event lies in its step's minute, in order.
func TestIncidents(t *testing.T) {
	for i, st := range steps(1, -1) {
		if !st.At.Equal(start.Add(time.Duration(i) * time.Minute)) {
			t.Fatalf("step %d at %v", i, st.At)
		}
		type stats struct {
			n, errs int
			lat     []float64
		}
		per := map[string]*stats{}
		var last int64
		for _, r := range st.Records {
			var ev struct {
				TS        int64   `json:"ts"`
				Service   string  `json:"service"`
				LatencyMS float64 `json:"latency_ms"`
				Status    int     `json:"status"`
			}
			if err := json.Unmarshal(r.Value, &ev); err != nil || r.Topic != Topic || string(r.Key) != ev.Service {
				t.Fatalf("record %s: %v", r.Value, err)
			}
			if ev.TS < st.At.UnixMilli() || ev.TS >= st.At.Add(time.Minute).UnixMilli() || ev.TS < last {
				t.Fatalf("minute %d: event at %d out of its minute or order", i, ev.TS)
			}
			last = ev.TS
			s := per[ev.Service]
			if s == nil {
				s = &stats{}
				per[ev.Service] = s
			}
			s.n++
			if ev.Status >= 500 {
				s.errs++
			}
			s.lat = append(s.lat, ev.LatencyMS)
		}
		for _, svc := range services {
			s := per[svc.name]
			slices.Sort(s.lat)
			errPct := 100 * float64(s.errs) / float64(s.n)
			p95 := s.lat[int(0.95*float64(len(s.lat)-1))]
			inErr := svc.name == ErrorService && i >= ErrorFrom && i < ErrorTo
			inSlow := svc.name == SlowService && i >= SlowFrom && i < SlowTo
			inSpike := svc.name == SpikeService && i >= SpikeFrom && i < SpikeTo
			if (errPct > 10) != inErr || (!inErr && errPct > 4) {
				t.Errorf("minute %d %s: %.1f%% errors", i, svc.name, errPct)
			}
			if (p95 > 2000) != inSlow || (!inSlow && p95 > 1000) {
				t.Errorf("minute %d %s: p95 %.0f ms", i, svc.name, p95)
			}
			if lo, hi := 0.94*float64(svc.perMinute), 1.06*float64(svc.perMinute); inSpike != (float64(s.n) > 2*hi) || !inSpike && (float64(s.n) < lo || float64(s.n) > hi) {
				t.Errorf("minute %d %s: %d requests", i, svc.name, s.n)
			}
		}
	}
}
