package anomaly

import "testing"

// lstmBenchStream is a noisy sine long enough to leave warm-up.
func lstmBenchStream(n int) []float64 { return lstmNoisySine(n, 7) }

func benchLSTM(b *testing.B, score bool) {
	m := newLSTMModel(lstmDefaultSeqLen, lstmDefaultHidden, score)
	xs := lstmBenchStream(4096)
	out := make([]float64, 256)
	ok := make([]bool, 256)
	m.Step(xs[:1024], nil, make([]float64, 1024), make([]bool, 1024)) // past warm-up
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		k := min(256, b.N-i)
		off := i % 3840
		m.Step(xs[off:off+k], nil, out[:k], ok[:k])
		i += k
	}
}

// BenchmarkLSTMResidual reports the cost of one event (forecast plus one
// training step) at the default seq_len and hidden size.
func BenchmarkLSTMResidual(b *testing.B) { benchLSTM(b, false) }

// BenchmarkLSTMScore is BenchmarkLSTMResidual plus the residual moments.
func BenchmarkLSTMScore(b *testing.B) { benchLSTM(b, true) }

func BenchmarkLSTMAppendState(b *testing.B) {
	m := newLSTMModel(lstmDefaultSeqLen, lstmDefaultHidden, true)
	xs := lstmBenchStream(200)
	m.Step(xs, nil, make([]float64, len(xs)), make([]bool, len(xs)))
	buf := m.AppendState(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = m.AppendState(buf[:0])
	}
}

func BenchmarkLSTMRestoreState(b *testing.B) {
	m := newLSTMModel(lstmDefaultSeqLen, lstmDefaultHidden, true)
	xs := lstmBenchStream(200)
	m.Step(xs, nil, make([]float64, len(xs)), make([]bool, len(xs)))
	buf := m.AppendState(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.RestoreState(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLSTMSigmoids is the cost of one gate activation.
func BenchmarkLSTMSigmoids(b *testing.B) {
	xs := make([]float64, 32)
	b.ReportAllocs()
	for b.Loop() {
		for i := range xs {
			xs[i] = float64(i-16) * 0.3
		}
		lstmSigmoids(xs, 1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/sigmoid")
}

// BenchmarkLSTMResidualMax is one event at the largest seq_len and
// hidden size the specs accept.
func BenchmarkLSTMResidualMax(b *testing.B) {
	m := newLSTMModel(lstmMaxSeqLen, lstmMaxHidden, false)
	xs := lstmBenchStream(1024)
	m.Step(xs[:256], nil, make([]float64, 256), make([]bool, 256))
	out, ok := make([]float64, 1), make([]bool, 1)
	b.ReportAllocs()
	i := 256
	for b.Loop() {
		m.Step(xs[i:i+1], nil, out, ok)
		if i++; i == len(xs) {
			i = 256
		}
	}
}
