package nab

import (
	"fmt"
	"math"
	"slices"
)

// Result is a detector's NAB result: one entry per profile, in the
// corpus's profile order.
type Result struct {
	Profiles []ProfileResult
}

// ProfileResult is a detector's result under one cost profile at one
// threshold.
type ProfileResult struct {
	Profile Profile
	// Threshold is θ: rows with score ≥ θ are detections (1.1: none).
	Threshold float64
	// Raw is the corpus score S_D, the sum of PerFile.
	Raw float64
	// Score is the normalised NAB score, 100·(Raw - null)/(perfect -
	// null) with null = -FN·K and perfect = TP·K.
	Score float64
	// PerFile is each file's raw score, in Corpus.Files order.
	PerFile []float64
	// TP, FP, FN and TN count non-probationary rows: detected inside a
	// window, detected outside, undetected inside, undetected outside.
	// They are informational; the score does not use them.
	TP, FP, FN, TN int
}

// noDetections is the threshold candidate that detects nothing.
const noDetections = 1.1

// Score scores a detector: scores maps every file name of the corpus to
// one anomaly score in [0, 1] per row. For each profile it picks the
// threshold with the best corpus score by NAB's exhaustive sweep (the
// highest one among ties) and reports the result at that threshold.
func (c *Corpus) Score(scores map[string][]float64) (Result, error) {
	if err := c.check(scores); err != nil {
		return Result{}, err
	}
	res := Result{Profiles: make([]ProfileResult, len(c.Profiles))}
	for k, p := range c.Profiles {
		res.Profiles[k] = c.scoreAt(scores, p, c.sweep(scores, p))
	}
	return res, nil
}

// ScoreAt scores a detector under profile p at a given threshold (for
// instance a stored threshold of NAB's config/thresholds.json).
func (c *Corpus) ScoreAt(scores map[string][]float64, p Profile, threshold float64) (ProfileResult, error) {
	if err := c.check(scores); err != nil {
		return ProfileResult{}, err
	}
	return c.scoreAt(scores, p, threshold), nil
}

// check validates a detector's scores against the corpus.
func (c *Corpus) check(scores map[string][]float64) error {
	for name := range scores {
		if _, ok := c.byName[name]; !ok {
			return fmt.Errorf("nab: scores for %q, which is not a corpus file", name)
		}
	}
	for _, f := range c.Files {
		a, ok := scores[f.Name]
		if !ok {
			return fmt.Errorf("nab: no scores for %s", f.Name)
		}
		if len(a) != len(f.Values) {
			return fmt.Errorf("nab: %s: %d scores for %d rows", f.Name, len(a), len(f.Values))
		}
		for i, v := range a {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("nab: %s: row %d: score %v is not in [0, 1]", f.Name, i, v)
			}
		}
	}
	return nil
}

// scaledSigmoid is NAB's S(y): 2/(1+e^(5y)) - 1 for y ≤ 3, else -1. It
// runs from 1 (far before a window's end) through 0 (at y = 0) to -1.
func scaledSigmoid(y float64) float64 {
	if y > 3 {
		return -1
	}
	return 2*(1/(1+math.Exp(5*y))) - 1
}

// Weights returns σ, the weighted value NAB gives a detection at each row
// of f under profile p (the S(t)_<profile> columns of NAB's results
// files), and for each row the index of its window in f.Windows, or -1
// outside every window. Probationary rows get values too; scoring
// ignores them.
func (f *File) Weights(p Profile) (sigma []float64, window []int) {
	n := len(f.Values)
	sigma, window = make([]float64, n), make([]int, n)
	sMax := scaledSigmoid(-1)
	next := 0      // the next window to enter
	prevLast := -1 // last row of the most recently ended window
	prevWidth := 0 // its width in rows
	cur := -1      // the window the walk is in, or -1
	var curLast, width int
	for i := range n {
		if cur < 0 && next < len(f.Windows) && f.Windows[next].First == i {
			cur, next = next, next+1
			curLast = f.Windows[cur].Last
			width = curLast - f.Windows[cur].First + 1
		}
		window[i] = cur
		switch {
		case cur >= 0:
			y := -float64(curLast-i+1) / float64(width)
			sigma[i] = p.TP * scaledSigmoid(y) / sMax
		case prevLast < 0:
			sigma[i] = -p.FP
		default:
			y := math.Inf(1)
			if prevWidth > 1 {
				y = math.Abs(float64(i-prevLast)) / float64(prevWidth-1)
			}
			sigma[i] = p.FP * scaledSigmoid(y)
		}
		if cur >= 0 && i == curLast {
			prevLast, prevWidth, cur = curLast, width, -1
		}
	}
	return sigma, window
}

// pooledRow is one non-probationary row in the threshold sweep.
type pooledRow struct {
	score  float64
	sigma  float64
	window int // corpus-wide window index, or -1
}

// sweep returns the threshold with the best corpus score under p: the
// candidates are noDetections and every distinct score of a
// non-probationary row; ties go to the highest.
func (c *Corpus) sweep(scores map[string][]float64, p Profile) float64 {
	var pool []pooledRow
	counted := make([]bool, c.Windows) // windows with a non-probationary row
	base := 0                          // corpus-wide index of the current file's first window
	for _, f := range c.Files {
		sigma, window := f.Weights(p)
		a := scores[f.Name]
		for i := f.Probation; i < len(a); i++ {
			w := -1
			if window[i] >= 0 {
				w = base + window[i]
				counted[w] = true
			}
			pool = append(pool, pooledRow{score: a[i], sigma: sigma[i], window: w})
		}
		base += len(f.Windows)
	}
	slices.SortStableFunc(pool, func(x, y pooledRow) int {
		switch {
		case x.score > y.score:
			return -1
		case x.score < y.score:
			return 1
		}
		return 0
	})
	best := make([]float64, c.Windows)
	var total float64
	for g := range best {
		best[g] = -p.FN
		if counted[g] {
			total -= p.FN
		}
	}
	bestTheta, bestTotal := noDetections, total
	for j, r := range pool {
		if j > 0 && r.score != pool[j-1].score && total > bestTotal {
			bestTheta, bestTotal = pool[j-1].score, total
		}
		switch {
		case r.window < 0:
			total += r.sigma
		case r.sigma > best[r.window]:
			total += r.sigma - best[r.window]
			best[r.window] = r.sigma
		}
	}
	if n := len(pool); n > 0 && total > bestTotal {
		bestTheta = pool[n-1].score
	}
	return bestTheta
}

// scoreAt computes the full result of a detector under p at threshold.
func (c *Corpus) scoreAt(scores map[string][]float64, p Profile, threshold float64) ProfileResult {
	r := ProfileResult{Profile: p, Threshold: threshold, PerFile: make([]float64, len(c.Files))}
	for k, f := range c.Files {
		sigma, window := f.Weights(p)
		a := scores[f.Name]
		best := make([]float64, len(f.Windows))
		counted := make([]bool, len(f.Windows))
		for g := range best {
			best[g] = -p.FN
		}
		var fp float64
		for i := f.Probation; i < len(a); i++ {
			hit, w := a[i] >= threshold, window[i]
			if w >= 0 {
				counted[w] = true
			}
			switch {
			case w >= 0 && hit:
				r.TP++
				best[w] = max(best[w], sigma[i])
			case w >= 0:
				r.FN++
			case hit:
				r.FP++
				fp += sigma[i]
			default:
				r.TN++
			}
		}
		s := fp
		for g, b := range best {
			if counted[g] {
				s += b
			}
		}
		r.PerFile[k] = s
		r.Raw += s
	}
	null, perfect := -p.FN*float64(c.Windows), p.TP*float64(c.Windows)
	if perfect > null {
		r.Score = 100 * (r.Raw - null) / (perfect - null)
	}
	return r
}
