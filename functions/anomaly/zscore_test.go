package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// nullV marks an expected NULL output in the hand-checked tables.
var nullV = math.NaN()

// checkOutputs runs a fresh model over xs (one row per Step call, then
// all in one batch) and compares with want (NaN: NULL) to 1e-12
// relative.
func checkOutputs(t *testing.T, c numCase, xs, want []float64) {
	t.Helper()
	for _, batch := range []int{1, len(xs)} {
		out, ok := numRun(newNum(t, c), xs, nil, batch)
		for i, w := range want {
			switch {
			case math.IsNaN(w) && ok[i]:
				t.Errorf("%v row %d: got %v, want NULL", c, i, out[i])
			case !math.IsNaN(w) && (!ok[i] || math.Abs(out[i]-w) > 1e-12*math.Max(1, math.Abs(w))):
				t.Errorf("%v row %d: got %v (ok %v), want %v", c, i, out[i], ok[i], w)
			}
		}
	}
}

func TestZScoreHandChecked(t *testing.T) {
	// Windows of 3 previous values: {1,2} mean 1.5 sd √0.5; {1,2,3}
	// mean 2 sd 1; {2,3,4} mean 3 sd 1; {3,4,10} mean 17/3, variance
	// 43/3.
	checkOutputs(t, numCase{"ZSCORE", []float64{3}},
		[]float64{1, 2, 3, 4, 10, 10},
		[]float64{nullV, nullV, 1.5 / math.Sqrt(0.5), 2, 7, (10 - 17.0/3) / math.Sqrt(43.0/3)})
	// A zero standard deviation is NULL, also once the window was
	// varied (the sum of squares must cancel to exactly 0).
	xs := []float64{5, 5, 5, 5, 6, 5, 1e6, 7, 7, 7, 7, 8}
	want := []float64{nullV, nullV, nullV, nullV, nullV, (5 - 16.0/3) / math.Sqrt(1.0/3), (1e6 - 16.0/3) / math.Sqrt(1.0/3), 0, 0, 0, nullV, nullV}
	for i := 7; i <= 9; i++ {
		want[i], _ = naiveZ(xs, i, 3)
	}
	checkOutputs(t, numCase{"ZSCORE", []float64{3}}, xs, want)
}

// naiveZ is the two-pass z-score of xs[i] against the n values before it.
func naiveZ(xs []float64, i, n int) (float64, bool) {
	w := xs[max(0, i-n):i]
	if len(w) < 2 {
		return 0, false
	}
	var mean float64
	for _, v := range w {
		mean += v
	}
	mean /= float64(len(w))
	var ss float64
	for _, v := range w {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(len(w)-1))
	if sd == 0 {
		return 0, false
	}
	return (xs[i] - mean) / sd, true
}

// TestZScoreStability runs a long stream with a large offset, rare huge
// spikes and constant stretches against a two-pass recomputation.
func TestZScoreStability(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 50
	xs := make([]float64, 40_000)
	for i := range xs {
		xs[i] = 1e9 + r.NormFloat64()
		switch {
		case i%5000 == 100:
			xs[i] = 1e14
		case i%7000 > 6000:
			xs[i] = 1e9 + 0.5
		}
	}
	out, ok := numRun(newNum(t, numCase{"ZSCORE", []float64{n}}), xs, nil, 256)
	// The reference runs on the values less 1e9 (exact here), so that
	// it keeps full precision.
	shifted := make([]float64, len(xs))
	for i, x := range xs {
		shifted[i] = x - 1e9
	}
	var worst float64
	for i := range xs {
		want, wok := naiveZ(shifted, i, n)
		if wok != ok[i] {
			t.Fatalf("row %d: ok %v, want %v (z %v)", i, ok[i], wok, out[i])
		}
		if wok {
			worst = max(worst, math.Abs(out[i]-want)/math.Max(1, math.Abs(want)))
		}
	}
	// The shifted sums keep the precision of the deviations: a running
	// mean of the raw values would be off by about ulp(1e9) ≈ 1e-7 σ.
	if worst > 1e-12 {
		t.Errorf("worst relative error %g", worst)
	}
	t.Logf("worst relative error against two passes: %.3g", worst)
}
