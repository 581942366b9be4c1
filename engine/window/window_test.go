package window

import (
	"testing"
	"time"
)

const minute = 60_000_000

func TestTumbleStart(t *testing.T) {
	cases := []struct{ ts, size, offset, want int64 }{
		{0, minute, 0, 0},
		{minute - 1, minute, 0, 0},
		{minute, minute, 0, minute},
		{-1, minute, 0, -minute},
		{90 * 1e6, minute, 30 * 1e6, 90 * 1e6},
		{89 * 1e6, minute, 30 * 1e6, 30 * 1e6},
	}
	for _, c := range cases {
		if got := TumbleStart(c.ts, c.size, c.offset); got != c.want {
			t.Errorf("TumbleStart(%d, %d, %d) = %d, want %d", c.ts, c.size, c.offset, got, c.want)
		}
	}
}

// TestHopStartsMatchDefinition checks HopStarts against the definition:
// every window [s, s+size) with s = k*slide+offset that contains ts.
func TestHopStartsMatchDefinition(t *testing.T) {
	const slide, size = minute, 5 * minute
	for _, offset := range []int64{0, 7e6} {
		for ts := int64(-12 * minute); ts < 12*minute; ts += 13e6 {
			got := HopStarts(nil, ts, slide, size, offset)
			var want []int64
			for k := int64(-20); k <= 20; k++ {
				s := k*slide + offset
				if s <= ts && ts < s+size {
					want = append(want, s)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("ts=%d: %v, want %v", ts, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("ts=%d: %v, want %v", ts, got, want)
				}
			}
		}
	}
}

func TestTrackerMinOverPartitionsAndIdleness(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := NewTracker([]int32{0, 1}, 30*time.Second, t0)
	tr.Observe(0, 100, t0)
	if _, moved := tr.Advance(t0); moved {
		t.Fatal("watermark moved while partition 1 has seen nothing")
	}
	tr.Observe(1, 50, t0)
	if wm, moved := tr.Advance(t0); !moved || wm != 50 {
		t.Fatalf("wm = %d, %v; want 50", wm, moved)
	}
	tr.Observe(0, 200, t0.Add(10*time.Second))
	if wm, _ := tr.Advance(t0.Add(10 * time.Second)); wm != 50 {
		t.Fatalf("slow partition must hold the watermark: %d", wm)
	}
	// Partition 1 goes idle after 30 s without data.
	tr.Observe(0, 300, t0.Add(31*time.Second))
	if wm, moved := tr.Advance(t0.Add(31 * time.Second)); !moved || wm != 300 {
		t.Fatalf("idle partition still holds the watermark: %d %v", wm, moved)
	}
	// A late partition coming back does not move the watermark back.
	tr.Observe(1, 60, t0.Add(32*time.Second))
	if wm, moved := tr.Advance(t0.Add(32 * time.Second)); moved || wm != 300 {
		t.Fatalf("watermark went backwards: %d", wm)
	}
}
