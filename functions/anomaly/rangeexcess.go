package anomaly

import (
	"slices"
)

// RANGE_EXCESS(x [, n]): how far x lies outside the range [lo, hi] of the
// previous n non-NULL values (x excluded; n = 0, the default, means every
// previous value), in units of that range:
//
//	max(x - hi, lo - x, 0) / (hi - lo)
//
// so 0 inside the range, 0.1 at a tenth of the range above the highest
// (or below the lowest) value seen. It is Numenta's "spatial anomaly"
// (NAB's numenta detector flags a value more than 5% of the range beyond
// it) made graded, and, over the absolute value of a z-score, a measure of
// how far a score beats its recent maximum. On NAB it is the strongest
// single built-in signal (see cmd/tocsin/internal/nab).
//
// Warm-up: NULL until 2 previous values have been seen, and NULL while
// the previous values are all equal (a zero range), as ZSCORE is for a
// zero standard deviation. NULL and non-finite inputs yield NULL and
// leave the model unchanged.
//
// State: for n = 0 the running minimum and maximum; otherwise the classic
// pair of monotonic deques (the window's candidates for maximum and for
// minimum, each value with its sequence number), O(1) amortised per
// event. Memory: rangeStructBytes (112 bytes) per key for n = 0, and 32·n
// more for a window of n (the deques are allocated at their bound, n
// entries each): 16,112 bytes at n = 500.
const (
	rangeMaxN        = 100_000
	rangeStructBytes = 112
)

// rangeExcessSpec describes RANGE_EXCESS.
func rangeExcessSpec() Spec {
	return Spec{
		Name: "RANGE_EXCESS",
		Params: []Param{{
			Name:    "n",
			Default: 0,
			Check:   intParam(0, rangeMaxN),
			Doc:     "number of previous values whose range x is compared with; 0 for every previous value",
		}},
		Out: OutFloat,
		New: func(p []float64) Model { return newRangeModel(int(p[0])) },
		Doc: "distance of x beyond the [min, max] of the previous n values (all if n = 0), in units of max - min; 0 inside; NULL until 2 previous values and while max = min",
	}
}

// rangeEntry is one deque element: a value and its sequence number.
type rangeEntry struct {
	v   float64
	seq uint64
}

// rangeDeque is a bounded double-ended queue in a ring.
type rangeDeque struct {
	buf  []rangeEntry
	head int // index of the front
	n    int // entries held
}

func (d *rangeDeque) front() rangeEntry { return d.buf[d.head] }

func (d *rangeDeque) back() rangeEntry { return d.buf[d.idx(d.n-1)] }

func (d *rangeDeque) idx(k int) int {
	k += d.head
	if k >= len(d.buf) {
		k -= len(d.buf)
	}
	return k
}

func (d *rangeDeque) popFront() {
	if d.head++; d.head == len(d.buf) {
		d.head = 0
	}
	d.n--
}

func (d *rangeDeque) popBack() { d.n-- }

func (d *rangeDeque) pushBack(e rangeEntry) {
	d.buf[d.idx(d.n)] = e
	d.n++
}

// rangeModel is one partition's RANGE_EXCESS state.
type rangeModel struct {
	window uint64 // n; 0 for every previous value
	seen   uint64 // values consumed; the next value's sequence number
	// For window 0: the extremes of every value seen.
	lo, hi float64
	// For window n > 0: candidates for the window's maximum (values
	// decreasing from front to back) and minimum (increasing).
	maxQ, minQ rangeDeque
}

var _ Model = (*rangeModel)(nil)

// newRangeModel returns an empty model over the previous n values (every
// previous value for n = 0).
func newRangeModel(n int) *rangeModel {
	m := &rangeModel{window: uint64(n)}
	if n > 0 {
		m.maxQ.buf = make([]rangeEntry, n)
		m.minQ.buf = make([]rangeEntry, n)
	}
	return m
}

// extremes returns the range of the previous values.
func (m *rangeModel) extremes() (lo, hi float64) {
	if m.window == 0 {
		return m.lo, m.hi
	}
	return m.minQ.front().v, m.maxQ.front().v
}

// Step implements Model.
func (m *rangeModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		if m.seen >= 2 {
			if lo, hi := m.extremes(); hi > lo {
				out[i], ok[i] = max(x-hi, lo-x, 0)/(hi-lo), true
			}
		}
		m.push(x)
	}
}

// push adds x as the newest value.
func (m *rangeModel) push(x float64) {
	seq := m.seen
	m.seen++
	if m.window == 0 {
		if seq == 0 {
			m.lo, m.hi = x, x
		} else {
			m.lo, m.hi = min(m.lo, x), max(m.hi, x)
		}
		return
	}
	for m.maxQ.n > 0 && m.maxQ.back().v <= x {
		m.maxQ.popBack()
	}
	for m.minQ.n > 0 && m.minQ.back().v >= x {
		m.minQ.popBack()
	}
	// Drop the entry leaving the window before pushing, so a deque never
	// holds more than n entries.
	if seq >= m.window {
		old := seq - m.window
		if m.maxQ.n > 0 && m.maxQ.front().seq <= old {
			m.maxQ.popFront()
		}
		if m.minQ.n > 0 && m.minQ.front().seq <= old {
			m.minQ.popFront()
		}
	}
	m.maxQ.pushBack(rangeEntry{x, seq})
	m.minQ.pushBack(rangeEntry{x, seq})
}

// AppendState implements Model: the header, n, the values consumed, then
// for n = 0 the minimum and maximum, otherwise each deque (maximum
// candidates, then minimum candidates) as a count and its (value,
// sequence number) pairs from front to back. It does not allocate when
// dst has room.
func (m *rangeModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, 2+8*(4+2*(m.maxQ.n+m.minQ.n)))
	dst = numAppendHeader(dst, kindRangeExcess)
	dst = numAppendU64(dst, m.window)
	dst = numAppendU64(dst, m.seen)
	if m.window == 0 {
		dst = numAppendF64(dst, m.lo)
		return numAppendF64(dst, m.hi)
	}
	for _, q := range [2]*rangeDeque{&m.maxQ, &m.minQ} {
		dst = numAppendU64(dst, uint64(q.n))
		for k := range q.n {
			e := q.buf[q.idx(k)]
			dst = numAppendF64(dst, e.v)
			dst = numAppendU64(dst, e.seq)
		}
	}
	return dst
}

// RestoreState implements Model. It checks that each deque is ordered as
// the algorithm keeps it and covers the window's newest value; a rejected
// state leaves the model as it was.
func (m *rangeModel) RestoreState(src []byte) error {
	for _, apply := range [2]bool{false, true} {
		sr := newNumReader("RANGE_EXCESS", kindRangeExcess, src)
		if w := sr.u64(); sr.err == nil && w != m.window {
			sr.fail("state for n = %d restored into n = %d", w, m.window)
		}
		seen := sr.u64()
		if m.window == 0 {
			lo, hi := sr.input(), sr.input()
			if sr.err == nil && (lo > hi || seen == 0 && (lo != 0 || hi != 0)) {
				sr.fail("minimum %g above maximum %g", lo, hi)
			}
			if err := sr.finish(); err != nil {
				return err
			}
			if apply {
				m.seen, m.lo, m.hi = seen, lo, hi
			}
			continue
		}
		for q, dq := range [2]*rangeDeque{&m.maxQ, &m.minQ} {
			n := sr.count(m.window)
			if sr.err == nil && (n == 0) != (seen == 0) {
				sr.fail("deque of %d entries after %d values", n, seen)
			}
			var prev rangeEntry
			for k := range n {
				e := rangeEntry{v: sr.input(), seq: sr.u64()}
				switch {
				case sr.err != nil:
				case e.seq >= seen || seen-e.seq > m.window:
					sr.fail("entry %d outside the window", e.seq)
				case k > 0 && (e.seq <= prev.seq || q == 0 && e.v >= prev.v || q == 1 && e.v <= prev.v):
					sr.fail("deque out of order")
				case k == n-1 && e.seq != seen-1:
					sr.fail("deque misses the newest value")
				}
				prev = e
				if apply {
					dq.buf[k] = e
				}
			}
			if apply {
				dq.head, dq.n = 0, n
			}
		}
		if err := sr.finish(); err != nil {
			return err
		}
		if apply {
			m.seen = seen
		}
	}
	return nil
}

// SizeBytes implements Model: the fixed struct plus the two deques'
// buffers (16 bytes per entry, n entries each).
func (m *rangeModel) SizeBytes() int {
	return rangeStructBytes + 16*(len(m.maxQ.buf)+len(m.minQ.buf))
}
