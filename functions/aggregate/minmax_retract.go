package aggregate

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tidwall/btree"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

func newMinMaxRetractable(t types.Type, isMax bool) functions.GroupState {
	switch t.Kind {
	case types.Int16:
		return newExtremumMultiset[int16](t, isMax)
	case types.Int32, types.Date:
		return newExtremumMultiset[int32](t, isMax)
	case types.Float32:
		return newExtremumMultiset[float32](t, isMax)
	case types.Float64:
		return newExtremumMultiset[float64](t, isMax)
	case types.Text, types.Varchar, types.Name:
		return newExtremumMultiset[string](t, isMax)
	}
	return newExtremumMultiset[int64](t, isMax)
}

// countedItem is one distinct value of a group and its multiplicity.
type countedItem[T sortable] struct {
	v T
	n int64
}

// extremumMultiset is min or max over an updating input: each group
// keeps a B-tree of its distinct values with their counts, so a
// retraction of the current extreme falls back to the next value in
// O(log n). Equal values (including -0 and 0, and every NaN) share an
// entry.
type extremumMultiset[T sortable] struct {
	t     types.Type
	isMax bool
	clone func(T) T
	trees []*btree.BTreeG[countedItem[T]]
	buf   []T
	hint  btree.PathHint
}

var _ functions.GroupState = (*extremumMultiset[int64])(nil)

func newExtremumMultiset[T sortable](t types.Type, isMax bool) *extremumMultiset[T] {
	return &extremumMultiset[T]{t: t, isMax: isMax, clone: cloneFor[T]()}
}

func countedLess[T sortable](a, b countedItem[T]) bool { return sortLess(a.v, b.v) }

func (s *extremumMultiset[T]) newTree() *btree.BTreeG[countedItem[T]] {
	return btree.NewBTreeGOptions(countedLess[T], btree.Options{NoLocks: true, Degree: bagDegree})
}

func (s *extremumMultiset[T]) Resize(n int) { s.trees = grow(s.trees, n) }

func (s *extremumMultiset[T]) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	vals := valuesOf(args[0], &s.buf)
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		tr := s.trees[g]
		if tr == nil {
			tr = s.newTree()
			s.trees[g] = tr
		}
		it, ok := tr.GetHint(countedItem[T]{v: vals[i]}, &s.hint)
		switch {
		case signs != nil && signs[i] < 0:
			if !ok {
				continue // a retraction of a value never seen: nothing to undo
			}
			if it.n--; it.n == 0 {
				tr.DeleteHint(it, &s.hint)
				continue
			}
		case ok:
			it.n++
		default:
			it = countedItem[T]{v: s.clone(vals[i]), n: 1}
		}
		tr.SetHint(it, &s.hint)
	}
	return nil
}

func (s *extremumMultiset[T]) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]T, len(groups))
	var validity []byte
	nulls := 0
	for i, g := range groups {
		var it countedItem[T]
		ok := false
		if tr := s.trees[g]; tr != nil {
			if s.isMax {
				it, ok = tr.Max()
			} else {
				it, ok = tr.Min()
			}
		}
		if !ok {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
			continue
		}
		out[i] = it.v
	}
	return buildSortable(s.t, out, validity, nulls), nil
}

func (s *extremumMultiset[T]) Reset(g uint32) { s.trees[g] = nil }

func (s *extremumMultiset[T]) Empty(g uint32) bool { return s.trees[g] == nil || s.trees[g].Len() == 0 }

// MarshalGroup writes the number of distinct values, then each value in
// ascending order with its count.
func (s *extremumMultiset[T]) MarshalGroup(dst []byte, g uint32) []byte {
	tr := s.trees[g]
	if tr == nil {
		return binary.AppendUvarint(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(tr.Len()))
	tr.Scan(func(it countedItem[T]) bool {
		dst = putI64(putSortable(dst, it.v), it.n)
		return true
	})
	return dst
}

func (s *extremumMultiset[T]) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	n, src, err := getUvarint(src)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(src)) {
		return nil, errShortState
	}
	var tr *btree.BTreeG[countedItem[T]]
	if n > 0 {
		tr = s.newTree()
	}
	for ; n > 0; n-- {
		var it countedItem[T]
		if it.v, src, err = getSortable[T](src); err != nil {
			return nil, err
		}
		if it.n, src, err = getI64(src); err != nil {
			return nil, err
		}
		if it.n <= 0 {
			return nil, errBadState
		}
		tr.Set(it)
	}
	s.trees[g] = tr
	return src, nil
}
