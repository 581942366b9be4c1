package aggregate

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

func registerMinMax(r *functions.Registry) {
	for _, isMax := range []bool{false, true} {
		name := "min"
		if isMax {
			name = "max"
		}
		for _, t := range orderedTypes {
			t, isMax, name := t, isMax, name
			r.AddAggregate(&functions.Aggregate{
				Name: name, Args: []types.Type{t}, Ret: t, IgnoresNulls: true,
				Doc: name + "imum of the non-null inputs",
				New: func(_ []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
					// DISTINCT cannot change a minimum or maximum.
					if opts.Retractable {
						return newMinMaxRetractable(t, isMax), nil
					}
					return newMinMax(t, isMax), nil
				},
			})
		}
	}
}

func newMinMax(t types.Type, isMax bool) functions.GroupState {
	switch t.Kind {
	case types.Int16:
		return &extremum[int16]{t: t, isMax: isMax}
	case types.Int32, types.Date:
		return &extremum[int32]{t: t, isMax: isMax}
	case types.Float32:
		return &extremumFloat[float32]{extremum[float32]{t: t, isMax: isMax}}
	case types.Float64:
		return &extremumFloat[float64]{extremum[float64]{t: t, isMax: isMax}}
	case types.Text, types.Varchar, types.Name:
		return &extremumText{t: t, isMax: isMax}
	}
	return &extremum[int64]{t: t, isMax: isMax}
}

// extremum is min or max over a fixed-width ordered type (append-only).
type extremum[T int16 | int32 | int64 | float32 | float64] struct {
	t     types.Type
	isMax bool
	v     []T
	has   []bool
}

func (s *extremum[T]) Resize(n int) { s.v, s.has = grow(s.v, n), grow(s.has, n) }

func (s *extremum[T]) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	vals := vec.Values[T](args[0])
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		x := vals[i]
		if !s.has[g] || (s.isMax && x > s.v[g]) || (!s.isMax && x < s.v[g]) {
			s.v[g], s.has[g] = x, true
		}
	}
	return nil
}

func (s *extremum[T]) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]T, len(groups))
	var validity []byte
	nulls := 0
	for i, g := range groups {
		if !s.has[g] {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
			continue
		}
		out[i] = s.v[g]
	}
	return vec.NewFixed(s.t.Arrow(), out, validity, nulls), nil
}

func (s *extremum[T]) Reset(g uint32) {
	var zero T
	s.v[g], s.has[g] = zero, false
}

func (s *extremum[T]) Empty(g uint32) bool { return !s.has[g] }

func (s *extremum[T]) MarshalGroup(dst []byte, g uint32) []byte {
	if !s.has[g] {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	switch any(s.v[g]).(type) {
	case float32, float64:
		return putF64(dst, float64(s.v[g]))
	}
	return putI64(dst, int64(s.v[g]))
}

func (s *extremum[T]) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 {
		return nil, errShortState
	}
	has := src[0] == 1
	src = src[1:]
	s.has[g] = has
	if !has {
		return src, nil
	}
	switch any(s.v[g]).(type) {
	case float32, float64:
		f, rest, err := getF64(src)
		s.v[g] = T(f)
		return rest, err
	}
	v, rest, err := getI64(src)
	s.v[g] = T(v)
	return rest, err
}

// extremumFloat orders NaN above every number, as Postgres does.
type extremumFloat[T float32 | float64] struct{ extremum[T] }

func (s *extremumFloat[T]) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	vals := vec.Values[T](args[0])
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		x := vals[i]
		if !s.has[g] {
			s.v[g], s.has[g] = x, true
			continue
		}
		if s.replaces(x, s.v[g]) {
			s.v[g] = x
		}
	}
	return nil
}

// replaces reports whether x is a new extreme over cur (strictly
// greater for max, less for min; NaN is greatest).
func (s *extremumFloat[T]) replaces(x, cur T) bool {
	if s.isMax {
		return x > cur || (x != x && cur == cur)
	}
	return x < cur || (cur != cur && x == x)
}

// extremumText is min or max over text, compared bytewise (COLLATE "C").
type extremumText struct {
	t     types.Type
	isMax bool
	v     []string
	has   []bool
}

func (s *extremumText) Resize(n int) { s.v, s.has = grow(s.v, n), grow(s.has, n) }

func (s *extremumText) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	strs := vec.StringsOf(args[0])
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		x := strs.String(i)
		if !s.has[g] || (s.isMax && x > s.v[g]) || (!s.isMax && x < s.v[g]) {
			// Clone: x aliases the input batch.
			s.v[g], s.has[g] = strings.Clone(x), true
		}
	}
	return nil
}

func (s *extremumText) Finalize(groups []uint32) (arrow.Array, error) {
	b := vec.NewStringBuilder(len(groups))
	for _, g := range groups {
		if !s.has[g] {
			b.AppendNull()
			continue
		}
		b.AppendString(s.v[g])
	}
	return b.Finish(s.t.Arrow()), nil
}

func (s *extremumText) Reset(g uint32)      { s.v[g], s.has[g] = "", false }
func (s *extremumText) Empty(g uint32) bool { return !s.has[g] }

func (s *extremumText) MarshalGroup(dst []byte, g uint32) []byte {
	if !s.has[g] {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = putI64(dst, int64(len(s.v[g])))
	return append(dst, s.v[g]...)
}

func (s *extremumText) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 {
		return nil, errShortState
	}
	has := src[0] == 1
	src = src[1:]
	s.has[g] = has
	if !has {
		s.v[g] = ""
		return src, nil
	}
	n, rest, err := getI64(src)
	if err != nil || int64(len(rest)) < n || n < 0 {
		return nil, errShortState
	}
	s.v[g] = string(rest[:n])
	return rest[n:], nil
}
