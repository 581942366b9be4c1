package aggregate

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// avg returns double precision for every numeric input (Postgres returns
// numeric for integer inputs; Tocsin has no numeric type). Integer inputs
// are summed exactly in int64 before the division.
func registerAvg(r *functions.Registry) {
	for _, t := range numeric {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "avg", Args: []types.Type{t}, Ret: types.Float64Type, IgnoresNulls: true,
			Doc: "arithmetic mean of the non-null inputs",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				return withDistinct("avg", args, []types.Type{t}, opts, func(functions.AggOptions) (functions.GroupState, error) {
					if t.IsFloat() {
						return &avgFloat{sumFloat{in: t, out: types.Float64Type}}, nil
					}
					return &avgInt{sumInt{in: t}}, nil
				})
			},
		})
	}
}

type avgFloat struct{ sumFloat }

type avgInt struct{ sumInt }

var (
	_ functions.GroupState = (*avgFloat)(nil)
	_ functions.GroupState = (*avgInt)(nil)
)

func (s *avgFloat) Finalize(groups []uint32) (arrow.Array, error) {
	validity, nulls := nullWhereEmpty(groups, s.cnt)
	out := make([]float64, len(groups))
	for i, g := range groups {
		if s.cnt[g] != 0 {
			out[i] = s.sum[g] / float64(s.cnt[g])
		}
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}

func (s *avgInt) Finalize(groups []uint32) (arrow.Array, error) {
	validity, nulls := nullWhereEmpty(groups, s.cnt)
	out := make([]float64, len(groups))
	for i, g := range groups {
		if s.cnt[g] != 0 {
			out[i] = float64(s.sum[g]) / float64(s.cnt[g])
		}
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}
