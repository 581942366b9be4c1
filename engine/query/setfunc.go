package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// setFunc runs a set-returning function: it evaluates the arguments
// (constants by now) once and materialises the generated rows.
func (r *Runner) setFunc(n *plan.SetFunc) ([]arrow.RecordBatch, error) {
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	args := make([]types.Datum, len(n.Args))
	var cols [][]types.Datum
	null := false
	for i, a := range n.Args {
		ev, err := r.compile(a, 0)
		if err != nil {
			return nil, err
		}
		v, err := ev.eval(one)
		if err != nil {
			return nil, err
		}
		args[i] = functions.ValueDatum(v, a.Type(), 0)
		null = null || args[i].Null
	}
	if !null {
		var err error
		if cols, err = n.Gen(args); err != nil {
			return nil, err
		}
	}
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0])
	}
	arrs := make([]arrow.Array, len(n.Cols))
	for j, c := range n.Cols {
		var col []types.Datum
		if j < len(cols) {
			col = cols[j]
		} else {
			col = make([]types.Datum, rows)
		}
		arrs[j] = functions.BuildArray(c.Type, col)
	}
	return []arrow.RecordBatch{array.NewRecordBatch(n.Cols.Arrow(), arrs, int64(rows))}, nil
}
