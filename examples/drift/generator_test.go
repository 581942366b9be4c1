package drift

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func values(seed int64) [][]byte {
	g := NewGenerator(examples.Config{Seed: seed, Start: start})
	var out [][]byte
	for i := 0; ; i++ {
		st, ok := g.Next()
		if !ok {
			return out
		}
		if !st.At.Equal(start.Add(time.Duration(i) * time.Minute)) {
			panic("BUG: step time")
		}
		for _, r := range st.Records {
			out = append(out, r.Value)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := values(1), values(1), values(2)
	if len(a) != Minutes*3*int(time.Minute/Every) {
		t.Fatalf("%d readings", len(a))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("reading %d differs for the same seed", i)
		}
	}
	if bytes.Equal(bytes.Join(a, nil), bytes.Join(c, nil)) {
		t.Error("seeds 1 and 2 gave the same readings")
	}
}

// TestShifts checks each sensor's per-minute mean against its true
// mean: sensor-b jumps at ShiftAt, sensor-c ramps, sensor-a stays.
func TestShifts(t *testing.T) {
	sums := map[string][]float64{}
	var last int64
	for _, v := range values(1) {
		var r struct {
			TS     int64   `json:"ts"`
			Sensor string  `json:"sensor"`
			Value  float64 `json:"value"`
		}
		if err := json.Unmarshal(v, &r); err != nil || r.TS < last {
			t.Fatalf("%s: %v (or out of order)", v, err)
		}
		last = r.TS
		m := int(time.UnixMilli(r.TS).Sub(start) / time.Minute)
		if sums[r.Sensor] == nil {
			sums[r.Sensor] = make([]float64, Minutes)
		}
		sums[r.Sensor][m] += r.Value / float64(time.Minute/Every)
	}
	for sensor, means := range sums {
		for m, got := range means {
			want := Mean(sensor, float64(m)+0.5)
			if math.Abs(got-want) > 0.8 { // 30 readings: the mean's standard error is 0.18
				t.Errorf("%s minute %d: mean %.2f, want about %.2f", sensor, m, got, want)
			}
		}
	}
	if Mean(Stable, 80) != StableMean || Mean(Shifted, ShiftAt-0.1) != ShiftFrom || Mean(Shifted, ShiftAt) != ShiftTo ||
		Mean(Drifting, DriftStart) != DriftFrom || Mean(Drifting, DriftEnd) != DriftTo {
		t.Error("Mean does not follow the documented shifts")
	}
}
