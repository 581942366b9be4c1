package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// setOp executes UNION, INTERSECT and EXCEPT by hashing whole rows'
// memcomparable encodings (so NULLs equal each other, as DISTINCT
// requires). Output keeps the order of first occurrence.
func (r *Runner) setOp(n *plan.SetOp) ([]arrow.RecordBatch, error) {
	lin, err := r.Run(n.Left)
	if err != nil {
		return nil, err
	}
	rin, err := r.Run(n.Right)
	if err != nil {
		return nil, err
	}
	schema := n.Schema()
	as := schema.Arrow()
	if n.Kind == plan.Union && n.All {
		out := make([]arrow.RecordBatch, 0, len(lin)+len(rin))
		for _, rec := range append(lin, rin...) {
			out = append(out, array.NewRecordBatch(as, rec.Columns(), rec.NumRows()))
		}
		return out, nil
	}
	left, err := batch.Concat(as, relabel(as, lin))
	if err != nil {
		return nil, err
	}
	right, err := batch.Concat(as, relabel(as, rin))
	if err != nil {
		return nil, err
	}
	lkeys := encodeRows(left, schema)
	rkeys := encodeRows(right, schema)
	var keep []int32
	switch n.Kind {
	case plan.Union:
		all, err := batch.Concat(as, []arrow.RecordBatch{left, right})
		if err != nil {
			return nil, err
		}
		seen := make(map[string]struct{}, len(lkeys)+len(rkeys))
		for i, k := range append(lkeys, rkeys...) {
			if _, dup := seen[k]; !dup {
				seen[k] = struct{}{}
				keep = append(keep, int32(i))
			}
		}
		return []arrow.RecordBatch{batch.Take(all, keep)}, nil
	case plan.Intersect, plan.Except:
		count := make(map[string]int, len(rkeys))
		for _, k := range rkeys {
			count[k]++
		}
		seen := map[string]struct{}{}
		for i, k := range lkeys {
			c := count[k]
			var emit bool
			switch {
			case n.Kind == plan.Intersect && n.All:
				emit = c > 0
				if emit {
					count[k] = c - 1
				}
			case n.Kind == plan.Except && n.All:
				emit = c == 0
				if !emit {
					count[k] = c - 1
				}
			default:
				if _, dup := seen[k]; dup {
					continue
				}
				seen[k] = struct{}{}
				emit = (c > 0) == (n.Kind == plan.Intersect)
			}
			if emit {
				keep = append(keep, int32(i))
			}
		}
		return []arrow.RecordBatch{batch.Take(left, keep)}, nil
	}
	return nil, errBug("set operation %s", n.Kind)
}

// relabel gives batches the schema s (same column types, other names).
func relabel(s *arrow.Schema, in []arrow.RecordBatch) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(in))
	for i, rec := range in {
		out[i] = array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
	}
	return out
}

// encodeRows encodes every column of each row.
func encodeRows(rec arrow.RecordBatch, schema types.Schema) []string {
	cols := make([]int, len(schema))
	for i := range cols {
		cols[i] = i
	}
	bufs := arenaRows(int(rec.NumRows()), 10*len(cols))
	rowcodec.NewEncoder(schema, cols).Append(bufs, rec)
	return joinStrings(bufs)
}
