package engine

import (
	"math"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/durable"
)

func durableInfo(d time.Duration) durable.CheckpointInfo { return durable.CheckpointInfo{Duration: d} }

// TestBackfillProgress drives a reader's progress by hand: two
// partitions behind at start, one of them known only from the log bounds
// probe, with a virtual clock for the rate and the ETA.
func TestBackfillProgress(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b backfill
	if got := backfillOf(b.snapshot(t0)); got.Known || got.ETA >= 0 {
		t.Fatalf("empty backfill: %+v", got)
	}
	// Partition 0 starts at 100 of a log ending at 1100 (1000 to read).
	b.observe(0, 100, 200, 1100, t0)
	// The probe reports partition 0 (already known: ignored) and
	// partition 1, resumed from a checkpoint at 50 of 550.
	b.setBounds(map[int32]int64{0: 0, 1: 0}, map[int32]int64{0: 5000, 1: 550}, connectors.Offsets{1: 50}, false)
	got := backfillOf(b.snapshot(t0))
	if !got.Known || !got.Active || got.Target != 1500 || got.Consumed != 100 || got.ETA >= 0 {
		t.Fatalf("after one batch: %+v", got)
	}
	// One second later 500 more records: the first rate sample.
	b.observe(0, 200, 600, 1200, t0.Add(time.Second))
	b.observe(1, 50, 150, 560, t0.Add(time.Second))
	got = backfillOf(b.snapshot(t0.Add(time.Second)))
	if got.Consumed != 600 || got.Rate != 500 || got.ETA != 2*time.Second {
		t.Fatalf("after a second: %+v", got)
	}
	if math.Abs(got.Percent-40) > 1e-9 {
		t.Fatalf("percent %v, want 40", got.Percent)
	}
	// Nothing more for five seconds: the 100 records of partition 1 not
	// yet sampled make 20/s over those seconds, and the rate moves
	// 1 - e^-1 of the way from 500 to 20.
	got = backfillOf(b.snapshot(t0.Add(6 * time.Second)))
	if want := 20 + 480*math.Exp(-1); math.Abs(got.Rate-want) > 1e-6 {
		t.Fatalf("decayed rate %v, want %v", got.Rate, want)
	}
	// Reading past the end at start counts as caught up.
	b.observe(0, 600, 1300, 1300, t0.Add(7*time.Second))
	b.observe(1, 150, 560, 560, t0.Add(7*time.Second))
	got = backfillOf(b.snapshot(t0.Add(7 * time.Second)))
	if got.Active || got.Consumed != 1500 || got.Percent != 100 || got.ETA != 0 {
		t.Fatalf("caught up: %+v", got)
	}
}

// TestBackfillLatest: a reader starting at the end of its log has
// nothing to backfill.
func TestBackfillLatest(t *testing.T) {
	var b backfill
	b.setBounds(map[int32]int64{0: 0}, map[int32]int64{0: 900}, nil, true)
	if got := backfillOf(b.snapshot(time.Now())); got.Known {
		t.Fatalf("latest: %+v", got)
	}
	// Unknown log ends (-1) give no target either.
	var u backfill
	u.observe(0, 0, 10, -1, time.Now())
	if got := backfillOf(u.snapshot(time.Now())); got.Known {
		t.Fatalf("unknown end: %+v", got)
	}
}

// TestSlower picks the reader furthest from caught up.
func TestSlower(t *testing.T) {
	none := Backfill{ETA: -1}
	a := Backfill{Known: true, Consumed: 10, Target: 100}
	b := Backfill{Known: true, Consumed: 90, Target: 100}
	if !slower(a, none) || slower(none, a) || !slower(a, b) || slower(b, a) {
		t.Fatal("slower")
	}
}

// TestCheckpointMeters checks the cumulative histogram.
func TestCheckpointMeters(t *testing.T) {
	var m checkpointMeters
	for _, d := range []time.Duration{500 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 2 * time.Minute} {
		m.done(durableInfo(d))
	}
	m.failed()
	s := m.snapshot()
	if s.Count != 4 || s.Failures != 1 {
		t.Fatalf("counts %+v", s)
	}
	want := map[float64]uint64{0.001: 1, 0.005: 3, 60: 3}
	for _, b := range s.Buckets {
		if w, ok := want[b.UpperBound]; ok && b.Count != w {
			t.Fatalf("bucket %v: %d, want %d", b.UpperBound, b.Count, w)
		}
	}
	if math.Abs(s.DurationSum-120.0065) > 1e-9 {
		t.Fatalf("sum %v", s.DurationSum)
	}
}
