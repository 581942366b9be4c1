package aggregate

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// bool_and, its SQL-standard spelling every, and bool_or. DISTINCT does
// not change their results, so it is ignored.
func registerBoolAgg(r *functions.Registry) {
	for _, f := range []struct {
		name  string
		isAnd bool
		doc   string
	}{
		{"bool_and", true, "true if every non-null input is true"},
		{"every", true, "true if every non-null input is true (SQL-standard spelling of bool_and)"},
		{"bool_or", false, "true if any non-null input is true"},
	} {
		f := f
		r.AddAggregate(&functions.Aggregate{
			Name: f.name, Args: []types.Type{types.BoolType}, Ret: types.BoolType, IgnoresNulls: true,
			Doc: f.doc,
			New: func([]types.Type, functions.AggOptions) (functions.GroupState, error) {
				return &boolAggState{isAnd: f.isAnd}, nil
			},
		})
	}
}

// boolAggState counts each group's true and false inputs, so that
// retractions are exact: bool_and is "no false input", bool_or is "some
// true input", and both are NULL with no input.
type boolAggState struct {
	isAnd bool
	t, f  []int64
}

var _ functions.GroupState = (*boolAggState)(nil)

func (s *boolAggState) Resize(n int) { s.t, s.f = grow(s.t, n), grow(s.f, n) }

func (s *boolAggState) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	bm, off := vec.Validity(args[0])
	vals, voff := boolBits(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		d := int64(1)
		if signs != nil && signs[i] < 0 {
			d = -1
		}
		if vals[(voff+i)>>3]&(1<<((voff+i)&7)) != 0 {
			s.t[g] += d
		} else {
			s.f[g] += d
		}
	}
	return nil
}

func (s *boolAggState) Finalize(groups []uint32) (arrow.Array, error) {
	bits := vec.Bitmap(len(groups))
	var validity []byte
	nulls := 0
	for i, g := range groups {
		if s.t[g]+s.f[g] == 0 {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
			continue
		}
		if (s.isAnd && s.f[g] == 0) || (!s.isAnd && s.t[g] > 0) {
			bits[i>>3] |= 1 << (i & 7)
		}
	}
	return vec.NewBool(len(groups), bits, validity, nulls), nil
}

func (s *boolAggState) Reset(g uint32)      { s.t[g], s.f[g] = 0, 0 }
func (s *boolAggState) Empty(g uint32) bool { return s.t[g]+s.f[g] == 0 }

func (s *boolAggState) MarshalGroup(dst []byte, g uint32) []byte {
	return putI64(putI64(dst, s.t[g]), s.f[g])
}

func (s *boolAggState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	var err error
	if s.t[g], src, err = getI64(src); err != nil {
		return nil, err
	}
	s.f[g], src, err = getI64(src)
	return src, err
}
