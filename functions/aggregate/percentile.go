package aggregate

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tidwall/btree"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The exact ordered-set aggregates percentile_cont(fraction) WITHIN
// GROUP (ORDER BY x) over double precision (integer inputs are cast by
// the binder) and percentile_disc(fraction) WITHIN GROUP (ORDER BY x)
// over every ordered type, with Postgres's definitions:
//
//   - percentile_cont interpolates linearly between the values at
//     0-based positions floor(f·(n−1)) and ceil(f·(n−1)) of the sorted
//     non-null inputs;
//   - percentile_disc returns the value at 1-based position
//     max(1, ceil(f·n)), the first whose position reaches the fraction.
//
// The fraction is a direct argument, evaluated per row here; a group
// uses the last non-null fraction it saw (they are normally one
// constant), and a NULL fraction gives NULL. A fraction outside [0, 1]
// (or NaN) is error 22003 as soon as it is seen. Each group keeps its
// inputs in a B-tree ordered by (value, arrival), so insertion,
// retraction and the position lookup are O(log n).
func registerPercentile(r *functions.Registry) {
	r.AddAggregate(&functions.Aggregate{
		Name: "percentile_cont", Args: []types.Type{types.Float64Type, types.Float64Type}, Ret: types.Float64Type,
		Ordered: true, IgnoresNulls: true,
		Doc: "continuous percentile: interpolates linearly between the two inputs nearest the fraction (exact)",
		New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
			return withDistinct("percentile_cont", args, []types.Type{types.Float64Type, types.Float64Type}, opts,
				func(functions.AggOptions) (functions.GroupState, error) {
					s := newPercentile[float64](types.Float64Type, opts)
					s.asFloat = func(v float64) float64 { return v }
					return s, nil
				})
		},
	})
	for _, t := range orderedTypes {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "percentile_disc", Args: []types.Type{types.Float64Type, t}, Ret: t, Ordered: true, IgnoresNulls: true,
			Doc: "discrete percentile: the first input whose position in the ordering reaches the fraction (exact)",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				return withDistinct("percentile_disc", args, []types.Type{types.Float64Type, t}, opts,
					func(functions.AggOptions) (functions.GroupState, error) {
						switch t.Kind {
						case types.Int16:
							return newPercentile[int16](t, opts), nil
						case types.Int32, types.Date:
							return newPercentile[int32](t, opts), nil
						case types.Float32:
							return newPercentile[float32](t, opts), nil
						case types.Float64:
							return newPercentile[float64](t, opts), nil
						case types.Text, types.Varchar, types.Name:
							return newPercentile[string](t, opts), nil
						}
						return newPercentile[int64](t, opts), nil
					})
			},
		})
	}
}

// The states of a group's fraction.
const (
	fracNone uint8 = iota
	fracSet
	fracNull
)

// pctItem is one input; seq makes equal values distinct tree items.
type pctItem[T sortable] struct {
	v   T
	seq uint64
}

// percentileState is percentile_disc, or with asFloat set
// percentile_cont, over values of Go type T.
type percentileState[T sortable] struct {
	t       types.Type
	desc    bool
	asFloat func(T) float64
	clone   func(T) T
	trees   []*btree.BTreeG[pctItem[T]]
	frac    []float64
	fracSt  []uint8
	seq     uint64
	it      btree.IterG[pctItem[T]]
	buf     []T
}

var _ functions.GroupState = (*percentileState[float64])(nil)

func newPercentile[T sortable](t types.Type, opts functions.AggOptions) *percentileState[T] {
	s := &percentileState[T]{t: t, clone: cloneFor[T]()}
	if len(opts.Order) > 0 {
		s.desc = opts.Order[0].Desc
	}
	return s
}

// pctLess orders inputs by value, then arrival.
func pctLess[T sortable](a, b pctItem[T]) bool {
	if sortLess(a.v, b.v) {
		return true
	}
	if sortLess(b.v, a.v) {
		return false
	}
	return a.seq < b.seq
}

func (s *percentileState[T]) newTree() *btree.BTreeG[pctItem[T]] {
	return btree.NewBTreeGOptions(pctLess[T], btree.Options{NoLocks: true, Degree: bagDegree})
}

func (s *percentileState[T]) Resize(n int) {
	s.trees, s.frac, s.fracSt = grow(s.trees, n), grow(s.frac, n), grow(s.fracSt, n)
}

// fracOutOfRange is Postgres's error for a fraction outside [0, 1].
func fracOutOfRange(f float64) error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "percentile value %g is not between 0 and 1", f)
}

func (s *percentileState[T]) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	fr := vec.Values[float64](args[0])
	fbm, foff := vec.Validity(args[0])
	vals := valuesOf(args[1], &s.buf)
	bm, off := vec.Validity(args[1])
	for i, g := range groups {
		if g == functions.NoGroup {
			continue
		}
		if !validBit(fbm, foff, i) {
			s.fracSt[g] = fracNull
		} else {
			f := fr[i]
			if !(f >= 0 && f <= 1) {
				return fracOutOfRange(f)
			}
			s.frac[g], s.fracSt[g] = f, fracSet
		}
		if !validBit(bm, off, i) {
			continue
		}
		tr := s.trees[g]
		if signs != nil && signs[i] < 0 {
			if tr != nil {
				s.remove(tr, vals[i])
			}
			continue
		}
		if tr == nil {
			tr = s.newTree()
			s.trees[g] = tr
		}
		s.seq++
		tr.Set(pctItem[T]{v: s.clone(vals[i]), seq: s.seq})
	}
	return nil
}

// remove deletes one input equal to v, if there is one.
func (s *percentileState[T]) remove(tr *btree.BTreeG[pctItem[T]], v T) {
	s.it.Init(tr, false)
	found := s.it.Seek(pctItem[T]{v: v})
	var hit pctItem[T]
	if found {
		hit = s.it.Item()
	}
	s.it.Release()
	if found && !sortLess(v, hit.v) && !sortLess(hit.v, v) {
		tr.Delete(hit)
	}
}

// at returns the value at 0-based position i of the WITHIN GROUP order.
func (s *percentileState[T]) at(tr *btree.BTreeG[pctItem[T]], i int) T {
	if s.desc {
		i = tr.Len() - 1 - i
	}
	it, _ := tr.GetAt(i)
	return it.v
}

func (s *percentileState[T]) Finalize(groups []uint32) (arrow.Array, error) {
	var validity []byte
	nulls := 0
	setNull := func(i int) {
		if validity == nil {
			validity = vec.AllValid(len(groups))
		}
		validity[i>>3] &^= 1 << (i & 7)
		nulls++
	}
	if s.asFloat != nil {
		out := make([]float64, len(groups))
		for i, g := range groups {
			tr := s.trees[g]
			if tr == nil || tr.Len() == 0 || s.fracSt[g] != fracSet {
				setNull(i)
				continue
			}
			pos := s.frac[g] * float64(tr.Len()-1)
			lo, hi := math.Floor(pos), math.Ceil(pos)
			v := s.asFloat(s.at(tr, int(lo)))
			if hi != lo {
				w := s.asFloat(s.at(tr, int(hi)))
				v += (w - v) * (pos - lo)
			}
			out[i] = v
		}
		return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
	}
	out := make([]T, len(groups))
	for i, g := range groups {
		tr := s.trees[g]
		if tr == nil || tr.Len() == 0 || s.fracSt[g] != fracSet {
			setNull(i)
			continue
		}
		row := int(math.Ceil(s.frac[g] * float64(tr.Len())))
		out[i] = s.at(tr, min(max(row, 1), tr.Len())-1)
	}
	return buildSortable(s.t, out, validity, nulls), nil
}

func (s *percentileState[T]) Reset(g uint32) {
	s.trees[g], s.frac[g], s.fracSt[g] = nil, 0, fracNone
}

func (s *percentileState[T]) Empty(g uint32) bool { return s.trees[g] == nil || s.trees[g].Len() == 0 }

// MarshalGroup writes the fraction state (and fraction), the number of
// inputs and the inputs in ascending order.
func (s *percentileState[T]) MarshalGroup(dst []byte, g uint32) []byte {
	dst = append(dst, s.fracSt[g])
	if s.fracSt[g] == fracSet {
		dst = putF64(dst, s.frac[g])
	}
	tr := s.trees[g]
	if tr == nil {
		return binary.AppendUvarint(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(tr.Len()))
	tr.Scan(func(it pctItem[T]) bool {
		dst = putSortable(dst, it.v)
		return true
	})
	return dst
}

func (s *percentileState[T]) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 || src[0] > fracNull {
		return nil, errShortState
	}
	st := src[0]
	src = src[1:]
	var f float64
	var err error
	if st == fracSet {
		if f, src, err = getF64(src); err != nil {
			return nil, err
		}
		if !(f >= 0 && f <= 1) {
			return nil, errBadState
		}
	}
	n, src, err := getUvarint(src)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(src)) {
		return nil, errShortState
	}
	var tr *btree.BTreeG[pctItem[T]]
	if n > 0 {
		tr = s.newTree()
	}
	for ; n > 0; n-- {
		var v T
		if v, src, err = getSortable[T](src); err != nil {
			return nil, err
		}
		s.seq++
		tr.Set(pctItem[T]{v: v, seq: s.seq})
	}
	s.trees[g], s.frac[g], s.fracSt[g] = tr, f, st
	return src, nil
}
