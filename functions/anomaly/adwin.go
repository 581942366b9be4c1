package anomaly

import (
	"math"
	"slices"
)

// ADWIN_DRIFT(x [, delta]) and ADWIN_MEAN(x [, delta]): ADWIN2 (Bifet &
// Gavaldà, "Learning from Time-Changing Data with Adaptive Windowing",
// SDM 2007) over the non-NULL values of the partition, with confidence
// delta in (0, 1) (default 0.002).
//
// ADWIN keeps a window W of the most recent values, summarised by an
// exponential histogram: row i holds up to adwinM buckets of 2^i values
// each (their sum and sum of squared deviations), so W costs
// O(adwinM · log |W|) memory however long it grows. Every adwinClock
// values, once |W| exceeds adwinGrace, it tests every split of W at a
// bucket boundary into an older part W0 and a newer part W1 (each at
// least adwinMinSub values long) and, while some split has
//
//	|mean(W0) - mean(W1)| > ε = sqrt(2·m·σ²·δ') + (2/3)·m·δ'
//	with δ' = ln(2·ln|W| / delta), m = 1/(|W0|-4) + 1/(|W1|-4),
//	σ² the variance of W,
//
// drops the oldest bucket and tests again. The constants and the form of
// ε follow MOA's ADWIN and river's drift.ADWIN (clock 32, 5 buckets per
// row, sub-windows of at least 5, grace period 10). Unlike river, every
// bucket boundary is a candidate split (river skips the newest bucket of
// each row) and the window shrinks rather than resets after a detection,
// as in the paper. On river's documented example (1000 values from
// {0, 1} then 1000 from {4..7}, Python's random.Random(12345)) the first
// detection is at index 1023, as river reports.
//
// ADWIN_DRIFT is true at the event whose test dropped at least one
// bucket, false otherwise; ADWIN_MEAN is mean(W) after that event. Neither
// has a warm-up: ADWIN_MEAN of the first value is the value, and
// ADWIN_DRIFT is false until the first test. NULL and non-finite inputs
// yield NULL and leave the model unchanged.
//
// Memory: adwinStructBytes plus adwinRowBytes per histogram row, and a
// window of |W| values has about log2(|W|/adwinM) + 1 rows: 904 bytes per
// key for |W| ≈ 100, 1,736 bytes for |W| ≈ 10^5, at most 4,232 bytes
// (adwinMaxRows rows, allocated adwinRowsStep at a time; beyond
// |W| ≈ 5·2^40 the oldest buckets are dropped).
const (
	adwinDefaultDelta = 0.002
	adwinM            = 5  // buckets per histogram row (MOA's M)
	adwinClock        = 32 // values between two tests
	adwinMinSub       = 5  // minimum length of W0 and W1
	adwinGrace        = 10 // minimum |W| before the first test
	adwinMaxRows      = 40
	adwinRowsStep     = 4
	adwinRowBytes     = 8 + 2*8*(adwinM+1)
	adwinStructBytes  = 72
)

// adwinDriftSpec describes ADWIN_DRIFT.
func adwinDriftSpec() Spec {
	return Spec{
		Name:   "ADWIN_DRIFT",
		Params: adwinParams(),
		Out:    OutBool,
		New:    func(p []float64) Model { return newADWINModel(p[0], false) },
		Doc:    "true at the event where ADWIN2 detects a change in the mean of x (tests every 32 values)",
	}
}

// adwinMeanSpec describes ADWIN_MEAN.
func adwinMeanSpec() Spec {
	return Spec{
		Name:   "ADWIN_MEAN",
		Params: adwinParams(),
		Out:    OutFloat,
		New:    func(p []float64) Model { return newADWINModel(p[0], true) },
		Doc:    "mean of ADWIN2's adaptive window of recent x, which drops old values when the mean changes",
	}
}

// adwinParams is the confidence parameter of both functions.
func adwinParams() []Param {
	return []Param{{
		Name:    "delta",
		Default: adwinDefaultDelta,
		Check:   unitParam(false),
		Doc:     "confidence in (0, 1): smaller means fewer false detections and later true ones",
	}}
}

// adwinRow is one row of the exponential histogram: n buckets of 2^i
// values (i the row's index), oldest first. n is at most adwinM between
// events, adwinM+1 transiently.
type adwinRow struct {
	n     int
	total [adwinM + 1]float64 // sum of the bucket's values
	ss    [adwinM + 1]float64 // sum of squared deviations from the bucket's mean
}

// adwinModel is one partition's ADWIN_DRIFT or ADWIN_MEAN state.
type adwinModel struct {
	mean  bool // ADWIN_MEAN (else ADWIN_DRIFT)
	delta float64
	rows  []adwinRow // rows[i] holds buckets of 2^i values; rows[0] newest
	width uint64     // |W|
	total float64    // sum of W
	ss    float64    // sum of squared deviations of W from its mean
	tick  uint64     // values consumed, for the test clock
}

var _ Model = (*adwinModel)(nil)

// newADWINModel returns an empty model.
func newADWINModel(delta float64, mean bool) *adwinModel {
	return &adwinModel{mean: mean, delta: delta}
}

// Step implements Model.
func (m *adwinModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		m.insert(x)
		m.tick++
		drift := m.tick%adwinClock == 0 && m.width > adwinGrace && m.shrink()
		switch {
		case m.mean:
			out[i] = m.total / float64(m.width)
		case drift:
			out[i] = 1
		}
		ok[i] = true
	}
}

// insert adds x as a new bucket of row 0 and merges full rows.
func (m *adwinModel) insert(x float64) {
	if m.width > 0 {
		w := float64(m.width)
		d := x - m.total/w
		m.ss += w * d * d / (w + 1)
	}
	m.width++
	m.total += x
	if len(m.rows) == 0 {
		m.addRow()
	}
	m.rows[0].push(x, 0)
	for i := 0; m.rows[i].n > adwinM; i++ {
		r := &m.rows[i]
		half := math.Ldexp(1, i) // values per bucket of row i
		d := r.total[0]/half - r.total[1]/half
		total, ss := r.total[0]+r.total[1], r.ss[0]+r.ss[1]+half*d*d/2
		r.drop(2)
		if i+1 == adwinMaxRows {
			// The histogram is at its size limit: the merged pair, the
			// two oldest buckets of the window, leaves it.
			m.width -= uint64(2 * half)
			m.total -= total
			m.ss = max(m.ss-ss-m.spread(2*half, total), 0)
			break
		}
		if i+1 == len(m.rows) {
			m.addRow()
		}
		m.rows[i+1].push(total, ss)
	}
}

// addRow appends an empty histogram row, growing the slice by
// adwinRowsStep rows at a time (never beyond adwinMaxRows) rather than
// doubling, so that SizeBytes tracks the rows in use.
func (m *adwinModel) addRow() {
	if len(m.rows) == cap(m.rows) {
		grown := make([]adwinRow, len(m.rows), min(len(m.rows)+adwinRowsStep, adwinMaxRows))
		copy(grown, m.rows)
		m.rows = grown
	}
	m.rows = append(m.rows, adwinRow{})
}

// shrink runs the ADWIN test, dropping the oldest bucket while some split
// shows a change in the mean, and reports whether it dropped any.
func (m *adwinModel) shrink() bool {
	dropped := false
	for m.cut() {
		n := math.Ldexp(1, len(m.rows)-1)
		r := &m.rows[len(m.rows)-1]
		total, ss := r.total[0], r.ss[0]
		m.dropOldest()
		m.width -= uint64(n)
		m.total -= total
		m.ss = max(m.ss-ss-m.spread(n, total), 0)
		dropped = true
	}
	return dropped
}

// spread is the between-group term removed from W's sum of squares when
// a bucket of n values summing to total leaves it (W's statistics already
// exclude the bucket).
func (m *adwinModel) spread(n, total float64) float64 {
	w := float64(m.width)
	d := total/n - m.total/w
	return n * w * d * d / (n + w)
}

// dropOldest removes the oldest bucket from the histogram (not from the
// window statistics, which the caller adjusts).
func (m *adwinModel) dropOldest() {
	last := len(m.rows) - 1
	if m.rows[last].drop(1); m.rows[last].n == 0 {
		m.rows = m.rows[:last]
	}
}

// cut reports whether some split of W at a bucket boundary, oldest
// first, has means further apart than ε.
func (m *adwinModel) cut() bool {
	w := float64(m.width)
	n1, u1 := w, m.total
	var n0, u0 float64
	dd := math.Log(2 * math.Log(w) / m.delta)
	v := max(m.ss, 0) / w
	for i := len(m.rows) - 1; i >= 0; i-- {
		size := math.Ldexp(1, i)
		r := &m.rows[i]
		for k := range r.n {
			n0 += size
			n1 -= size
			u0 += r.total[k]
			u1 -= r.total[k]
			if i == 0 && k == r.n-1 {
				return false // W1 would be empty
			}
			if n0 < adwinMinSub || n1 < adwinMinSub {
				continue
			}
			inv := 1/(n0-adwinMinSub+1) + 1/(n1-adwinMinSub+1)
			eps := math.Sqrt(2*inv*v*dd) + 2.0/3.0*dd*inv
			if math.Abs(u0/n0-u1/n1) > eps {
				return true
			}
		}
	}
	return false
}

// push appends a bucket as the row's newest.
func (r *adwinRow) push(total, ss float64) {
	r.total[r.n], r.ss[r.n] = total, ss
	r.n++
}

// drop removes the row's k oldest buckets.
func (r *adwinRow) drop(k int) {
	copy(r.total[:], r.total[k:r.n])
	copy(r.ss[:], r.ss[k:r.n])
	r.n -= k
	clear(r.total[r.n:])
	clear(r.ss[r.n:])
}

// kind is the checkpoint tag of the model's function.
func (m *adwinModel) kind() numKind {
	if m.mean {
		return kindADWINMean
	}
	return kindADWINDrift
}

// AppendState implements Model: the header, delta, |W|, the tick, the
// sum and sum of squares of W, the number of rows, then each row's
// bucket count and its buckets' (sum, sum of squares), oldest first. It
// does not allocate when dst has room.
func (m *adwinModel) AppendState(dst []byte) []byte {
	size := 2 + 8*6
	for _, r := range m.rows {
		size += 8 * (1 + 2*r.n)
	}
	dst = slices.Grow(dst, size)
	dst = numAppendHeader(dst, m.kind())
	dst = numAppendF64(dst, m.delta)
	dst = numAppendU64(dst, m.width)
	dst = numAppendU64(dst, m.tick)
	dst = numAppendF64(dst, m.total)
	dst = numAppendF64(dst, m.ss)
	dst = numAppendU64(dst, uint64(len(m.rows)))
	for _, r := range m.rows {
		dst = numAppendU64(dst, uint64(r.n))
		for k := range r.n {
			dst = numAppendF64(dst, r.total[k])
			dst = numAppendF64(dst, r.ss[k])
		}
	}
	return dst
}

// RestoreState implements Model. It checks that the histogram is well
// formed and accounts for exactly |W| values; a rejected state leaves the
// model as it was.
func (m *adwinModel) RestoreState(src []byte) error {
	name := "ADWIN_DRIFT"
	if m.mean {
		name = "ADWIN_MEAN"
	}
	sr := newNumReader(name, m.kind(), src)
	if d := sr.f64(); sr.err == nil && d != m.delta {
		sr.fail("state for delta = %g restored into delta = %g", d, m.delta)
	}
	width, tick := sr.u64(), sr.u64()
	total, ss := sr.f64(), sr.f64()
	nrows := sr.count(adwinMaxRows)
	rows := make([]adwinRow, nrows)
	var held uint64
	for i := range rows {
		r := &rows[i]
		r.n = sr.count(adwinM)
		if sr.err == nil && r.n == 0 {
			sr.fail("empty histogram row %d", i)
		}
		for k := range r.n {
			r.total[k], r.ss[k] = sr.f64(), sr.f64()
			if r.ss[k] < 0 {
				sr.fail("negative bucket variance")
			}
		}
		held += uint64(r.n) << i
	}
	if sr.err == nil && (held != width || ss < 0 || tick < width) {
		sr.fail("histogram holds %d values, window %d", held, width)
	}
	if err := sr.finish(); err != nil {
		return err
	}
	m.rows = append(m.rows[:0], rows...)
	m.width, m.tick, m.total, m.ss = width, tick, total, ss
	return nil
}

// SizeBytes implements Model: the fixed struct plus adwinRowBytes per
// allocated histogram row.
func (m *adwinModel) SizeBytes() int {
	return adwinStructBytes + adwinRowBytes*cap(m.rows)
}
