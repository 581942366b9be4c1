package aggregate

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// sum over integers returns bigint (Postgres returns numeric for
// sum(bigint); Tocsin has no numeric type and reports 22003 on overflow
// instead of widening). sum over floats returns the input's float type
// as in Postgres (real → real, double → double).
func registerSum(r *functions.Registry) {
	for _, t := range numeric {
		t := t
		ret := types.Int64Type
		if t.IsFloat() {
			ret = t
		}
		r.AddAggregate(&functions.Aggregate{
			Name: "sum", Args: []types.Type{t}, Ret: ret, IgnoresNulls: true, Doc: "sum of the non-null inputs",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				return withDistinct("sum", args, []types.Type{t}, opts, func(functions.AggOptions) (functions.GroupState, error) {
					if t.IsFloat() {
						return &sumFloat{in: t, out: ret}, nil
					}
					return &sumInt{in: t}, nil
				})
			},
		})
	}
	r.AddAggregate(&functions.Aggregate{
		Name: "sum", Args: []types.Type{types.IntervalType}, Ret: types.IntervalType, IgnoresNulls: true,
		Doc: "sum of the non-null intervals",
		New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
			return withDistinct("sum", args, []types.Type{types.IntervalType}, opts, func(functions.AggOptions) (functions.GroupState, error) {
				return &sumInterval{}, nil
			})
		},
	})
}

// sumInt keeps an exact int64 sum and the count of inputs (the result is
// NULL for a group with no non-null input).
type sumInt struct {
	in  types.Type
	sum []int64
	cnt []int64
}

var _ functions.GroupState = (*sumInt)(nil)

func (s *sumInt) Resize(n int) { s.sum, s.cnt = grow(s.sum, n), grow(s.cnt, n) }

func (s *sumInt) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	x := args[0]
	switch s.in.Kind {
	case types.Int16:
		return sumIntLoop(s, vec.Values[int16](x), x, groups, signs)
	case types.Int32:
		return sumIntLoop(s, vec.Values[int32](x), x, groups, signs)
	}
	return sumIntLoop(s, vec.Values[int64](x), x, groups, signs)
}

func sumIntLoop[T int16 | int32 | int64](s *sumInt, vals []T, x arrow.Array, groups []uint32, signs []int8) error {
	bm, off := vec.Validity(x)
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		v := int64(vals[i])
		c := int64(1)
		if signs != nil && signs[i] < 0 {
			v, c = -v, -1
		}
		r := s.sum[g] + v
		if (r > s.sum[g]) != (v > 0) {
			return sqlerr.New(sqlerr.NumericValueOutOfRange, "bigint out of range")
		}
		s.sum[g] = r
		s.cnt[g] += c
	}
	return nil
}

func (s *sumInt) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]int64, len(groups))
	validity, nulls := nullWhereEmpty(groups, s.cnt)
	for i, g := range groups {
		out[i] = s.sum[g]
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Int64, out, validity, nulls), nil
}

func (s *sumInt) Reset(g uint32)      { s.sum[g], s.cnt[g] = 0, 0 }
func (s *sumInt) Empty(g uint32) bool { return s.cnt[g] == 0 }

func (s *sumInt) MarshalGroup(dst []byte, g uint32) []byte {
	return putI64(putI64(dst, s.sum[g]), s.cnt[g])
}

func (s *sumInt) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	var err error
	if s.sum[g], src, err = getI64(src); err != nil {
		return nil, err
	}
	s.cnt[g], src, err = getI64(src)
	return src, err
}

// nullWhereEmpty returns a validity bitmap that is unset for groups with
// a zero count, or nil if every group has inputs.
func nullWhereEmpty(groups []uint32, cnt []int64) ([]byte, int) {
	var validity []byte
	nulls := 0
	for i, g := range groups {
		if cnt[g] == 0 {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
		}
	}
	return validity, nulls
}

// sumFloat keeps a float64 sum and a count.
type sumFloat struct {
	in, out types.Type
	sum     []float64
	cnt     []int64
}

var _ functions.GroupState = (*sumFloat)(nil)

func (s *sumFloat) Resize(n int) { s.sum, s.cnt = grow(s.sum, n), grow(s.cnt, n) }

func (s *sumFloat) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	if s.in.Kind == types.Float32 {
		floatFold(s.sum, s.cnt, vec.Values[float32](args[0]), args[0], groups, signs)
	} else {
		floatFold(s.sum, s.cnt, vec.Values[float64](args[0]), args[0], groups, signs)
	}
	return nil
}

// floatFold adds (or with sign -1 subtracts) each valid row into its
// group's sum and count.
func floatFold[T float32 | float64](sum []float64, cnt []int64, vals []T, x arrow.Array, groups []uint32, signs []int8) {
	bm, off := vec.Validity(x)
	if bm == nil && signs == nil {
		for i, g := range groups {
			if g != functions.NoGroup {
				sum[g] += float64(vals[i])
				cnt[g]++
			}
		}
		return
	}
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		if signs != nil && signs[i] < 0 {
			sum[g] -= float64(vals[i])
			cnt[g]--
		} else {
			sum[g] += float64(vals[i])
			cnt[g]++
		}
	}
}

func (s *sumFloat) Finalize(groups []uint32) (arrow.Array, error) {
	validity, nulls := nullWhereEmpty(groups, s.cnt)
	if s.out.Kind == types.Float32 {
		out := make([]float32, len(groups))
		for i, g := range groups {
			if math.Abs(s.sum[g]) > math.MaxFloat32 && !math.IsInf(s.sum[g], 0) {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			out[i] = float32(s.sum[g])
		}
		return vec.NewFixed(arrow.PrimitiveTypes.Float32, out, validity, nulls), nil
	}
	out := make([]float64, len(groups))
	for i, g := range groups {
		out[i] = s.sum[g]
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}

func (s *sumFloat) Reset(g uint32)      { s.sum[g], s.cnt[g] = 0, 0 }
func (s *sumFloat) Empty(g uint32) bool { return s.cnt[g] == 0 }

func (s *sumFloat) MarshalGroup(dst []byte, g uint32) []byte {
	return putI64(putF64(dst, s.sum[g]), s.cnt[g])
}

func (s *sumFloat) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	var err error
	if s.sum[g], src, err = getF64(src); err != nil {
		return nil, err
	}
	s.cnt[g], src, err = getI64(src)
	return src, err
}

// sumInterval sums intervals field by field.
type sumInterval struct {
	v   []arrow.MonthDayNanoInterval
	cnt []int64
}

var _ functions.GroupState = (*sumInterval)(nil)

func (s *sumInterval) Resize(n int) { s.v, s.cnt = grow(s.v, n), grow(s.cnt, n) }

func (s *sumInterval) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	vals := vec.Values[arrow.MonthDayNanoInterval](args[0])
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		sign := int32(1)
		if signs != nil && signs[i] < 0 {
			sign = -1
		}
		s.v[g].Months += sign * vals[i].Months
		s.v[g].Days += sign * vals[i].Days
		s.v[g].Nanoseconds += int64(sign) * vals[i].Nanoseconds
		s.cnt[g] += int64(sign)
	}
	return nil
}

func (s *sumInterval) Finalize(groups []uint32) (arrow.Array, error) {
	validity, nulls := nullWhereEmpty(groups, s.cnt)
	out := make([]arrow.MonthDayNanoInterval, len(groups))
	for i, g := range groups {
		out[i] = s.v[g]
	}
	return vec.NewFixed(arrow.FixedWidthTypes.MonthDayNanoInterval, out, validity, nulls), nil
}

func (s *sumInterval) Reset(g uint32) {
	s.v[g], s.cnt[g] = arrow.MonthDayNanoInterval{}, 0
}
func (s *sumInterval) Empty(g uint32) bool { return s.cnt[g] == 0 }

func (s *sumInterval) MarshalGroup(dst []byte, g uint32) []byte {
	dst = putI64(dst, int64(s.v[g].Months))
	dst = putI64(dst, int64(s.v[g].Days))
	dst = putI64(dst, s.v[g].Nanoseconds)
	return putI64(dst, s.cnt[g])
}

func (s *sumInterval) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	var m, d, ns, c int64
	var err error
	for _, p := range []*int64{&m, &d, &ns, &c} {
		if *p, src, err = getI64(src); err != nil {
			return nil, err
		}
	}
	s.v[g] = arrow.MonthDayNanoInterval{Months: int32(m), Days: int32(d), Nanoseconds: ns}
	s.cnt[g] = c
	return src, nil
}
