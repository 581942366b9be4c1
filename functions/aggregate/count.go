package aggregate

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

func registerCount(r *functions.Registry) {
	r.AddAggregate(&functions.Aggregate{
		Name: "count", Ret: types.Int64Type, Star: true, Doc: "number of input rows",
		New: func([]types.Type, functions.AggOptions) (functions.GroupState, error) { return &countState{}, nil },
	})
	for _, t := range valueTypes {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "count", Args: []types.Type{t}, Ret: types.Int64Type, IgnoresNulls: true,
			Doc: "number of input rows for which the argument is not null",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				return withDistinct("count", args, []types.Type{t}, opts, func(functions.AggOptions) (functions.GroupState, error) {
					return &countState{}, nil
				})
			},
		})
	}
}

// countState is count(*) (no argument) and count(x) (skips NULL x).
type countState struct{ n []int64 }

var _ functions.GroupState = (*countState)(nil)

func (s *countState) Resize(n int) { s.n = grow(s.n, n) }

func (s *countState) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	var bm []byte
	off := 0
	if len(args) > 0 {
		bm, off = vec.Validity(args[0])
	}
	switch {
	case signs == nil && bm == nil:
		for _, g := range groups {
			if g != functions.NoGroup {
				s.n[g]++
			}
		}
	default:
		for i, g := range groups {
			if g == functions.NoGroup || !validBit(bm, off, i) {
				continue
			}
			if signs != nil {
				s.n[g] += int64(signs[i])
			} else {
				s.n[g]++
			}
		}
	}
	return nil
}

func (s *countState) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]int64, len(groups))
	for i, g := range groups {
		out[i] = s.n[g]
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Int64, out, nil, 0), nil
}

func (s *countState) Reset(g uint32)      { s.n[g] = 0 }
func (s *countState) Empty(g uint32) bool { return s.n[g] == 0 }

func (s *countState) MarshalGroup(dst []byte, g uint32) []byte { return putI64(dst, s.n[g]) }

func (s *countState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	v, rest, err := getI64(src)
	s.n[g] = v
	return rest, err
}
