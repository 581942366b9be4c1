package ops

import (
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/functions"
)

// Filter keeps the rows for which a predicate is true.
type Filter struct {
	callStates
	pred *expr.Evaluator
	idx  []int32
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a filter on pred; states are the stateful calls it
// holds (CallStates), if any.
func NewFilter(pred *expr.Evaluator, states ...functions.KernelState) *Filter {
	return &Filter{callStates: callStates{states: states}, pred: pred}
}

// Push implements Operator.
func (f *Filter) Push(ctx *functions.Context, c batch.Chunk, emit Emit) error {
	v, err := f.pred.Eval(ctx, c.Rec)
	if err != nil {
		return err
	}
	if v.IsScalar() {
		if v.Scalar.Null || !v.Scalar.Bool() {
			return nil
		}
		return emit(c)
	}
	var all bool
	f.idx, all = batch.Selected(v.Array, f.idx)
	switch {
	case all:
		return emit(c)
	case len(f.idx) == 0:
		return nil
	}
	return emit(batch.Chunk{Rec: batch.Take(c.Rec, f.idx), Signs: batch.TakeSigns(c.Signs, f.idx)})
}
