package ops

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// LookupJoinConfig configures a stream-table join.
type LookupJoinConfig struct {
	// Stream and Table are the two sides' schemas.
	Stream, Table types.Schema
	// StreamKeys[i] = TableKeys[i] are the equality conditions.
	StreamKeys, TableKeys []int
	// TableKeyIsPK says TableKeys is the table's whole primary key, in
	// key order, so a match is a point lookup.
	TableKeyIsPK bool
	// Left keeps stream rows without a match, padded with NULLs.
	Left bool
	// StreamFirst puts the stream's columns first in the output (the
	// stream was the join's left input); otherwise the table's come first.
	StreamFirst bool
	// Residual, if set, is the rest of the join condition, over the
	// output columns.
	Residual *expr.Evaluator
	// Snapshot returns the table's current contents.
	Snapshot func() *view.Snapshot
	Out      types.Schema
}

// LookupJoin joins each stream row with the table as it is when the row
// is processed (a processing-time temporal join): later changes to the
// table do not revise earlier results. Retractions of an updating stream
// are joined like insertions, so the result stays keyed by the stream's
// key.
type LookupJoin struct {
	stateless
	cfg      LookupJoinConfig
	keyEnc   *rowcodec.Encoder
	tabTypes []types.Type
	schema   *arrow.Schema
	// index is the hash index of a non-primary-key join, rebuilt when the
	// table's snapshot changes.
	indexOf *view.Snapshot
	index   map[string][]string
	keyBufs [][]byte
}

var _ Operator = (*LookupJoin)(nil)

// NewLookupJoin returns a stream-table join.
func NewLookupJoin(cfg LookupJoinConfig) *LookupJoin {
	j := &LookupJoin{cfg: cfg, keyEnc: rowcodec.NewEncoder(cfg.Stream, cfg.StreamKeys), schema: cfg.Out.Arrow()}
	for _, c := range cfg.Table {
		j.tabTypes = append(j.tabTypes, c.Type)
	}
	return j
}

// matches returns the table rows matching an encoded key.
func (j *LookupJoin) matches(sn *view.Snapshot, key []byte) []string {
	if j.cfg.TableKeyIsPK {
		if row, ok := sn.GetBytes(key); ok {
			return []string{row}
		}
		return nil
	}
	if j.indexOf != sn {
		j.index = map[string][]string{}
		dec := rowcodec.NewColumns(j.tabTypes)
		var rows []string
		sn.Rows(func(row string) bool {
			rows = append(rows, row)
			return sn.DecodeRow(dec, row) == nil
		})
		arrs := dec.Arrays()
		if len(rows) > 0 {
			rec := array.NewRecordBatch(j.cfg.Table.Arrow(), arrs, int64(len(rows)))
			bufs := make([][]byte, len(rows))
			rowcodec.NewEncoder(j.cfg.Table, j.cfg.TableKeys).Append(bufs, rec)
		rowLoop:
			for i, k := range bufs {
				for _, c := range j.cfg.TableKeys {
					if rec.Column(c).IsNull(i) {
						continue rowLoop // a NULL key never matches
					}
				}
				j.index[string(k)] = append(j.index[string(k)], rows[i])
			}
		}
		j.indexOf = sn
	}
	return j.index[string(key)]
}

// Push implements Operator.
func (j *LookupJoin) Push(ctx *functions.Context, c batch.Chunk, emit Emit) error {
	n := c.Len()
	sn := j.cfg.Snapshot()
	if cap(j.keyBufs) < n {
		j.keyBufs = make([][]byte, n)
	}
	bufs := j.keyBufs[:n]
	for i := range bufs {
		bufs[i] = bufs[i][:0]
	}
	j.keyEnc.Append(bufs, c.Rec)
	nullKeys := make([]bool, n)
	for _, col := range j.cfg.StreamKeys {
		arr := c.Rec.Column(col)
		if arr.NullN() == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			if arr.IsNull(i) {
				nullKeys[i] = true
			}
		}
	}
	var streamIdx []int32
	dec := rowcodec.NewColumns(j.tabTypes)
	var matched []bool // per output row: has a table row
	for i := 0; i < n; i++ {
		var rows []string
		if !nullKeys[i] {
			rows = j.matches(sn, bufs[i])
		}
		for _, r := range rows {
			if err := sn.DecodeRow(dec, r); err != nil {
				return fmt.Errorf("BUG: table row: %w", err)
			}
			streamIdx = append(streamIdx, int32(i))
			matched = append(matched, true)
		}
		if len(rows) == 0 && j.cfg.Left {
			streamIdx = append(streamIdx, int32(i))
			matched = append(matched, false)
		}
	}
	if len(streamIdx) == 0 {
		return nil
	}
	tableCols := j.tableColumns(dec, matched)
	out := j.assemble(c.Rec, streamIdx, tableCols)
	signs := batch.TakeSigns(c.Signs, streamIdx)
	if j.cfg.Residual == nil {
		return emit(batch.Chunk{Rec: out, Signs: signs})
	}
	mask, err := j.cfg.Residual.EvalArray(ctx, out)
	if err != nil {
		return err
	}
	keep, all := batch.Selected(mask, nil)
	if all {
		return emit(batch.Chunk{Rec: out, Signs: signs})
	}
	if !j.cfg.Left {
		if len(keep) == 0 {
			return nil
		}
		return emit(batch.Chunk{Rec: batch.Take(out, keep), Signs: batch.TakeSigns(signs, keep)})
	}
	return j.leftResidual(c, streamIdx, out, signs, keep, emit)
}

// tableColumns builds the table side's columns for the output rows:
// decoded rows where matched, NULLs elsewhere.
func (j *LookupJoin) tableColumns(dec *rowcodec.Columns, matched []bool) []arrow.Array {
	decoded := dec.Arrays()
	idx := make([]int32, len(matched))
	pos := int32(0)
	allMatched := true
	for i, m := range matched {
		if m {
			idx[i] = pos
			pos++
		} else {
			idx[i] = -1
			allMatched = false
		}
	}
	if allMatched {
		return decoded
	}
	out := make([]arrow.Array, len(decoded))
	for c, arr := range decoded {
		nulls := array.MakeArrayOfNull(memory.DefaultAllocator, arr.DataType(), 1)
		joined, _ := array.Concatenate([]arrow.Array{arr, nulls}, memory.DefaultAllocator)
		take := make([]int32, len(idx))
		for i, x := range idx {
			if x < 0 {
				take[i] = int32(arr.Len())
			} else {
				take[i] = x
			}
		}
		out[c] = batch.TakeArray(joined, take)
	}
	return out
}

func (j *LookupJoin) assemble(stream arrow.RecordBatch, streamIdx []int32, tableCols []arrow.Array) arrow.RecordBatch {
	s := batch.Take(stream, streamIdx)
	cols := make([]arrow.Array, 0, len(j.cfg.Out))
	if j.cfg.StreamFirst {
		cols = append(append(cols, s.Columns()...), tableCols...)
	} else {
		cols = append(append(cols, tableCols...), s.Columns()...)
	}
	return array.NewRecordBatch(j.schema, cols, int64(len(streamIdx)))
}

// leftResidual applies a residual condition to a LEFT join: a stream row
// whose every match fails the residual is emitted once with NULLs.
func (j *LookupJoin) leftResidual(c batch.Chunk, streamIdx []int32, out arrow.RecordBatch, signs []int8, keep []int32, emit Emit) error {
	kept := make(map[int32]bool, len(keep))
	var rows []int32
	for _, k := range keep {
		kept[streamIdx[k]] = true
		rows = append(rows, k)
	}
	var unmatched []int32
	seen := map[int32]bool{}
	for _, s := range streamIdx {
		if !kept[s] && !seen[s] {
			seen[s] = true
			unmatched = append(unmatched, s)
		}
	}
	if len(rows) > 0 {
		if err := emit(batch.Chunk{Rec: batch.Take(out, rows), Signs: batch.TakeSigns(signs, rows)}); err != nil {
			return err
		}
	}
	if len(unmatched) == 0 {
		return nil
	}
	matched := make([]bool, len(unmatched))
	tableCols := j.tableColumns(rowcodec.NewColumns(j.tabTypes), matched)
	return emit(batch.Chunk{Rec: j.assemble(c.Rec, unmatched, tableCols), Signs: batch.TakeSigns(c.Signs, unmatched)})
}
