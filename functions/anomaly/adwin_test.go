package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// pyRandom is CPython's random.Random (MT19937 seeded by init_by_array
// with the seed's 32-bit words), enough of it to replay river's ADWIN
// doctest: random() and choices() without weights.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

func newPyRandom(seed uint32) *pyRandom {
	r := &pyRandom{}
	r.mt[0] = 19650218
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	i, j := 1, 0
	for k := 624; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + seed + uint32(j)
		i, j = i+1, 0 // one key word: j wraps at once
		if i >= 624 {
			r.mt[0], i = r.mt[623], 1
		}
	}
	for k := 623; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		if i++; i >= 624 {
			r.mt[0], i = r.mt[623], 1
		}
	}
	r.mt[0] = 0x80000000
	r.idx = 624
	return r
}

func (r *pyRandom) uint32() uint32 {
	if r.idx >= 624 {
		for k := range 624 {
			y := r.mt[k]&0x80000000 | r.mt[(k+1)%624]&0x7fffffff
			v := r.mt[(k+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	return y ^ y>>18
}

func (r *pyRandom) random() float64 {
	a, b := r.uint32()>>5, r.uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

func (r *pyRandom) choices(pop []float64, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		out[i] = pop[int(math.Floor(r.random()*float64(len(pop))))]
	}
	return out
}

// drifts returns the rows where ADWIN_DRIFT is true.
func drifts(t *testing.T, xs []float64, delta float64) []int {
	out, ok := numRun(newNum(t, numCase{"ADWIN_DRIFT", []float64{delta}}), xs, nil, 64)
	var at []int
	for i := range out {
		if !ok[i] {
			t.Fatalf("row %d: NULL", i)
		}
		if out[i] == 1 {
			at = append(at, i)
		}
	}
	return at
}

// TestADWINRiverDoctest replays river's drift.ADWIN example: 1000 values
// from {0, 1} then 1000 from {4, 5, 6, 7}, drawn by
// random.Random(12345).choices; river prints "Change detected at index
// 1023, input value: 4".
func TestADWINRiverDoctest(t *testing.T) {
	r := newPyRandom(12345)
	if got := newPyRandom(12345).random(); got != 0.41661987254534116 {
		t.Fatalf("MT19937 port: first random() %v, CPython gives 0.41661987254534116", got)
	}
	xs := append(r.choices([]float64{0, 1}, 1000), r.choices([]float64{4, 5, 6, 7}, 1000)...)
	at := drifts(t, xs, 0.002)
	if len(at) == 0 || at[0] != 1023 || xs[1023] != 4 {
		t.Fatalf("detections at %v, want the first at index 1023 (input 4)", at)
	}
	t.Logf("detections at %v (river, which resets after a detection, reports only 1023)", at)
	// The mean forgets the old regime: after the detections it is the
	// mean of {4..7}, about 5.5.
	mean, _ := numRun(newNum(t, numCase{"ADWIN_MEAN", []float64{0.002}}), xs, nil, 64)
	if m := mean[len(mean)-1]; math.Abs(m-5.5) > 0.2 {
		t.Errorf("ADWIN_MEAN at the end %v, want about 5.5", m)
	}
	if m := mean[999]; math.Abs(m-0.5) > 0.05 {
		t.Errorf("ADWIN_MEAN before the step %v, want about 0.5", m)
	}
}

// TestADWINStationaryAndStep checks no detection on 20,000 stationary
// Gaussian values with the default delta, and a detection within 150
// values of a one-σ step.
func TestADWINStationaryAndStep(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	xs := make([]float64, 20_000)
	for i := range xs {
		xs[i] = 10 + r.NormFloat64()
	}
	if at := drifts(t, xs, 0.002); len(at) != 0 {
		t.Errorf("stationary signal: detections at %v", at)
	}
	for i := 10_000; i < len(xs); i++ {
		xs[i]++
	}
	at := drifts(t, xs, 0.002)
	if len(at) == 0 || at[0] < 10_000 || at[0] > 10_150 {
		t.Fatalf("step at 10000: detections at %v", at)
	}
	t.Logf("step of 1σ at 10000: first detection at %d", at[0])
}

// TestADWINHistogramBounded checks that the histogram stays logarithmic
// and accounts for every value of the window.
func TestADWINHistogramBounded(t *testing.T) {
	m := newADWINModel(0.002, true)
	xs := make([]float64, 1<<16)
	numRun(m, xs, nil, 4096)
	var held uint64
	for i, r := range m.rows {
		if r.n < 1 || r.n > adwinM {
			t.Fatalf("row %d holds %d buckets", i, r.n)
		}
		held += uint64(r.n) << i
	}
	if held != m.width || m.width != 1<<16 {
		t.Fatalf("histogram holds %d values, width %d", held, m.width)
	}
	if len(m.rows) > 16 {
		t.Errorf("%d rows for 65536 values", len(m.rows))
	}
	t.Logf("65536 values: %d rows, SizeBytes %d", len(m.rows), m.SizeBytes())
}

// TestADWINSizeBytes logs the documented memory per key.
func TestADWINSizeBytes(t *testing.T) {
	for _, n := range []int{100, 100_000} {
		m := newADWINModel(0.002, false)
		numRun(m, make([]float64, n), nil, 1024)
		t.Logf("|W| = %d: %d rows, SizeBytes %d", m.width, len(m.rows), m.SizeBytes())
	}
	t.Logf("at most %d", adwinStructBytes+adwinRowBytes*adwinMaxRows)
}
