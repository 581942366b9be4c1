package window

import (
	"math"
	"time"
)

// NoWatermark is the watermark before any event is seen: nothing is
// late and no window is closed.
const NoWatermark = math.MinInt64

// Tracker derives a source's watermark from its partitions.
type Tracker struct {
	idle    time.Duration
	parts   map[int32]*partition
	current int64
}

type partition struct {
	wm       int64
	lastSeen time.Time
}

// NewTracker returns a tracker for the given partitions. A partition
// that receives nothing for idle stops holding the watermark back (0
// disables idleness).
func NewTracker(partitions []int32, idle time.Duration, now time.Time) *Tracker {
	t := &Tracker{idle: idle, parts: map[int32]*partition{}, current: NoWatermark}
	for _, p := range partitions {
		t.parts[p] = &partition{wm: NoWatermark, lastSeen: now}
	}
	return t
}

// Observe records that partition p produced rows whose largest
// watermark-expression value is maxWM (NoWatermark if the batch had
// none), at processing time now.
func (t *Tracker) Observe(p int32, maxWM int64, now time.Time) {
	ps, ok := t.parts[p]
	if !ok {
		ps = &partition{wm: NoWatermark}
		t.parts[p] = ps
	}
	ps.lastSeen = now
	if maxWM > ps.wm {
		ps.wm = maxWM
	}
}

// Advance recomputes the watermark at processing time now and reports
// whether it moved forward.
func (t *Tracker) Advance(now time.Time) (int64, bool) {
	wm := int64(math.MaxInt64)
	active := 0
	for _, ps := range t.parts {
		if t.idle > 0 && now.Sub(ps.lastSeen) >= t.idle {
			continue
		}
		active++
		if ps.wm < wm {
			wm = ps.wm
		}
	}
	if active == 0 {
		// Every partition is idle: hold at the largest watermark seen, so
		// windows of the data already read can close.
		wm = NoWatermark
		for _, ps := range t.parts {
			if ps.wm > wm {
				wm = ps.wm
			}
		}
	}
	if wm > t.current {
		t.current = wm
		return wm, true
	}
	return t.current, false
}

// Current returns the watermark as of the last Advance.
func (t *Tracker) Current() int64 { return t.current }

// PartitionWatermarks returns each partition's own watermark.
func (t *Tracker) PartitionWatermarks() map[int32]int64 {
	out := make(map[int32]int64, len(t.parts))
	for p, ps := range t.parts {
		out[p] = ps.wm
	}
	return out
}

// Restore sets the per-partition watermarks and the current watermark
// from a checkpoint.
func (t *Tracker) Restore(parts map[int32]int64, current int64, now time.Time) {
	for p, wm := range parts {
		t.parts[p] = &partition{wm: wm, lastSeen: now}
	}
	t.current = current
}
