package demo

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors/format"
	"github.com/tocsin-db/tocsin/sql/types"
)

// demoSchema is how the playground declares the requests source.
var demoSchema = types.Schema{
	{Name: "ts", Type: types.TimestampTZType, Nullable: false},
	{Name: "service", Type: types.TextType, Nullable: false},
	{Name: "host", Type: types.TextType, Nullable: true},
	{Name: "latency_ms", Type: types.Float64Type, Nullable: true},
	{Name: "status", Type: types.Int32Type, Nullable: true},
}

// t0 is outside any incident window (IncidentAt is 7 minutes in).
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestGeneratorShape(t *testing.T) {
	g := NewGenerator(42, 0)
	if len(g.Services()) != DefaultServices || g.Services()[0] != "svc-01" || g.Services()[19] != "svc-20" {
		t.Fatalf("services %v", g.Services())
	}
	dec, err := format.NewJSONDecoder(memory.NewGoAllocator(), demoSchema, format.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	hostRe := regexp.MustCompile(`^host-\d\d$`)
	statuses := map[int]bool{200: true, 201: true, 204: true, 400: true, 404: true, 429: true, 500: true, 502: true, 503: true, 504: true}
	for i := range 5000 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		key, value, e := g.Next(now)
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(value))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		if len(m) != 5 {
			t.Fatalf("%s: %d keys", value, len(m))
		}
		ts, _ := m["ts"].(json.Number).Int64()
		lat, _ := m["latency_ms"].(json.Number).Float64()
		status, _ := m["status"].(json.Number).Int64()
		if ts != e.Time.UnixMilli() || m["service"] != e.Service || m["host"] != e.Host || lat != e.LatencyMS || int(status) != e.Status {
			t.Fatalf("%s does not encode %+v", value, e)
		}
		if string(key) != e.Service || !slices.Contains(g.Services(), e.Service) || !hostRe.MatchString(e.Host) {
			t.Fatalf("key %q event %+v", key, e)
		}
		if e.LatencyMS <= 0 || math.IsInf(e.LatencyMS, 0) || !statuses[e.Status] {
			t.Fatalf("event %+v", e)
		}
		if e.Time.After(now) || now.Truncate(time.Millisecond).Sub(e.Time) != e.Lag {
			t.Fatalf("event time %v, now %v, lag %v", e.Time, now, e.Lag)
		}
		if err := dec.Append(value); err != nil {
			t.Fatalf("%s: %v", value, err)
		}
	}
	dec.Flush().Release()
}

func TestGeneratorIsDeterministic(t *testing.T) {
	run := func(seed int64) [][]byte {
		g := NewGenerator(seed, 7)
		var out [][]byte
		for i := range 2000 {
			key, value, _ := g.Next(t0.Add(time.Duration(i) * time.Millisecond))
			out = append(out, append(slices.Clone(key), value...))
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("event %d differs for the same seed: %s vs %s", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same > len(a)/10 {
		t.Fatalf("seeds 1 and 2 agree on %d of %d events", same, len(a))
	}
}

func TestGeneratorEventTime(t *testing.T) {
	g := NewGenerator(7, 0)
	const n = 200_000
	var disordered, late int
	for i := range n {
		_, _, e := g.Next(t0.Add(time.Duration(i) * time.Millisecond))
		switch {
		case e.Late:
			late++
			if e.Lag < LateMin || e.Lag > LateMax {
				t.Fatalf("late event lag %v", e.Lag)
			}
		case e.Lag > 0:
			disordered++
			if e.Lag > MaxDisorder {
				t.Fatalf("out-of-order lag %v beyond %v", e.Lag, MaxDisorder)
			}
		case e.Lag < 0:
			t.Fatalf("event from the future: %v", e.Lag)
		}
	}
	if f := float64(disordered) / n; math.Abs(f-OutOfOrderFraction) > 0.01 {
		t.Errorf("out-of-order fraction %.4f, want %.2f", f, OutOfOrderFraction)
	}
	if f := float64(late) / n; math.Abs(f-LateFraction) > 0.0005 {
		t.Errorf("late fraction %.5f, want %.3f", f, LateFraction)
	}
}

func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func TestGeneratorTraffic(t *testing.T) {
	g := NewGenerator(3, 0)
	const n = 100_000
	perService := map[string][]float64{}
	var all []float64
	var ok2xx, err5xx int
	for i := range n {
		_, _, e := g.Next(t0.Add(time.Duration(i) * time.Millisecond)) // the first 100 s: no incident
		if e.Incident {
			t.Fatalf("incident at %v", e.Time)
		}
		perService[e.Service] = append(perService[e.Service], e.LatencyMS)
		all = append(all, e.LatencyMS)
		switch {
		case e.Status < 300:
			ok2xx++
		case e.Status >= 500:
			err5xx++
		}
	}
	if len(perService) != DefaultServices {
		t.Fatalf("%d services seen", len(perService))
	}
	var medians []float64
	minCount, maxCount := n, 0
	for _, l := range perService {
		medians = append(medians, quantile(l, 0.5))
		minCount, maxCount = min(minCount, len(l)), max(maxCount, len(l))
	}
	if quantile(medians, 1)/quantile(medians, 0) < 3 {
		t.Errorf("service medians too alike: %v", medians)
	}
	if maxCount < 3*minCount {
		t.Errorf("traffic too even: %d..%d events per service", minCount, maxCount)
	}
	if p50, p999 := quantile(all, 0.5), quantile(all, 0.999); p999 < 5*p50 {
		t.Errorf("no long tail: p50 %.1f p99.9 %.1f", p50, p999)
	}
	if f := float64(ok2xx) / n; f < 0.9 {
		t.Errorf("2xx fraction %.3f", f)
	}
	if f := float64(err5xx) / n; f < 0.003 || f > 0.03 {
		t.Errorf("5xx fraction %.4f", f)
	}
}

func TestGeneratorIncident(t *testing.T) {
	g := NewGenerator(5, 0)
	var before, during []float64
	var errs, total int
	for i := range 400_000 {
		now := t0.Add(IncidentAt - 2*time.Minute + time.Duration(i)*time.Millisecond) // 6m40s straddling the window start
		_, _, e := g.Next(now)
		if e.Service != IncidentService || e.Lag != 0 {
			continue
		}
		if e.Incident {
			during = append(during, e.LatencyMS)
			total++
			if e.Status >= 500 {
				errs++
			}
		} else if now.Before(t0.Add(IncidentAt)) {
			before = append(before, e.LatencyMS)
		}
	}
	if len(during) < 100 || len(before) < 100 {
		t.Fatalf("%d events during, %d before", len(during), len(before))
	}
	if r := quantile(during, 0.5) / quantile(before, 0.5); r < 3 {
		t.Errorf("incident latency only %.1fx", r)
	}
	if f := float64(errs) / float64(total); f < 0.1 {
		t.Errorf("incident 5xx fraction %.3f", f)
	}
}
