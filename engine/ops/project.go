package ops

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Project computes expressions over each row.
type Project struct {
	callStates
	exprs  []*expr.Evaluator
	schema *arrow.Schema
}

var _ Operator = (*Project)(nil)

// NewProject returns a projection producing out from exprs. states are
// the stateful calls the expressions hold (CallStates), if any.
func NewProject(exprs []*expr.Evaluator, out types.Schema, states ...functions.KernelState) *Project {
	return &Project{callStates: callStates{states: states}, exprs: exprs, schema: out.Arrow()}
}

// Push implements Operator.
func (p *Project) Push(ctx *functions.Context, c batch.Chunk, emit Emit) error {
	rec, err := p.Apply(ctx, c.Rec)
	if err != nil {
		return err
	}
	return emit(batch.Chunk{Rec: rec, Signs: c.Signs})
}

// Apply projects one record.
func (p *Project) Apply(ctx *functions.Context, in arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		a, err := e.EvalArray(ctx, in)
		if err != nil {
			return nil, err
		}
		cols[i] = a
	}
	return array.NewRecordBatch(p.schema, cols, in.NumRows()), nil
}
