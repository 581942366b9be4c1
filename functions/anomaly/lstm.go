package anomaly

import "math"

// LSTM_RESIDUAL(x [, seq_len [, hidden]]) and LSTM_SCORE(x [, seq_len
// [, hidden]]): a small LSTM per partition, trained online, that
// forecasts each value from the seq_len values before it.
//
// For each non-NULL usable x, once seq_len values have been seen:
//
//  1. the window of the last seq_len values is normalised with the
//     running mean and standard deviation (both from before x) and
//     clipped to ±lstmClip, and the LSTM runs over it from a zero state;
//     its output ŷ is the forecast in normalised units, and
//     mean + sd·ŷ the forecast in the input's units (lstm_net.go has
//     the network, whose skip term starts it from persistence);
//  2. LSTM_RESIDUAL returns r = x - forecast. LSTM_SCORE returns
//     |r - mean_R| / sd_R, where mean_R and sd_R are the exponentially
//     weighted mean and standard deviation of the previous residuals
//     (x's own excluded), with the same weighting as the normaliser
//     below: the exact mean and population deviation of the first 1000
//     residuals, then a memory of about 1000;
//  3. the network takes one Adam step on the Huber loss of ŷ against the
//     normalised x, backpropagating through the whole window (truncated
//     BPTT over seq_len steps).
//
// Then x enters the normaliser and the window. The normaliser is an
// exponentially weighted mean and variance whose weight for the n-th
// value is max(1/n, lstmNormAlpha): the exact mean and population
// variance of the first 1000 values, then a memory of about 1000 values,
// so it follows level shifts and any scale works.
//
// Why a long memory for LSTM_SCORE: on the NAB corpus (58 series, NAB
// v1.1 scoring with the exhaustive threshold sweep, unrounded scores,
// the score s mapped to [0, 1] by erf(s/√2) as NAB's windowedGaussian
// does), standardising against the last 64 residuals scores 25.9
// (standard profile), the last 1024 38.9, and this weighting 40.7 /
// 20.2 / 49.6 (standard, low FP, low FN) with O(1) state: heavy-tailed
// residuals make a short window's deviation too jumpy. Mapped by
// s/(1+s), which does not saturate, it scores 41.8 / 29.1 / 49.7; the
// same scorer gives windowedGaussian 40.1 / 23.9 / 47.7.
//
// Training happens on every event rather than every k events: the
// forecast needs the forward pass anyway, and the backward pass and the
// Adam step only double its cost. The learning rate decays from lstmLR
// to lstmLRMin (lstm_net.go) so that the model settles on a stable
// pattern yet keeps adapting. Measured at the defaults (BenchmarkLSTM*,
// one core of an AMD EPYC at 2.45 GHz): 13 to 18 µs per event depending
// on the machine's load, no allocation. The forward pass takes ~60% of
// it (its 640 gate activations alone ~40%), the backward pass ~30%, the
// Adam step ~10%.
//
// Defaults: seq_len 16 covers short shapes (spikes, ramps, oscillations
// of up to 16 values; longer cycles need a larger seq_len) and bounds
// BPTT's cost; hidden 8 gives 330 weights, plenty for one univariate
// series and cheap to train per key. The maxima (128, 32) cost about
// 1 ms per event.
//
// Warm-up: LSTM_RESIDUAL is NULL for the first seq_len values (the first
// residual is the one of value seq_len+1); LSTM_SCORE is NULL for the
// first seq_len + lstmScoreMin values. Like ZSCORE, LSTM_SCORE is also
// NULL while the residuals have no spread (a constant stream, forecast
// exactly) and when the quotient overflows. NULL inputs and unusable
// ones (NaN, ±Infinity, magnitudes above numMaxAbs) yield NULL and leave
// the model unchanged: one NaN would otherwise poison every weight.
//
// State per key (SizeBytes): the weights with their two Adam moments,
// the window, the normaliser and the residual moments, and the scratch
// of one training step: 18,792 bytes at the defaults, of which 10,384
// are scratch (not checkpointed). A checkpoint (lstm_state.go) is at
// most 8,128 bytes. Nothing grows with the stream.
const (
	lstmDefaultSeqLen = 16
	lstmDefaultHidden = 8
	lstmMaxSeqLen     = 128
	lstmMaxHidden     = 32
	lstmClip          = 10   // normalised values are clipped to ±lstmClip
	lstmNormAlpha     = 1e-3 // the normaliser's weight floor
	lstmScoreAlpha    = 1e-3 // the residual moments' weight floor
	lstmScoreMin      = 16   // residuals needed before LSTM_SCORE answers
)

// LSTMSpecs returns the specs of LSTM_RESIDUAL and LSTM_SCORE.
func LSTMSpecs() []Spec {
	return []Spec{
		{
			Name:   "LSTM_RESIDUAL",
			Params: lstmParams(),
			Out:    OutFloat,
			New: func(p []float64) Model {
				return newLSTMModel(int(p[0]), int(p[1]), false)
			},
			Doc: "x minus an online LSTM's forecast of x from the previous seq_len values; NULL for the first seq_len values",
		},
		{
			Name:   "LSTM_SCORE",
			Params: lstmParams(),
			Out:    OutFloat,
			New: func(p []float64) Model {
				return newLSTMModel(int(p[0]), int(p[1]), true)
			},
			Doc: "|r - mean| / stddev of the LSTM_RESIDUAL r against the previous residuals (exponentially weighted, memory about 1000); NULL for the first seq_len + 16 values and while the residuals have no spread",
		},
	}
}

// lstmParams returns the optional arguments both functions take.
func lstmParams() []Param {
	return []Param{
		{
			Name:    "seq_len",
			Default: lstmDefaultSeqLen,
			Check:   intParam(2, lstmMaxSeqLen),
			Doc:     "number of past values the forecast reads (and training backpropagates through)",
		},
		{
			Name:    "hidden",
			Default: lstmDefaultHidden,
			Check:   intParam(1, lstmMaxHidden),
			Doc:     "LSTM hidden units",
		},
	}
}

// lstmModel is one partition's LSTM_RESIDUAL or LSTM_SCORE state.
type lstmModel struct {
	score bool
	net   lstmNet

	n        uint64    // usable values seen
	mean, vr float64   // normaliser
	hist     []float64 // the last min(n, l) values, oldest first (raw units)

	// Residual moments (LSTM_SCORE only; zero for LSTM_RESIDUAL).
	resN           uint64 // residuals seen
	resMean, resVr float64
}

var _ Model = (*lstmModel)(nil)

// newLSTMModel returns an empty model; l and h are checked by the spec.
func newLSTMModel(l, h int, score bool) *lstmModel {
	return &lstmModel{score: score, net: newLSTMNet(l, h), hist: make([]float64, 0, l)}
}

// Step implements Model. A nil or empty valid means every row is valid.
func (m *lstmModel) Step(xs []float64, valid []bool, out []float64, ok []bool) {
	for i, x := range xs {
		out[i], ok[i] = 0, false
		if !numValid(valid, xs, i) {
			continue
		}
		if len(m.hist) == m.net.l {
			r := m.residual(x)
			if !m.score {
				out[i], ok[i] = r, true
			} else {
				out[i], ok[i] = m.scoreOf(r)
			}
		}
		m.observe(x)
	}
}

// residual forecasts the next value from the full window, trains on x
// and returns x minus the forecast.
func (m *lstmModel) residual(x float64) float64 {
	sd := math.Sqrt(m.vr)
	for j, v := range m.hist {
		m.net.z[j] = m.normalise(v, sd)
	}
	y := m.net.forward()
	r := x - (m.mean + float64(sd*y))
	dy := min(max(y-m.normalise(x, sd), -lstmHuber), lstmHuber)
	m.net.backward(dy)
	m.net.adam()
	return r
}

// normalise maps v to (v - mean) / sd clipped to ±lstmClip; with sd 0
// every value off the mean is at the clip.
func (m *lstmModel) normalise(v, sd float64) float64 {
	d := v - m.mean
	if sd > 0 {
		d /= sd
	} else if d != 0 {
		d = math.Copysign(lstmClip, d)
	}
	return min(max(d, -lstmClip), lstmClip)
}

// observe adds x to the normaliser and the window.
func (m *lstmModel) observe(x float64) {
	m.n++
	m.mean, m.vr = lstmEWUpdate(m.mean, m.vr, x, max(1/float64(m.n), lstmNormAlpha))
	if len(m.hist) < m.net.l {
		m.hist = append(m.hist, x)
		return
	}
	copy(m.hist, m.hist[1:])
	m.hist[len(m.hist)-1] = x
}

// scoreOf standardises r against the residual moments, then adds r to
// them. Like ZSCORE, it yields NULL (false) while fewer than
// lstmScoreMin residuals have been seen, when their spread is 0 and when
// the quotient overflows.
func (m *lstmModel) scoreOf(r float64) (float64, bool) {
	var s float64
	var ok bool
	if m.resN >= lstmScoreMin && m.resVr > 0 {
		s = math.Abs(r-m.resMean) / math.Sqrt(m.resVr)
		ok = s <= math.MaxFloat64 // neither +Inf nor NaN
	}
	m.resN++
	m.resMean, m.resVr = lstmEWUpdate(m.resMean, m.resVr, r, max(1/float64(m.resN), lstmScoreAlpha))
	return s, ok
}

// lstmEWUpdate adds x with weight a to an exponentially weighted mean and
// variance (a = 1/n gives the exact running mean and population
// variance).
func lstmEWUpdate(mean, vr, x, a float64) (float64, float64) {
	d := x - mean
	return mean + float64(a*d), float64((1 - a) * (vr + float64(float64(a*d)*d)))
}

// SizeBytes implements Model: the float64 buffers (parameters, two Adam
// moments, gradient and activation scratch, window) plus the fixed
// struct; 18,792 bytes with the defaults (seq_len 16, hidden 8).
func (m *lstmModel) SizeBytes() int {
	l, h := m.net.l, m.net.h
	floats := 3*lstmParamCount(h) + lstmScratchCount(l, h) + l
	return 8*floats + lstmStructBytes
}

// lstmStructBytes approximates the fixed part of an lstmModel: the struct
// with its slice headers.
const lstmStructBytes = 360
