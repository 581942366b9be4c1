package anomaly

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// The fuzzed models are small, so that each input runs fast.
const lstmFuzzSeqLen, lstmFuzzHidden = 4, 3

// FuzzLSTMRestoreState feeds arbitrary bytes to RestoreState: it must
// never panic, an accepted state must re-encode to the same bytes, and
// the model must then produce no NaN or infinite output.
func FuzzLSTMRestoreState(f *testing.F) {
	xs := lstmNoisySine(120, 8)
	for _, name := range []string{"LSTM_RESIDUAL", "LSTM_SCORE"} {
		for _, n := range []int{0, 3, 4, 10, 60, 120} {
			m := newLSTMForTest(f, name, lstmFuzzSeqLen, lstmFuzzHidden)
			lstmRun(m, xs[:n], nil, 16)
			f.Add(m.AppendState(nil))
		}
	}
	f.Add([]byte{lstmStateVersion, lstmKindScore})
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, name := range []string{"LSTM_RESIDUAL", "LSTM_SCORE"} {
			m := newLSTMForTest(t, name, lstmFuzzSeqLen, lstmFuzzHidden)
			if err := m.RestoreState(src); err != nil {
				continue
			}
			if !bytes.Equal(m.AppendState(nil), src) {
				t.Fatalf("%s: accepted state does not re-encode to itself", name)
			}
			out, ok := lstmRun(m, []float64{0, 1e150, -1e150, 3, 1e-300, 7, 7, 7, 7, 7}, nil, 3)
			for i, v := range out {
				if ok[i] && (math.IsNaN(v) || math.IsInf(v, 0)) {
					t.Fatalf("%s: output %d is %v", name, i, v)
				}
			}
		}
	})
}

// FuzzLSTMStep drives a model with arbitrary values (the bytes read as
// float64s, NULL where the bit pattern's low bit is set) and checks the
// outputs are finite and that a checkpoint taken half-way continues the
// run bit for bit.
func FuzzLSTMStep(f *testing.F) {
	seed := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	f.Add(seed(lstmNoisySine(40, 1)...))
	f.Add(seed(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1e149, 1, 1))
	f.Add(seed(0, -1e150, 1e150, 0, -1e150, 1e150, math.NaN(), 5, math.Inf(1), 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5))
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := min(len(raw)/8, 400)
		xs := make([]float64, n)
		valid := make([]bool, n)
		for i := range xs {
			bits := binary.LittleEndian.Uint64(raw[8*i:])
			xs[i], valid[i] = math.Float64frombits(bits), bits&1 == 0
		}
		for _, name := range []string{"LSTM_RESIDUAL", "LSTM_SCORE"} {
			want, wantOK := lstmRun(newLSTMForTest(t, name, lstmFuzzSeqLen, lstmFuzzHidden), xs, valid, 7)
			for i, v := range want {
				if wantOK[i] && (math.IsNaN(v) || math.IsInf(v, 0)) {
					t.Fatalf("%s: output %d is %v", name, i, v)
				}
			}
			m := newLSTMForTest(t, name, lstmFuzzSeqLen, lstmFuzzHidden)
			out := make([]float64, n)
			ok := make([]bool, n)
			h := n / 2
			m.Step(xs[:h], valid[:h], out[:h], ok[:h])
			r := newLSTMForTest(t, name, lstmFuzzSeqLen, lstmFuzzHidden)
			if err := r.RestoreState(m.AppendState(nil)); err != nil {
				t.Fatalf("%s: restoring its own state: %v", name, err)
			}
			r.Step(xs[h:], valid[h:], out[h:], ok[h:])
			for i := range out {
				if ok[i] != wantOK[i] || math.Float64bits(out[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s: row %d = %v/%v after restore, want %v/%v", name, i, out[i], ok[i], want[i], wantOK[i])
				}
			}
		}
	})
}
