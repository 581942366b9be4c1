package anomaly

import "testing"

func TestEWMAHandChecked(t *testing.T) {
	// alpha 0.5: 2; 2 + 0.5·2 = 3; 3 + 0.5·5 = 5.5; 5.5 + 0.5·0 = 5.5.
	checkOutputs(t, numCase{"EWMA", []float64{0.5}},
		[]float64{2, 4, 8, 5.5},
		[]float64{2, 3, 5.5, 5.5})
	// alpha 1 follows the input.
	checkOutputs(t, numCase{"EWMA", []float64{1}},
		[]float64{2, 4, -8},
		[]float64{2, 4, -8})
}

func TestEWMZScoreHandChecked(t *testing.T) {
	// alpha 0.5. After 2: mean 2, var 0. 4: NULL (var 0); d = 2, mean 3,
	// var 0.5·(0 + 2·1) = 1. 8: z = 5; d = 5, mean 5.5, var 0.5·(1 +
	// 5·2.5) = 6.75. 5.5: z = 0; var 0.5·6.75 = 3.375. 2: z = -3.5/√3.375.
	checkOutputs(t, numCase{"EWM_ZSCORE", []float64{0.5}},
		[]float64{2, 4, 8, 5.5, 2},
		[]float64{nullV, nullV, 5, 0, -3.5 / 1.8371173070873836})
	// A constant input keeps the variance at 0: NULL throughout; alpha 1
	// forgets all but the last value: NULL throughout.
	checkOutputs(t, numCase{"EWM_ZSCORE", []float64{0.2}},
		[]float64{3, 3, 3, 3},
		[]float64{nullV, nullV, nullV, nullV})
	checkOutputs(t, numCase{"EWM_ZSCORE", []float64{1}},
		[]float64{3, 5, 1, 9},
		[]float64{nullV, nullV, nullV, nullV})
}
