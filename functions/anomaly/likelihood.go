package anomaly

import (
	"math"
	"slices"
)

// ANOMALY_LIKELIHOOD(score [, short_window, long_window]): Numenta's
// anomaly likelihood (Ahmad et al., "Unsupervised real-time anomaly
// detection for streaming data", Neurocomputing 2017, §3.3) over any raw
// anomaly score, e.g. abs(ZSCORE(x)). For each non-NULL score s:
//
//	a = mean of the last short_window scores, s included
//	μ, σ = mean and sample standard deviation of the previous
//	       long_window values of a (a excluded)
//	result = Φ((a - μ) / σ) = 1 - Q((a - μ)/σ)
//
// where Φ is the standard normal CDF: the probability that the recent
// average is not above its usual level, close to 1 when it is unusually
// high. Unlike Numenta's, the tail is one-sided (an unusually low average
// score is not an anomaly), the distribution is re-estimated at every
// event over a sliding window rather than every 100 records, and there
// is no lower bound on the mean and variance (the score's scale is the
// caller's).
//
// Warm-up: NULL until long_window/likelihoodWarmupDiv (at least 2)
// averages have been seen. A history whose σ is 0 yields 0.5 when a
// equals μ, 1 above it and 0 below it (the limits of Φ). NULL and
// non-finite scores yield NULL and leave the model unchanged.
//
// Memory: 8·(short_window + long_window) bytes plus likelihoodStructBytes
// per key, 8,240 bytes at the defaults (10, 1000).
const (
	likelihoodDefaultShort = 10
	likelihoodDefaultLong  = 1000
	likelihoodMaxWindow    = 100_000
	likelihoodWarmupDiv    = 10
	likelihoodStructBytes  = 160
)

// likelihoodSpec describes ANOMALY_LIKELIHOOD.
func likelihoodSpec() Spec {
	return Spec{
		Name: "ANOMALY_LIKELIHOOD",
		Params: []Param{
			{
				Name:    "short_window",
				Default: likelihoodDefaultShort,
				Check:   intParam(1, likelihoodMaxWindow),
				Doc:     "number of recent scores averaged",
			},
			{
				Name:    "long_window",
				Default: likelihoodDefaultLong,
				Check:   intParam(2, likelihoodMaxWindow),
				Doc:     "number of past averages the normal distribution is fitted to",
			},
		},
		Out: OutFloat,
		New: func(p []float64) Model { return newLikelihoodModel(int(p[0]), int(p[1])) },
		Doc: "probability that the short-term average of score is not unusually high against its long-term normal fit; NULL during warm-up",
	}
}

// likelihoodModel is one partition's ANOMALY_LIKELIHOOD state.
type likelihoodModel struct {
	short rollingMoments // the last short_window scores
	long  rollingMoments // the last long_window averages
}

var _ Model = (*likelihoodModel)(nil)

// newLikelihoodModel returns an empty model.
func newLikelihoodModel(short, long int) *likelihoodModel {
	return &likelihoodModel{short: newRollingMoments(short), long: newRollingMoments(long)}
}

// warmup is the number of averages needed before the first result.
func (m *likelihoodModel) warmup() int {
	return max(2, len(m.long.ring)/likelihoodWarmupDiv)
}

// Step implements Model.
func (m *likelihoodModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		m.short.push(x)
		a := m.short.mean()
		if m.long.n >= m.warmup() {
			sd, _ := m.long.sampleSD()
			d := m.long.dev(a)
			switch {
			case sd > 0:
				out[i] = 0.5 * math.Erfc(-d/(sd*math.Sqrt2))
			case d > 0:
				out[i] = 1
			case d == 0:
				out[i] = 0.5
			}
			ok[i] = true
		}
		m.long.push(a)
	}
}

// AppendState implements Model: the header, both window lengths, then
// the short and the long rolling moments (see rollingMoments.appendTo).
// It does not allocate when dst has room.
func (m *likelihoodModel) AppendState(dst []byte) []byte {
	dst = slices.Grow(dst, 2+16+m.short.stateLen()+m.long.stateLen())
	dst = numAppendHeader(dst, kindLikelihood)
	dst = numAppendU64(dst, uint64(len(m.short.ring)))
	dst = numAppendU64(dst, uint64(len(m.long.ring)))
	dst = m.short.appendTo(dst)
	return m.long.appendTo(dst)
}

// RestoreState implements Model. A rejected state leaves the model as
// it was.
func (m *likelihoodModel) RestoreState(src []byte) error {
	for _, apply := range [2]bool{false, true} {
		sr := newNumReader("ANOMALY_LIKELIHOOD", kindLikelihood, src)
		s, l := sr.u64(), sr.u64()
		if sr.err == nil && (s != uint64(len(m.short.ring)) || l != uint64(len(m.long.ring))) {
			sr.fail("state for windows (%d, %d) restored into (%d, %d)", s, l, len(m.short.ring), len(m.long.ring))
		}
		var sRing, lRing []float64
		if apply {
			sRing, lRing = m.short.ring, m.long.ring
		}
		short := m.short.decode(sr, sRing)
		long := m.long.decode(sr, lRing)
		if err := sr.finish(); err != nil {
			return err
		}
		if apply {
			m.short, m.long = short, long
		}
	}
	return nil
}

// SizeBytes implements Model.
func (m *likelihoodModel) SizeBytes() int {
	return 8*(len(m.short.ring)+len(m.long.ring)) + likelihoodStructBytes
}
