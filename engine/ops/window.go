package ops

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// WindowAssign appends window_start and window_end to each row for a
// tumbling or hopping window on a timestamp column; a hopping window
// repeats the row once per window it falls in. Rows with a NULL time
// belong to no window and are dropped (sources reject them earlier when
// the column carries the watermark).
type WindowAssign struct {
	stateless
	timeCol             int
	size, slide, offset int64
	schema              *arrow.Schema
	idx                 []int32
	starts              []int64
}

var _ Operator = (*WindowAssign)(nil)

// NewWindowAssign returns the operator; slide == size for a tumbling
// window. out is the input schema plus window_start, window_end.
func NewWindowAssign(timeCol int, size, slide, offset int64, out types.Schema) *WindowAssign {
	return &WindowAssign{timeCol: timeCol, size: size, slide: slide, offset: offset, schema: out.Arrow()}
}

// Push implements Operator.
func (w *WindowAssign) Push(_ *functions.Context, c batch.Chunk, emit Emit) error {
	ts := c.Rec.Column(w.timeCol)
	vals := vec.Values[int64](ts)
	n := len(vals)
	w.idx, w.starts = w.idx[:0], w.starts[:0]
	repeat := w.size / w.slide
	for i := 0; i < n; i++ {
		if ts.IsNull(i) {
			continue
		}
		if repeat == 1 {
			w.starts = append(w.starts, window.TumbleStart(vals[i], w.size, w.offset))
			w.idx = append(w.idx, int32(i))
			continue
		}
		before := len(w.starts)
		w.starts = window.HopStarts(w.starts, vals[i], w.slide, w.size, w.offset)
		for k := before; k < len(w.starts); k++ {
			w.idx = append(w.idx, int32(i))
		}
	}
	rec, signs := c.Rec, c.Signs
	if len(w.idx) != n {
		rec = batch.Take(c.Rec, w.idx)
		signs = batch.TakeSigns(c.Signs, w.idx)
	}
	m := len(w.idx)
	starts := make([]int64, m)
	ends := make([]int64, m)
	copy(starts, w.starts)
	for i, s := range starts {
		ends[i] = s + w.size
	}
	dt := ts.DataType()
	cols := make([]arrow.Array, 0, rec.NumCols()+2)
	cols = append(cols, rec.Columns()...)
	cols = append(cols, vec.NewFixed(dt, starts, nil, 0), vec.NewFixed(dt, ends, nil, 0))
	return emit(batch.Chunk{Rec: array.NewRecordBatch(w.schema, cols, int64(m)), Signs: signs})
}
