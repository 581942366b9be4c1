package anomaly

import (
	"math"
	"testing"
)

func TestLikelihoodHandChecked(t *testing.T) {
	phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	// short 1, long 2 (warm-up 2 averages): the averages are the scores.
	// 2 against {0, 1} (mean 0.5, sd √0.5); 0.5 against {1, 2}; 9
	// against {2, 0.5}.
	checkOutputs(t, numCase{"ANOMALY_LIKELIHOOD", []float64{1, 2}},
		[]float64{0, 1, 2, 0.5, 9},
		[]float64{nullV, nullV, phi(1.5 / math.Sqrt(0.5)), phi(-1 / math.Sqrt(0.5)), phi(7.75 / math.Sqrt(1.125))})
	// short 2: averages 1, 2, 3.5; 3.5 against {1, 2}: (3.5-1.5)/√0.5.
	// A zero spread gives 0.5 at the mean, 1 above and 0 below.
	checkOutputs(t, numCase{"ANOMALY_LIKELIHOOD", []float64{2, 2}},
		[]float64{1, 3, 4},
		[]float64{nullV, nullV, phi(2 / math.Sqrt(0.5))})
	checkOutputs(t, numCase{"ANOMALY_LIKELIHOOD", []float64{1, 3}},
		[]float64{4, 4, 4, 4, 5, 4},
		[]float64{nullV, nullV, 0.5, 0.5, 1, phi((4 - 13.0/3) / math.Sqrt(1.0/3))})
}
