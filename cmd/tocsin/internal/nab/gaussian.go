package nab

import "math"

// WindowedGaussian is NAB's windowedGaussian detector
// (nab/detectors/gaussian/windowedGaussian_detector.py, benchmarks.md
// §2.9) in plain Go: the score of x is 1 - Q(|x - μ|/σ) against the mean
// and population standard deviation of a window of up to 6400 values that
// slides 100 values at a time, computed before x joins the window.
func WindowedGaussian(values []float64) []float64 {
	const windowSize, stepSize = 6400, 100
	out := make([]float64, len(values))
	var window, step []float64
	mean, std := 0.0, 1.0
	update := func() {
		mean, std = meanStd(window)
		if std == 0 {
			std = 0.000001
		}
	}
	for i, x := range values {
		if len(window) > 0 {
			xp := x
			if x < mean {
				xp = 2*mean - x
			}
			z := (xp - mean) / std
			out[i] = 1 - 0.5*math.Erfc(z/math.Sqrt2)
		}
		if len(window) < windowSize {
			window = append(window, x)
			update()
			continue
		}
		step = append(step, x)
		if len(step) == stepSize {
			window = append(window[stepSize:], step...)
			step = step[:0]
			update()
		}
	}
	return out
}

// meanStd returns numpy's mean and std (ddof 0) of xs, with numpy's
// pairwise summation so that borderline scores round as upstream's do.
func meanStd(xs []float64) (float64, float64) {
	n := float64(len(xs))
	mean := pairwiseSum(xs) / n
	dev := make([]float64, len(xs))
	for i, x := range xs {
		d := x - mean
		dev[i] = d * d
	}
	return mean, math.Sqrt(pairwiseSum(dev) / n)
}

// pairwiseSum is numpy's pairwise_sum: blocks of at most 128 values
// summed with 8 accumulators, halves combined recursively.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := range r {
				r[k] += a[i+k]
			}
		}
		s := (r[0] + r[1]) + (r[2] + r[3]) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		h := n / 2
		h -= h % 8
		return pairwiseSum(a[:h]) + pairwiseSum(a[h:])
	}
}
