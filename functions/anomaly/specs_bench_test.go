package anomaly

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchCases are the detectors at their default parameters (plus the
// windowed RANGE_EXCESS and the NAB recipe's ZSCORE window).
var benchCases = []numCase{
	{"ZSCORE", []float64{100}},
	{"ZSCORE", []float64{2000}},
	{"MAD_ZSCORE", []float64{100}},
	{"MAD_ZSCORE", []float64{1000}},
	{"EWMA", []float64{0.1}},
	{"EWM_ZSCORE", []float64{0.1}},
	{"ADWIN_DRIFT", []float64{0.002}},
	{"ADWIN_MEAN", []float64{0.002}},
	{"RANGE_EXCESS", []float64{0}},
	{"RANGE_EXCESS", []float64{500}},
	{"ANOMALY_LIKELIHOOD", []float64{10, 1000}},
}

// BenchmarkNumericStep reports ns per event in steady state (past
// warm-up, rings full), fed in batches of 256 as the engine does.
func BenchmarkNumericStep(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	xs := make([]float64, 1<<14)
	for i := range xs {
		xs[i] = 100 + 10*r.NormFloat64()
	}
	for _, c := range benchCases {
		b.Run(caseName(c), func(b *testing.B) {
			m := newNum(b, c)
			numRun(m, xs, nil, 256) // warm up
			out, ok := make([]float64, 256), make([]bool, 256)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; {
				k := min(256, b.N-i)
				off := i % (len(xs) - 256)
				m.Step(xs[off:off+k], nil, out[:k], ok[:k])
				i += k
			}
		})
	}
}

// BenchmarkNumericAppendState reports the cost of a checkpoint.
func BenchmarkNumericAppendState(b *testing.B) {
	xs, valid := numStream(5000)
	for _, c := range benchCases {
		b.Run(caseName(c), func(b *testing.B) {
			m := newNum(b, c)
			numRun(m, xs, valid, 256)
			buf := m.AppendState(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = m.AppendState(buf[:0])
			}
		})
	}
}

func caseName(c numCase) string {
	name := c.spec
	for _, p := range c.params {
		name += "_" + strconv.FormatFloat(p, 'g', -1, 64)
	}
	return name
}
