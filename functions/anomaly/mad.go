package anomaly

import (
	"math"
	"slices"
)

// MAD_ZSCORE(x [, n]): the robust z-score (x - median) / (1.4826 · MAD)
// over the previous n non-NULL values (default 100), the current value
// excluded, where MAD is the median of the absolute deviations from the
// median (for an even count, each median is the mean of the two middle
// values). 1.4826 makes 1.4826 · MAD estimate the standard deviation of
// normally distributed data.
//
// Warm-up: NULL until at least 2 previous values have been seen. A window
// whose MAD is 0 (more than half of its values equal) yields NULL, as
// ZSCORE does for a zero standard deviation; so does a result too large
// for a double. NULL and non-finite inputs yield NULL and leave the model
// unchanged.
//
// State: the last n values twice, in arrival order (a ring) and sorted.
// An event replaces the oldest value in the sorted window with one binary
// search and one memmove of at most n values; the median is then a
// lookup and the MAD a selection of the middle element(s) of two sorted
// sequences (the deviations below and above the median) by binary search,
// O(log n). Per event that is O(n) word moves at worst, never a sort.
// Memory: 16·n bytes plus madStructBytes per key, 1,664 bytes at the
// default n = 100.
const (
	madDefaultN = 100
	madMaxN     = 100_000
	// madScale is 1/Φ⁻¹(3/4), the consistency constant for normal data.
	madScale = 1.4826
	// madStructBytes approximates the fixed part of a madModel.
	madStructBytes = 64
)

// madSpec describes MAD_ZSCORE.
func madSpec() Spec {
	return Spec{
		Name: "MAD_ZSCORE",
		Params: []Param{{
			Name:    "n",
			Default: madDefaultN,
			Check:   intParam(2, madMaxN),
			Doc:     "number of previous values the median and MAD are taken over",
		}},
		Out: OutFloat,
		New: func(p []float64) Model { return newMADModel(int(p[0])) },
		Doc: "(x - median) / (1.4826 * MAD) of the previous n values (x excluded); NULL until 2 previous values and while MAD is 0",
	}
}

// madModel is one partition's MAD_ZSCORE state.
type madModel struct {
	ring   []float64 // arrival order; capacity is len(ring)
	head   int       // slot of the oldest value once full, else 0
	n      int       // values held
	sorted []float64 // the n values held, ascending
}

var _ Model = (*madModel)(nil)

// newMADModel returns an empty model over the previous n values.
func newMADModel(n int) *madModel {
	return &madModel{ring: make([]float64, n), sorted: make([]float64, 0, n)}
}

// Step implements Model.
func (m *madModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		x += 0 // -0 becomes +0, so equal values have one bit pattern
		if m.n >= 2 {
			med := m.median()
			if mad := m.mad(med); mad > 0 {
				if z := (x - med) / (madScale * mad); !math.IsInf(z, 0) {
					out[i], ok[i] = z, true
				}
			}
		}
		m.push(x)
	}
}

// push adds x to both views, replacing the oldest value once full.
func (m *madModel) push(x float64) {
	k, _ := slices.BinarySearch(m.sorted, x)
	if m.n < len(m.ring) {
		m.ring[m.n] = x
		m.n++
		m.sorted = slices.Insert(m.sorted, k, x)
		return
	}
	y := m.ring[m.head]
	m.ring[m.head] = x
	if m.head++; m.head == len(m.ring) {
		m.head = 0
	}
	j, found := slices.BinarySearch(m.sorted, y)
	if !found {
		panic("BUG: MAD_ZSCORE window lost a value")
	}
	s := m.sorted
	if k <= j {
		copy(s[k+1:j+1], s[k:j])
		s[k] = x
	} else {
		copy(s[j:k-1], s[j+1:k])
		s[k-1] = x
	}
}

// median returns the median of the window (n ≥ 1).
func (m *madModel) median() float64 {
	s, h := m.sorted, m.n/2
	if m.n%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}

// mad returns the median of |v - med| over the window.
func (m *madModel) mad(med float64) float64 {
	h := m.n / 2
	if m.n%2 == 1 {
		return m.deviation(med, h)
	}
	return (m.deviation(med, h-1) + m.deviation(med, h)) / 2
}

// deviation returns the k-th smallest (0-based) |v - med| over the
// window. The deviations of the values below med, nearest first, and of
// those at or above it form two ascending sequences L and R; the k+1
// smallest deviations are the first i of L and the first k+1-i of R for
// the i found by binary search.
func (m *madModel) deviation(med float64, k int) float64 {
	s := m.sorted
	p, _ := slices.BinarySearch(s, med) // s[:p] < med <= s[p:]
	nr := len(s) - p
	l := func(j int) float64 { return med - s[p-1-j] }
	r := func(j int) float64 { return s[p+j] - med }
	// Find the first i in [lo, hi] where taking L[i] instead of R[k-i]
	// would not help: i == hi or L[i] >= R[k-i].
	lo, hi := max(0, k+1-nr), min(k+1, p)
	for lo < hi {
		i := int(uint(lo+hi) >> 1)
		if l(i) < r(k-i) {
			lo = i + 1
		} else {
			hi = i
		}
	}
	i := lo
	switch {
	case i == 0:
		return r(k)
	case i == k+1:
		return l(k)
	default:
		return max(l(i-1), r(k-i))
	}
}

// AppendState implements Model: the header, the window length n, the
// values held, the ring head, then the values in slot order. The sorted
// view is rebuilt on restore. It does not allocate when dst has room.
func (m *madModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, 2+8*(3+m.n))
	dst = numAppendHeader(dst, kindMADZScore)
	dst = numAppendU64(dst, uint64(len(m.ring)))
	dst = numAppendU64(dst, uint64(m.n))
	dst = numAppendU64(dst, uint64(m.head))
	for _, v := range m.ring[:m.n] {
		dst = numAppendF64(dst, v)
	}
	return dst
}

// RestoreState implements Model. A rejected state leaves the model as
// it was.
func (m *madModel) RestoreState(src []byte) error {
	c := len(m.ring)
	for _, apply := range [2]bool{false, true} {
		sr := newNumReader("MAD_ZSCORE", kindMADZScore, src)
		if w := sr.u64(); sr.err == nil && w != uint64(c) {
			sr.fail("state for n = %d restored into n = %d", w, c)
		}
		n := sr.count(uint64(c))
		head := sr.count(uint64(c - 1))
		if sr.err == nil && n < c && head != 0 {
			sr.fail("inconsistent ring (%d values, head %d)", n, head)
		}
		for k := range n {
			if v := sr.input(); apply {
				m.ring[k] = v + 0
			}
		}
		if err := sr.finish(); err != nil {
			return err
		}
		if apply {
			m.n, m.head = n, head
			m.sorted = append(m.sorted[:0], m.ring[:n]...)
			slices.Sort(m.sorted)
		}
	}
	return nil
}

// SizeBytes implements Model: 16·n bytes for the two views plus the
// fixed struct.
func (m *madModel) SizeBytes() int {
	return 8*(len(m.ring)+cap(m.sorted)) + madStructBytes
}
