package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRangeExcessHandChecked(t *testing.T) {
	// Every previous value: [5,7] → 8 is (8-7)/2 above; [5,8] → 6
	// inside; 3 is (5-3)/3 below; [3,8] → 13 is 5/5 above.
	checkOutputs(t, numCase{"RANGE_EXCESS", []float64{0}},
		[]float64{5, 7, 8, 6, 3, 13},
		[]float64{nullV, nullV, 0.5, 0, 2.0 / 3, 1})
	// A window of 2: {1,2} → 3 is 1 above; {2,3} → 10 is 7 above;
	// {3,10} → 1 is 2/7 below.
	checkOutputs(t, numCase{"RANGE_EXCESS", []float64{2}},
		[]float64{1, 2, 3, 10, 1},
		[]float64{nullV, nullV, 1, 7, 2.0 / 7})
	// A zero range is NULL.
	checkOutputs(t, numCase{"RANGE_EXCESS", []float64{0}},
		[]float64{4, 4, 4, 9, 4},
		[]float64{nullV, nullV, nullV, nullV, 0})
}

// TestRangeExcessMatchesScan compares the deques with a scan of the
// window, on monotone runs (which stress the deques) and noise.
func TestRangeExcessMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	xs := make([]float64, 4000)
	for i := range xs {
		switch {
		case i%1000 < 200:
			xs[i] = float64(i % 1000) // rising
		case i%1000 < 400:
			xs[i] = float64(400 - i%1000) // falling
		default:
			xs[i] = float64(r.IntN(50))
		}
	}
	for _, n := range []int{1, 2, 3, 10, 64, 500} {
		out, ok := numRun(newNum(t, numCase{"RANGE_EXCESS", []float64{float64(n)}}), xs, nil, 100)
		for i := range xs {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range xs[max(0, i-n):i] {
				lo, hi = min(lo, v), max(hi, v)
			}
			wok := i >= 2 && hi > lo
			if ok[i] != wok || wok && out[i] != max(xs[i]-hi, lo-xs[i], 0)/(hi-lo) {
				t.Fatalf("n=%d row %d: got %v/%v, range [%v, %v]", n, i, out[i], ok[i], lo, hi)
			}
		}
	}
}
