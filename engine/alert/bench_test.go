package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// BenchmarkObserveAdvance measures one event plus the Advance the sink
// job runs for it, over 1,000 label sets toggling in 10 groups.
func BenchmarkObserveAdvance(b *testing.B) {
	cfg := DefaultConfig("bench")
	cfg.For = time.Minute
	cfg.GroupBy = []string{"cluster"}
	m := NewManager(cfg, nil, nil)
	const keys = 1000
	evs := make([]Event, keys*2)
	for i := 0; i < keys; i++ {
		ls := []connectors.Label{{Name: "service", Value: fmt.Sprintf("svc-%d", i)}, {Name: "cluster", Value: fmt.Sprintf("c%d", i%10)}}
		ann := []connectors.Label{{Name: "summary", Value: fmt.Sprintf("latency of svc-%d is high", i)}}
		evs[2*i] = Event{Labels: ls, Annotations: ann, Severity: P2, Active: true}
		evs[2*i+1] = Event{Labels: ls}
	}
	b.ReportAllocs()
	b.ResetTimer()
	now := t0
	sent := 0
	for i := 0; i < b.N; i++ {
		now = now.Add(100 * time.Millisecond)
		// Mostly active re-observations; every 7th event of a key flips it off.
		j := i % keys
		ev := evs[2*j]
		if (i/keys)%7 == 6 {
			ev = evs[2*j+1]
		}
		sent += len(m.Advance(now))
		m.Observe(now, ev)
	}
	b.ReportMetric(float64(sent)/float64(b.N), "notifications/op")
}
