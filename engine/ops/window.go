package ops

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
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
//
// It is also where lateness is decided, because it sees the source's
// rows unchanged: a window whose end is at or before the watermark is
// closed, and a row whose windows are all closed is late. Late rows are
// counted and, if a LateSink is set, handed to it with their origin.
// (A hopping row with only some windows closed goes to the open ones.)
type WindowAssign struct {
	timeCol             int
	size, slide, offset int64
	schema              *arrow.Schema
	idx                 []int32
	starts              []int64
	lateIdx             []int32
	session             bool

	wm   int64
	late int64
	// LateSink, if set, receives the late rows of each chunk.
	LateSink func(c batch.Chunk, rows []int32) error
}

var _ Operator = (*WindowAssign)(nil)

// NewWindowAssign returns the operator; slide == size for a tumbling
// window. out is the input schema plus window_start, window_end.
func NewWindowAssign(timeCol int, size, slide, offset int64, out types.Schema) *WindowAssign {
	return &WindowAssign{timeCol: timeCol, size: size, slide: slide, offset: offset, schema: out.Arrow(), wm: window.NoWatermark}
}

// NewSessionAssign returns the operator for session windows: each row
// gets the singleton session [ts, ts+gap), which SessionAgg merges; a
// row is late when its singleton session ends at or before the
// watermark.
func NewSessionAssign(timeCol int, gap int64, out types.Schema) *WindowAssign {
	return &WindowAssign{timeCol: timeCol, size: gap, slide: gap, schema: out.Arrow(), wm: window.NoWatermark, session: true}
}

// Late returns the number of late rows dropped.
func (w *WindowAssign) Late() int64 { return w.late }

// Watermark implements Operator: it moves the lateness threshold.
func (w *WindowAssign) Watermark(_ *functions.Context, wm int64, _ Emit) error {
	w.wm = max(w.wm, wm)
	return nil
}

// Push implements Operator.
func (w *WindowAssign) Push(_ *functions.Context, c batch.Chunk, emit Emit) error {
	ts := c.Rec.Column(w.timeCol)
	vals := vec.Values[int64](ts)
	n := len(vals)
	w.idx, w.starts, w.lateIdx = w.idx[:0], w.starts[:0], w.lateIdx[:0]
	repeat := w.size / w.slide
	if repeat > 1 {
		return w.pushHop(c, emit)
	}
	for i := 0; i < n; i++ {
		if ts.IsNull(i) {
			continue
		}
		if repeat == 1 {
			start := window.TumbleStart(vals[i], w.size, w.offset)
			if w.session {
				start = vals[i]
			}
			if start+w.size <= w.wm && (c.Signs == nil || c.Signs[i] > 0) {
				w.lateIdx = append(w.lateIdx, int32(i))
				continue
			}
			w.starts = append(w.starts, start)
			w.idx = append(w.idx, int32(i))
			continue
		}
		before := len(w.starts)
		w.starts = window.HopStarts(w.starts, vals[i], w.slide, w.size, w.offset)
		kept := before
		for k := before; k < len(w.starts); k++ {
			if w.starts[k]+w.size <= w.wm && (c.Signs == nil || c.Signs[i] > 0) {
				continue
			}
			w.starts[kept] = w.starts[k]
			kept++
			w.idx = append(w.idx, int32(i))
		}
		w.starts = w.starts[:kept]
		if kept == before {
			w.lateIdx = append(w.lateIdx, int32(i))
		}
	}
	if len(w.lateIdx) > 0 {
		w.late += int64(len(w.lateIdx))
		if w.LateSink != nil {
			if err := w.LateSink(c, w.lateIdx); err != nil {
				return err
			}
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

// pushHop assigns rows to hopping windows. It emits one chunk per
// window position k (the k-th window of each row, earliest first), each
// the input's own columns (shared, not copied) plus that window's start
// and end; only a position where some rows are dropped (a closed window,
// a NULL time) takes a copy of the rows kept. Rows therefore come out
// grouped by window position rather than each row's windows together.
func (w *WindowAssign) pushHop(c batch.Chunk, emit Emit) error {
	ts := c.Rec.Column(w.timeCol)
	vals := vec.Values[int64](ts)
	n := len(vals)
	repeat := int(w.size / w.slide)
	if n == 0 {
		return nil
	}
	bm, off := vec.Validity(ts)
	// first[i] is the start of row i's earliest window.
	first := w.starts[:0]
	for _, v := range vals {
		first = append(first, window.TumbleStart(v, w.slide, w.offset)-w.size+w.slide)
	}
	w.starts = first
	open := func(i, k int) bool {
		return vec.IsValid(bm, off, i) &&
			(first[i]+int64(k)*w.slide+w.size > w.wm || (c.Signs != nil && c.Signs[i] < 0))
	}
	for i := 0; i < n; i++ {
		if vec.IsValid(bm, off, i) && !open(i, repeat-1) {
			w.lateIdx = append(w.lateIdx, int32(i))
		}
	}
	if len(w.lateIdx) > 0 {
		w.late += int64(len(w.lateIdx))
		if w.LateSink != nil {
			if err := w.LateSink(c, w.lateIdx); err != nil {
				return err
			}
		}
	}
	// Every row is open at position k when no time is NULL and the
	// earliest first window among rows that can be late (not
	// retractions) ends after the watermark at k.
	minFirst, bounded := int64(0), false
	if bm == nil && w.wm != window.NoWatermark {
		for i, f := range first {
			if (c.Signs == nil || c.Signs[i] >= 0) && (!bounded || f < minFirst) {
				minFirst, bounded = f, true
			}
		}
	}
	dt := ts.DataType()
	for k := 0; k < repeat; k++ {
		shift := int64(k) * w.slide
		all := bm == nil && (!bounded || minFirst+shift+w.size > w.wm)
		rec, signs := c.Rec, c.Signs
		m := n
		if !all {
			w.idx = w.idx[:0]
			for i := 0; i < n; i++ {
				if open(i, k) {
					w.idx = append(w.idx, int32(i))
				}
			}
			if len(w.idx) == 0 {
				continue
			}
			m = len(w.idx)
			rec = batch.Take(c.Rec, w.idx)
			signs = batch.TakeSigns(c.Signs, w.idx)
		}
		// One allocation holds the position's starts and ends.
		slab := make([]int64, 2*m)
		starts, ends := slab[:m:m], slab[m:]
		if all {
			for i, f := range first {
				starts[i] = f + shift
			}
		} else {
			for j, i := range w.idx {
				starts[j] = first[i] + shift
			}
		}
		for i, s := range starts {
			ends[i] = s + w.size
		}
		cols := make([]arrow.Array, 0, rec.NumCols()+2)
		cols = append(cols, rec.Columns()...)
		cols = append(cols, vec.NewFixed(dt, starts, nil, 0), vec.NewFixed(dt, ends, nil, 0))
		if err := emit(batch.Chunk{Rec: array.NewRecordBatch(w.schema, cols, int64(m)), Signs: signs}); err != nil {
			return err
		}
	}
	return nil
}

const windowAssignVersion = 1

// Snapshot implements state.Snapshotter: the lateness threshold and the
// late count.
func (w *WindowAssign) Snapshot(dst []byte) ([]byte, error) {
	sw := state.Writer{Buf: append(dst, windowAssignVersion)}
	sw.Varint(w.wm)
	sw.Varint(w.late)
	return sw.Buf, nil
}

// Restore implements state.Snapshotter.
func (w *WindowAssign) Restore(src []byte) error {
	if len(src) == 0 || src[0] != windowAssignVersion {
		return fmt.Errorf("window assignment: unknown state version")
	}
	r := state.Reader{Buf: src[1:]}
	w.wm = r.Varint()
	w.late = r.Varint()
	return r.Err
}
