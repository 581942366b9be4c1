package alertrouting

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func steps(seed int64) []examples.Step {
	g := NewGenerator(examples.Config{Seed: seed, Start: start})
	var out []examples.Step
	for {
		st, ok := g.Next()
		if !ok {
			return out
		}
		out = append(out, st)
	}
}

func flat(steps []examples.Step) []byte {
	var b []byte
	for _, st := range steps {
		for _, r := range st.Records {
			b = append(append(append(b, r.Topic...), r.Value...), '\n')
		}
	}
	return b
}

func TestDeterministic(t *testing.T) {
	a, b, c := flat(steps(1)), flat(steps(1)), flat(steps(2))
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different data")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same data")
	}
}

// TestIncidents checks the incidents in the data, minute by minute, with
// the thresholds of alert-routing.sql: error share over 50% (P0) or over
// 5% (P1), p95 over 1000 ms (P2), packet loss over 10% (P3).
func TestIncidents(t *testing.T) {
	all := steps(1)
	if len(all) != Minutes {
		t.Fatalf("%d steps", len(all))
	}
	for m, st := range all {
		if !st.At.Equal(start.Add(time.Duration(m) * time.Minute)) {
			t.Fatalf("step %d at %v", m, st.At)
		}
		reqs, errs, p95 := map[string]int{}, map[string]int{}, map[string]float64{}
		lossy, nodes := 0, 0
		var last int64
		for _, r := range st.Records {
			var v struct {
				TS       int64   `json:"ts"`
				Service  string  `json:"service"`
				Requests int     `json:"requests"`
				Errors   int     `json:"errors"`
				P95      float64 `json:"p95_ms"`
				Loss     float64 `json:"loss_pct"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil || v.TS < last || v.TS >= st.At.Add(time.Minute).UnixMilli() {
				t.Fatalf("%s: %v (or out of its minute or order)", r.Value, err)
			}
			last = v.TS
			switch r.Topic {
			case ChecksTopic:
				reqs[v.Service] += v.Requests
				errs[v.Service] += v.Errors
				p95[v.Service] = max(p95[v.Service], v.P95)
			case EdgeTopic:
				nodes++
				if v.Loss > 10 {
					lossy++
				}
			default:
				t.Fatalf("topic %q", r.Topic)
			}
		}
		for _, s := range Services {
			pct := 100 * float64(errs[s]) / float64(reqs[s])
			down := s == MaintenanceService && in(m, MaintenanceFrom, MaintenanceTo) || s == OutageService && in(m, OutageFrom, OutageTo)
			burst := s == BurstService && in(m, BurstFrom, BurstTo)
			slow := s == SlowService && in(m, SlowFrom, SlowTo) || s == OutageService && in(m, OutageFrom, OutageTo-1)
			if down != (pct > 50) || burst != (pct > 5 && pct <= 50) || slow != (p95[s] > 1000) {
				t.Errorf("minute %d %s: %.1f%% errors, p95 %.0f ms", m, s, pct, p95[s])
			}
		}
		if storm := in(m, StormFrom, StormTo); nodes != EdgeNodes || storm && lossy != EdgeNodes || !storm && lossy != 0 {
			t.Errorf("minute %d: %d of %d edge nodes lossy", m, lossy, nodes)
		}
	}
}
