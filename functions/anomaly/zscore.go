package anomaly

import (
	"math"
	"slices"
)

// ZSCORE(x [, n]): (x - mean) / stddev of the previous n non-NULL values
// (default 100), the current value excluded, where stddev is the sample
// standard deviation (like Postgres's stddev, which is stddev_samp).
//
// Warm-up: NULL until at least 2 previous values have been seen (a sample
// standard deviation needs two). A window whose standard deviation is 0
// (all values equal) yields NULL rather than ±Infinity, as Postgres
// yields NULL rather than dividing by zero in stddev-based expressions
// users write with NULLIF; so does a result too large for a double.
// NULL and non-finite inputs yield NULL and leave the model unchanged.
//
// State: a ring of the last n values with their running moments, updated
// in O(1) per event (see rollingMoments: shifted sums, recomputed exactly
// from the ring at most every rollingRecompute replacements and whenever
// cancellation would cost precision). Memory: 8·n bytes plus
// zscoreStructBytes per key, 880 bytes at the default n = 100.
const (
	zscoreDefaultN = 100
	zscoreMaxN     = 100_000
	// zscoreStructBytes approximates the fixed part of a zscoreModel.
	zscoreStructBytes = 80
)

// zscoreSpec describes ZSCORE.
func zscoreSpec() Spec {
	return Spec{
		Name: "ZSCORE",
		Params: []Param{{
			Name:    "n",
			Default: zscoreDefaultN,
			Check:   intParam(2, zscoreMaxN),
			Doc:     "number of previous values the mean and standard deviation are taken over",
		}},
		Out: OutFloat,
		New: func(p []float64) Model { return newZScoreModel(int(p[0])) },
		Doc: "(x - mean) / stddev of the previous n values (sample stddev, x excluded); NULL until 2 previous values and while stddev is 0",
	}
}

// Exact recomputation policy of rollingMoments.
const (
	// rollingRecompute bounds the replacements between two exact
	// recomputations, so rounding errors cannot accumulate without bound
	// (amortised cost: n/rollingRecompute operations per event for
	// windows longer than it, O(1) otherwise).
	rollingRecompute = 1024
	// rollingCancel is the fraction of the peak shifted sum of squares
	// below which the sum of squared deviations is recomputed: the
	// incremental sums' absolute error is a few ulps of that peak per
	// event, so the relative error of m2 stays below about
	// rollingRecompute·ε/rollingCancel ≈ 2e-7 in the worst case.
	rollingCancel = 1e-6
)

// rollingMoments holds the last len(ring) values with their mean and sum
// of squared deviations, as sums shifted by k (a recent mean): s1 = Σ(v -
// k) and s2 = Σ(v - k)², so the sums' rounding errors scale with the
// values' spread, not their magnitude (a level of 1e9 with unit noise
// keeps full precision). mean = k + s1/n and m2 = s2 - s1²/n.
type rollingMoments struct {
	ring  []float64 // the values in slot order; capacity is len(ring)
	head  int       // slot of the oldest value once the ring is full, else 0
	n     int       // values held
	k     float64   // the shift
	s1    float64   // Σ(v - k)
	s2    float64   // Σ(v - k)²
	peak  float64   // largest s2 since the last exact recomputation
	drift int       // replacements since the last exact recomputation
}

// newRollingMoments returns empty moments over the last capacity values.
func newRollingMoments(capacity int) rollingMoments {
	return rollingMoments{ring: make([]float64, capacity)}
}

// push adds x, dropping the oldest value when the ring is full.
func (r *rollingMoments) push(x float64) {
	c := len(r.ring)
	if r.n < c {
		if r.n == 0 {
			r.k = x
		}
		d := x - r.k
		r.ring[r.n] = x
		r.n++
		r.s1 += d
		r.s2 += d * d
	} else {
		y := r.ring[r.head]
		r.ring[r.head] = x
		if r.head++; r.head == c {
			r.head = 0
		}
		dx, dy := x-r.k, y-r.k
		r.s1 += dx - dy
		r.s2 += dx*dx - dy*dy
		r.drift++
	}
	r.peak = max(r.peak, r.s2)
	if m2 := r.m2(); r.drift >= min(c, rollingRecompute) || m2 < r.peak*rollingCancel || m2 < 0 {
		r.recompute()
	}
}

// m2 is the sum of squared deviations from the mean.
func (r *rollingMoments) m2() float64 {
	if r.n == 0 {
		return 0
	}
	return r.s2 - r.s1*r.s1/float64(r.n)
}

// mean is the mean of the values held.
func (r *rollingMoments) mean() float64 {
	if r.n == 0 {
		return 0
	}
	return r.k + r.s1/float64(r.n)
}

// dev returns x - mean, computed from the shifted sums for precision.
func (r *rollingMoments) dev(x float64) float64 {
	return (x - r.k) - r.s1/float64(r.n)
}

// recompute shifts the sums to the exact mean of the ring (computed
// incrementally, so a window of equal values gets exactly that value and
// sums of 0) and recomputes them.
func (r *rollingMoments) recompute() {
	var mean float64
	for j := range r.n {
		mean += (r.at(j) - mean) / float64(j+1)
	}
	var s1, s2 float64
	for j := range r.n {
		d := r.at(j) - mean
		s1 += d
		s2 += d * d
	}
	r.k, r.s1, r.s2, r.peak, r.drift = mean, s1, s2, s2, 0
}

// at returns the j-th oldest value held.
func (r *rollingMoments) at(j int) float64 {
	j += r.head
	if j >= len(r.ring) {
		j -= len(r.ring)
	}
	return r.ring[j]
}

// sampleSD returns the sample standard deviation, false with fewer than
// two values.
func (r *rollingMoments) sampleSD() (float64, bool) {
	if r.n < 2 {
		return 0, false
	}
	return math.Sqrt(max(r.m2(), 0) / float64(r.n-1)), true
}

// appendTo appends the moments: n, head, drift, k, s1, s2, peak, then the
// n values held in slot order.
func (r *rollingMoments) appendTo(dst []byte) []byte {
	dst = numAppendU64(dst, uint64(r.n))
	dst = numAppendU64(dst, uint64(r.head))
	dst = numAppendU64(dst, uint64(r.drift))
	for _, f := range [4]float64{r.k, r.s1, r.s2, r.peak} {
		dst = numAppendF64(dst, f)
	}
	for _, v := range r.ring[:r.n] {
		dst = numAppendF64(dst, v)
	}
	return dst
}

// stateLen is the length appendTo appends.
func (r *rollingMoments) stateLen() int { return 8 * (7 + r.n) }

// decode reads what appendTo wrote for moments of r's capacity. With
// ring nil it only validates (values are read and checked, not kept);
// otherwise ring, of r's capacity, receives the values. It never changes
// r, so a caller validates with a nil ring first and decodes into r.ring
// only when the state is sound.
func (r *rollingMoments) decode(sr *numReader, ring []float64) rollingMoments {
	c := len(r.ring)
	d := rollingMoments{ring: ring}
	d.n = sr.count(uint64(c))
	d.head = sr.count(uint64(max(c-1, 0)))
	d.drift = sr.count(uint64(max(min(c, rollingRecompute)-1, 0)))
	d.k, d.s1, d.s2, d.peak = sr.input(), sr.f64(), sr.f64(), sr.f64()
	if sr.err == nil && (d.n < c && (d.head != 0 || d.drift != 0) || d.s2 < 0 || d.peak < d.s2) {
		sr.fail("inconsistent ring (%d values, head %d)", d.n, d.head)
	}
	for j := range d.n {
		if v := sr.input(); ring != nil {
			ring[j] = v
		}
	}
	return d
}

// zscoreModel is one partition's ZSCORE state.
type zscoreModel struct {
	r rollingMoments
}

var _ Model = (*zscoreModel)(nil)

// newZScoreModel returns an empty model over the previous n values.
func newZScoreModel(n int) *zscoreModel {
	return &zscoreModel{r: newRollingMoments(n)}
}

// Step implements Model.
func (m *zscoreModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		if sd, has := m.r.sampleSD(); has && sd > 0 {
			if z := m.r.dev(x) / sd; !math.IsInf(z, 0) {
				out[i], ok[i] = z, true
			}
		}
		m.r.push(x)
	}
}

// AppendState implements Model: the header, the window length n, then
// the rolling moments (see rollingMoments.appendTo). It does not allocate
// when dst has room.
func (m *zscoreModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, 10+m.r.stateLen())
	dst = numAppendHeader(dst, kindZScore)
	dst = numAppendU64(dst, uint64(len(m.r.ring)))
	return m.r.appendTo(dst)
}

// RestoreState implements Model. A rejected state leaves the model as
// it was.
func (m *zscoreModel) RestoreState(src []byte) error {
	for _, ring := range [2][]float64{nil, m.r.ring} {
		sr := newNumReader("ZSCORE", kindZScore, src)
		if n := sr.u64(); sr.err == nil && n != uint64(len(m.r.ring)) {
			sr.fail("state for n = %d restored into n = %d", n, len(m.r.ring))
		}
		d := m.r.decode(sr, ring)
		if err := sr.finish(); err != nil {
			return err
		}
		if ring != nil {
			m.r = d
		}
	}
	return nil
}

// SizeBytes implements Model: 8·n bytes for the ring plus the fixed
// struct.
func (m *zscoreModel) SizeBytes() int {
	return 8*len(m.r.ring) + zscoreStructBytes
}
