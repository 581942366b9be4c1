package aggregate

import (
	"fmt"

	"github.com/tocsin-db/tocsin/functions"
)

// Merging states. A state whose groups combine exactly has MergeGroups:
// it folds group src of from (a state made by the same constructor)
// into group dst[src] of the receiver for every src whose dst[src] is
// not functions.NoGroup, in increasing src, with exactly the result of
// updating the receiver with the rows folded into from, group src after
// group src (each group's rows in their order).
// The hash aggregate uses it for hopping windows: a batch's rows are
// folded into one state per distinct group once, and that state is
// merged into each window position's groups.
//
// Only states whose merge is exact have it: count, and the append-only
// min and max (the first of equal extremes stays, as Update keeps it).
// Float sums and averages do not (merging partial sums rounds
// differently from adding rows one by one), nor integer sums (a partial
// sum can overflow where the running one does not, or the reverse).

// MergeGroups folds from's counts into the receiver's (see above).
func (s *countState) MergeGroups(from functions.GroupState, dst []uint32) error {
	f, ok := from.(*countState)
	if !ok {
		return mergeMismatch(s, from)
	}
	n := f.n[:len(dst)]
	for src, g := range dst {
		if g != functions.NoGroup {
			s.n[g] += n[src]
		}
	}
	return nil
}

// MergeGroups folds from's extremes into the receiver's (see above).
func (s *extremum[T]) MergeGroups(from functions.GroupState, dst []uint32) error {
	f, ok := from.(*extremum[T])
	if !ok || f.isMax != s.isMax {
		return mergeMismatch(s, from)
	}
	for src, g := range dst {
		if g == functions.NoGroup || !f.has[src] {
			continue
		}
		x := f.v[src]
		if !s.has[g] || (s.isMax && x > s.v[g]) || (!s.isMax && x < s.v[g]) {
			s.v[g], s.has[g] = x, true
		}
	}
	return nil
}

// MergeGroups folds from's extremes into the receiver's, NaN greatest
// as in Update (see above).
func (s *extremumFloat[T]) MergeGroups(from functions.GroupState, dst []uint32) error {
	f, ok := from.(*extremumFloat[T])
	if !ok || f.isMax != s.isMax {
		return mergeMismatch(s, from)
	}
	for src, g := range dst {
		if g == functions.NoGroup || !f.has[src] {
			continue
		}
		x := f.v[src]
		if !s.has[g] || s.replaces(x, s.v[g]) {
			s.v[g], s.has[g] = x, true
		}
	}
	return nil
}

func mergeMismatch(s, from functions.GroupState) error {
	return fmt.Errorf("BUG: aggregate merge of a %T into a %T", from, s)
}
