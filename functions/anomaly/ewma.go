package anomaly

import (
	"math"
	"slices"
)

// EWMA(x [, alpha]) and EWM_ZSCORE(x [, alpha]): the exponentially
// weighted moving mean and variance with smoothing factor alpha in
// (0, 1] (default 0.1), updated with the standard incremental formulas
// (Finch, "Incremental calculation of weighted mean and variance", 2009,
// §9): for each non-NULL x after the first,
//
//	d = x - mean;  mean += alpha·d;  var = (1 - alpha)·(var + alpha·d²)
//
// and the first x sets mean = x, var = 0.
//
// EWMA returns the mean after including x (so the first row returns x
// itself; there is no warm-up). EWM_ZSCORE returns (x - mean) / sqrt(var)
// with the mean and variance from *before* x: NULL for the first value
// (no history) and whenever that variance is 0, which includes the second
// value and any run of equal values, and every value when alpha = 1 (the
// variance then forgets everything but the last value). NULL and
// non-finite inputs yield NULL and leave the model unchanged.
//
// Memory: ewmStructBytes (32 bytes) per key, independent of alpha.
const (
	ewmDefaultAlpha = 0.1
	ewmStructBytes  = 32
)

// ewmaSpec describes EWMA.
func ewmaSpec() Spec {
	return Spec{
		Name:   "EWMA",
		Params: ewmParams(),
		Out:    OutFloat,
		New:    func(p []float64) Model { return &ewmModel{alpha: p[0]} },
		Doc:    "exponentially weighted moving average of x (x included), weight alpha on the newest value",
	}
}

// ewmZScoreSpec describes EWM_ZSCORE.
func ewmZScoreSpec() Spec {
	return Spec{
		Name:   "EWM_ZSCORE",
		Params: ewmParams(),
		Out:    OutFloat,
		New:    func(p []float64) Model { return &ewmModel{alpha: p[0], zscore: true} },
		Doc:    "(x - EWMA) / EWM stddev, both from before x; NULL for the first value and while the variance is 0",
	}
}

// ewmParams is the smoothing parameter of both functions.
func ewmParams() []Param {
	return []Param{{
		Name:    "alpha",
		Default: ewmDefaultAlpha,
		Check:   unitParam(true),
		Doc:     "smoothing factor in (0, 1]: the weight of the newest value",
	}}
}

// ewmModel is one partition's EWMA or EWM_ZSCORE state.
type ewmModel struct {
	alpha  float64
	zscore bool
	seen   bool // a value has been consumed
	mean   float64
	vr     float64
}

var _ Model = (*ewmModel)(nil)

// Step implements Model.
func (m *ewmModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		if !m.seen {
			m.seen, m.mean, m.vr = true, x, 0
			if !m.zscore {
				out[i], ok[i] = x, true
			}
			continue
		}
		d := x - m.mean
		if m.zscore && m.vr > 0 {
			if z := d / math.Sqrt(m.vr); !math.IsInf(z, 0) {
				out[i], ok[i] = z, true
			}
		}
		inc := m.alpha * d
		m.mean += inc
		m.vr = (1 - m.alpha) * (m.vr + d*inc)
		if !m.zscore {
			out[i], ok[i] = m.mean, true
		}
	}
}

// kind is the checkpoint tag of the model's function.
func (m *ewmModel) kind() numKind {
	if m.zscore {
		return kindEWMZScore
	}
	return kindEWMA
}

// AppendState implements Model: the header, alpha, a seen flag (0 or 1),
// the mean and the variance. It does not allocate when dst has room.
func (m *ewmModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, 2+8*4)
	dst = numAppendHeader(dst, m.kind())
	dst = numAppendF64(dst, m.alpha)
	var seen uint64
	if m.seen {
		seen = 1
	}
	dst = numAppendU64(dst, seen)
	dst = numAppendF64(dst, m.mean)
	return numAppendF64(dst, m.vr)
}

// RestoreState implements Model. A rejected state leaves the model as
// it was.
func (m *ewmModel) RestoreState(src []byte) error {
	name := "EWMA"
	if m.zscore {
		name = "EWM_ZSCORE"
	}
	sr := newNumReader(name, m.kind(), src)
	if a := sr.f64(); sr.err == nil && a != m.alpha {
		sr.fail("state for alpha = %g restored into alpha = %g", a, m.alpha)
	}
	seen := sr.count(1) == 1
	mean, vr := sr.f64(), sr.f64()
	if sr.err == nil && (vr < 0 || !seen && (mean != 0 || vr != 0)) {
		sr.fail("inconsistent moments")
	}
	if err := sr.finish(); err != nil {
		return err
	}
	m.seen, m.mean, m.vr = seen, mean, vr
	return nil
}

// SizeBytes implements Model.
func (m *ewmModel) SizeBytes() int { return ewmStructBytes }
