package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMADZScoreHandChecked(t *testing.T) {
	// Previous values and their median and MAD:
	// {1,2}: 1.5, 0.5; {1,2,3}: 2, 1; {1,2,3,4}: 2.5, 1;
	// {1,2,3,4,100}: 3, 1 (deviations {2,1,0,1,97}).
	checkOutputs(t, numCase{"MAD_ZSCORE", []float64{5}},
		[]float64{1, 2, 3, 4, 100, 5},
		[]float64{nullV, nullV, 1.5 / (1.4826 * 0.5), 2 / 1.4826, 97.5 / 1.4826, 2 / 1.4826})
	// A window of 4 drops the 1: {2,3,4,100}: median 3.5, deviations
	// {1.5,0.5,0.5,96.5}, MAD 1.
	checkOutputs(t, numCase{"MAD_ZSCORE", []float64{4}},
		[]float64{1, 2, 3, 4, 100, 10},
		[]float64{nullV, nullV, 1.5 / (1.4826 * 0.5), 2 / 1.4826, 97.5 / 1.4826, 6.5 / 1.4826})
	// More than half the window equal: MAD 0, NULL.
	checkOutputs(t, numCase{"MAD_ZSCORE", []float64{5}},
		[]float64{7, 7, 7, 1, 9, 100},
		[]float64{nullV, nullV, nullV, nullV, nullV, nullV})
}

// naiveMAD is the robust z-score of xs[i] against the n values before
// it, by sorting.
func naiveMAD(xs []float64, i, n int) (float64, bool) {
	w := slices.Clone(xs[max(0, i-n):i])
	if len(w) < 2 {
		return 0, false
	}
	med := func(s []float64) float64 {
		slices.Sort(s)
		h := len(s) / 2
		if len(s)%2 == 1 {
			return s[h]
		}
		return (s[h-1] + s[h]) / 2
	}
	m := med(w)
	dev := make([]float64, len(w))
	for k, v := range w {
		dev[k] = math.Abs(v - m)
	}
	mad := med(dev)
	if mad == 0 {
		return 0, false
	}
	return (xs[i] - m) / (1.4826 * mad), true
}

// TestMADZScoreMatchesSorting compares with a sort per row on streams
// with many ties, for windows of every size up to 12.
func TestMADZScoreMatchesSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	xs := make([]float64, 3000)
	for i := range xs {
		xs[i] = float64(r.IntN(9)) - 4
		if i%3 == 0 {
			xs[i] += r.Float64()
		}
	}
	for n := 2; n <= 12; n++ {
		out, ok := numRun(newNum(t, numCase{"MAD_ZSCORE", []float64{float64(n)}}), xs, nil, 64)
		for i := range xs {
			want, wok := naiveMAD(xs, i, n)
			if wok != ok[i] || wok && math.Abs(out[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Fatalf("n=%d row %d: got %v/%v, want %v/%v", n, i, out[i], ok[i], want, wok)
			}
		}
	}
}
