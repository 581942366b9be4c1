package loghub

// Score is the accuracy of predicted groups against ground truth, as
// logparser's evaluator (logparser/utils/evaluator.py) computes it.
type Score struct {
	// N is the number of lines with ground truth.
	N int
	// GA is the grouping accuracy: the fraction of lines whose predicted
	// group is exactly their ground-truth group, as a set of lines.
	GA float64
	// Precision, Recall and F1 are pairwise: over the pairs of lines in
	// one predicted group, the share also in one true group, and the
	// converse. A zero denominator gives 0.
	Precision, Recall, F1 float64
}

// GroupingAccuracy returns Evaluate(truth, pred).GA.
func GroupingAccuracy(truth, pred []string) float64 {
	return Evaluate(truth, pred).GA
}

// Evaluate scores predicted labels against ground-truth labels, aligned
// by line. A line whose truth is "" is dropped, as the evaluator drops
// missing EventIds. A line whose prediction is "" (or that pred is too
// short to cover) belongs to no predicted group: it never counts as
// correctly grouped, and it forms no pairs.
func Evaluate(truth, pred []string) Score {
	type group struct {
		size  int
		truth map[string]int
	}
	trueCount := map[string]int{}
	groups := map[string]*group{}
	var order []string
	n := 0
	for i, g := range truth {
		if g == "" {
			continue
		}
		n++
		trueCount[g]++
		if i >= len(pred) || pred[i] == "" {
			continue
		}
		p := groups[pred[i]]
		if p == nil {
			p = &group{truth: map[string]int{}}
			groups[pred[i]] = p
			order = append(order, pred[i])
		}
		p.size++
		p.truth[g]++
	}
	pairs := func(c int) float64 { return float64(c) * float64(c-1) / 2 }
	var realPairs, parsedPairs, accuratePairs float64
	for _, c := range trueCount {
		realPairs += pairs(c)
	}
	correct := 0
	for _, key := range order {
		p := groups[key]
		parsedPairs += pairs(p.size)
		for g, c := range p.truth {
			accuratePairs += pairs(c)
			if len(p.truth) == 1 && trueCount[g] == p.size {
				correct += p.size
			}
		}
	}
	s := Score{N: n}
	if n > 0 {
		s.GA = float64(correct) / float64(n)
	}
	if parsedPairs > 0 {
		s.Precision = accuratePairs / parsedPairs
	}
	if realPairs > 0 {
		s.Recall = accuratePairs / realPairs
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
