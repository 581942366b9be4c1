package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// projectSet runs the set-returning functions of a select list over
// each input row (plan.ProjectSet): the functions advance in lockstep,
// a row yields as many rows as its longest function, shorter functions
// are padded with NULL, and a row whose functions all return nothing
// disappears. Arguments are evaluated column-at-a-time per batch; the
// generated rows are built row by row (select-list SRFs serve catalog
// queries and small expansions).
func (r *Runner) projectSet(n *plan.ProjectSet) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	width := len(n.Input.Schema())
	evs := make([][]*evaluator, len(n.Funcs))
	for i, f := range n.Funcs {
		evs[i] = make([]*evaluator, len(f.Args))
		for j, a := range f.Args {
			if evs[i][j], err = r.compile(a, width); err != nil {
				return nil, err
			}
		}
	}
	schema := n.Schema()
	arrowSchema := schema.Arrow()
	var out []arrow.RecordBatch
	for _, rec := range in {
		rows := int(rec.NumRows())
		args := make([][]functions.Value, len(n.Funcs))
		for i, f := range n.Funcs {
			args[i] = make([]functions.Value, len(f.Args))
			for j, ev := range evs[i] {
				if args[i][j], err = ev.eval(rec); err != nil {
					return nil, err
				}
			}
		}
		var take []int32
		cols := make([][]types.Datum, len(n.Funcs))
		gen := make([][]types.Datum, len(n.Funcs))
		for row := 0; row < rows; row++ {
			longest := 0
			for i, f := range n.Funcs {
				if gen[i], err = generate(f, args[i], row); err != nil {
					return nil, err
				}
				longest = max(longest, len(gen[i]))
			}
			for k := 0; k < longest; k++ {
				take = append(take, int32(row))
				for i, f := range n.Funcs {
					d := types.NullDatum(f.Type())
					if k < len(gen[i]) {
						d = gen[i][k]
					}
					cols[i] = append(cols[i], d)
				}
			}
		}
		if len(take) == 0 {
			continue
		}
		base := batch.Take(rec, take)
		arrs := make([]arrow.Array, 0, len(schema))
		arrs = append(arrs, base.Columns()...)
		for i, f := range n.Funcs {
			arrs = append(arrs, functions.BuildArray(f.Type(), cols[i]))
		}
		out = append(out, array.NewRecordBatch(arrowSchema, arrs, int64(len(take))))
	}
	return out, nil
}

// generate returns the values one function call yields for one row: its
// Field column, or its rows in record form. A strict set-returning
// function yields nothing when an argument is NULL.
func generate(f *plan.SRFCall, args []functions.Value, row int) ([]types.Datum, error) {
	ds := make([]types.Datum, len(args))
	for j, a := range args {
		ds[j] = functions.ValueDatum(a, f.Args[j].Type(), row)
		if ds[j].Null {
			return nil, nil
		}
	}
	cols, err := f.Gen(ds)
	if err != nil || len(cols) == 0 {
		return nil, err
	}
	if f.Field >= 0 {
		out := cols[f.Field]
		for k := range out {
			out[k].Type = f.Cols[f.Field].Type
		}
		return out, nil
	}
	out := make([]types.Datum, len(cols[0]))
	fields := make([]types.Datum, len(cols))
	for k := range out {
		for j := range cols {
			fields[j] = cols[j][k]
		}
		out[k] = types.StringDatum(types.TextType, scalar.FormatRecord(fields))
	}
	return out, nil
}
