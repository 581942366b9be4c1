package metricforecast

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sample is one decoded record.
type sample struct {
	TS   int64   `json:"ts"`
	Host string  `json:"host"`
	CPU  float64 `json:"cpu"`
}

func data(t *testing.T, seed int64) (history, live []sample, raw []byte) {
	t.Helper()
	g := NewGenerator(examples.Config{Seed: seed, Start: start})
	decode := func(recs []examples.Record) []sample {
		var out []sample
		for _, r := range recs {
			var s sample
			if err := json.Unmarshal(r.Value, &s); err != nil {
				t.Fatalf("%s: %v", r.Value, err)
			}
			out = append(out, s)
			raw = append(raw, r.Value...)
		}
		return out
	}
	history = decode(g.History())
	for i := 0; ; i++ {
		st, ok := g.Next()
		if !ok {
			break
		}
		if !st.At.Equal(start.Add(time.Duration(i) * Every)) {
			t.Fatalf("step %d at %v", i, st.At)
		}
		live = append(live, decode(st.Records)...)
	}
	return history, live, raw
}

func TestDeterministic(t *testing.T) {
	_, _, a := data(t, 1)
	_, _, b := data(t, 1)
	_, _, c := data(t, 2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different samples")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same samples")
	}
}

// TestShape checks a week of history before the start, the live samples
// after it, and that samples leave their host's usual load (by more than
// five noise deviations) exactly at the injected anomalies.
func TestShape(t *testing.T) {
	history, live, _ := data(t, 1)
	if len(history) != HistoryDays*samplesPerDay*len(hosts) || len(live) != LiveSamples*len(hosts) {
		t.Fatalf("%d history and %d live samples", len(history), len(live))
	}
	if first := time.UnixMilli(history[0].TS); !first.Equal(start.Add(-HistoryDays * 24 * time.Hour)) {
		t.Errorf("history starts at %v", first)
	}
	for i, s := range append(history, live...) {
		h, n := i%len(hosts), i/len(hosts)
		if s.Host != hosts[h].name || s.TS != start.Add(time.Duration(n-historySamples)*Every).UnixMilli() {
			t.Fatalf("sample %d: %+v", i, s)
		}
		l := n - historySamples
		anomalous := s.Host == SpikeHost && l >= SpikeFrom && l < SpikeTo || s.Host == DipHost && l >= DipFrom && l < DipTo
		if off := math.Abs(s.CPU - Usual(h, n)); anomalous != (off > 5*hosts[h].noise) {
			t.Errorf("sample %d of %s (live %d): %.2f against a usual %.2f", n, s.Host, l, s.CPU, Usual(h, n))
		}
	}
}
