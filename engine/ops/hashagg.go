package ops

import (
	"container/heap"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// AggSpec is one aggregate of a HashAgg: its state, a constructor for a
// fresh empty state (used to compact group ids), and the input columns of
// its arguments and FILTER (-1 for none).
type AggSpec struct {
	State  functions.GroupState
	New    func() (functions.GroupState, error)
	Args   []int
	Filter int
}

// WindowClose tells a windowed HashAgg where a group's window ends: at
// the value of key column KeyCol (an index into the key list) plus Plus
// (0 when the key is window_end, the window size when it is
// window_start).
type WindowClose struct {
	KeyCol int
	Plus   int64
}

// HashAggConfig configures a HashAgg.
type HashAggConfig struct {
	Input types.Schema
	// Keys are the input columns to group by.
	Keys []int
	Aggs []AggSpec
	// Out is the output schema: the keys then one column per aggregate.
	Out types.Schema
	// Window, if set, makes the aggregate windowed: groups are freed when
	// the watermark passes their window's end, and rows for a closed
	// window are late.
	Window *WindowClose
	// EmitOnClose emits each group once, when its window closes, instead
	// of after every batch that changes it.
	EmitOnClose bool
}

// HashAgg is grouped aggregation over typed per-group state. Group keys
// are rowcodec encodings mapped to dense ids; aggregate states are
// arrays indexed by id; freed ids are reused, so state is bounded by the
// number of open groups.
type HashAgg struct {
	cfg      HashAggConfig
	keyTypes []types.Type
	enc      *rowcodec.Encoder
	schema   *arrow.Schema

	groups   map[string]uint32
	keys     []string
	ends     []int64
	rowCount []int64
	live     []bool
	mark     []bool
	free     []uint32
	byEnd    map[int64][]uint32
	endHeap  endHeap
	capacity int

	wm   int64
	late int64

	// Checkpoint bookkeeping: groups changed and keys removed since the
	// last Checkpoint.
	dirty   []uint32
	isDirty []bool
	deleted []string

	rowBufs [][]byte
	gids    []uint32
	fgids   []uint32
	touched []uint32
	emptied []uint32
}

var _ Operator = (*HashAgg)(nil)

// NewHashAgg returns an empty aggregate.
func NewHashAgg(cfg HashAggConfig) *HashAgg {
	h := &HashAgg{cfg: cfg, schema: cfg.Out.Arrow(), wm: window.NoWatermark}
	for _, k := range cfg.Keys {
		h.keyTypes = append(h.keyTypes, cfg.Input[k].Type)
	}
	h.enc = rowcodec.NewEncoder(cfg.Input, cfg.Keys)
	h.reset()
	return h
}

func (h *HashAgg) reset() {
	// Clear every slot the states may hold, so ids handed out after a
	// Restore start empty.
	for id := range h.keys {
		for _, a := range h.cfg.Aggs {
			a.State.Reset(uint32(id))
		}
	}
	h.groups = map[string]uint32{}
	h.keys, h.ends, h.rowCount, h.live, h.mark, h.free = nil, nil, nil, nil, nil, nil
	h.dirty, h.isDirty, h.deleted = nil, nil, nil
	h.byEnd = map[int64][]uint32{}
	h.endHeap = nil
	h.capacity = 0
}

// Late returns the number of rows dropped because their window had
// closed.
func (h *HashAgg) Late() int64 { return h.late }

// Groups returns the number of open groups.
func (h *HashAgg) Groups() int { return len(h.groups) }

func (h *HashAgg) alloc(key []byte, end int64) uint32 {
	var id uint32
	if n := len(h.free); n > 0 {
		id = h.free[n-1]
		h.free = h.free[:n-1]
	} else {
		id = uint32(len(h.keys))
		h.keys = append(h.keys, "")
		h.ends = append(h.ends, 0)
		h.rowCount = append(h.rowCount, 0)
		h.live = append(h.live, false)
		h.mark = append(h.mark, false)
		h.isDirty = append(h.isDirty, false)
		if len(h.keys) > h.capacity {
			h.capacity = max(16, 2*h.capacity)
			for _, a := range h.cfg.Aggs {
				a.State.Resize(h.capacity)
			}
		}
	}
	k := string(key)
	h.groups[k] = id
	h.keys[id], h.ends[id], h.rowCount[id], h.live[id] = k, end, 0, true
	if h.cfg.Window != nil {
		if _, ok := h.byEnd[end]; !ok {
			heap.Push(&h.endHeap, end)
		}
		h.byEnd[end] = append(h.byEnd[end], id)
	}
	return id
}

func (h *HashAgg) markDirty(id uint32) {
	if !h.isDirty[id] {
		h.isDirty[id] = true
		h.dirty = append(h.dirty, id)
	}
}

func (h *HashAgg) release(id uint32) {
	h.deleted = append(h.deleted, h.keys[id])
	h.isDirty[id] = false
	delete(h.groups, h.keys[id])
	h.keys[id], h.live[id], h.rowCount[id] = "", false, 0
	for _, a := range h.cfg.Aggs {
		a.State.Reset(id)
	}
	h.free = append(h.free, id)
}

// Push implements Operator.
func (h *HashAgg) Push(_ *functions.Context, c batch.Chunk, emit Emit) error {
	rec := c.Rec
	n := int(rec.NumRows())
	if cap(h.rowBufs) < n {
		h.rowBufs = make([][]byte, n)
	}
	h.rowBufs = h.rowBufs[:n]
	for i := range h.rowBufs {
		h.rowBufs[i] = h.rowBufs[i][:0]
	}
	h.enc.Append(h.rowBufs, rec)
	var endVals []int64
	var plus int64
	if w := h.cfg.Window; w != nil {
		endVals = vec.Values[int64](rec.Column(h.cfg.Keys[w.KeyCol]))
		plus = w.Plus
	}
	if cap(h.gids) < n {
		h.gids = make([]uint32, n)
	}
	gids := h.gids[:n]
	for i := 0; i < n; i++ {
		sign := int64(1)
		if c.Signs != nil {
			sign = int64(c.Signs[i])
		}
		var end int64
		if endVals != nil {
			end = endVals[i] + plus
			if end <= h.wm {
				if sign > 0 {
					h.late++
				}
				gids[i] = functions.NoGroup
				continue
			}
		}
		id, ok := h.groups[string(h.rowBufs[i])]
		if !ok {
			if sign < 0 {
				// A retraction for a group this aggregate never saw (its
				// window already closed): nothing to undo.
				gids[i] = functions.NoGroup
				continue
			}
			id = h.alloc(h.rowBufs[i], end)
		}
		gids[i] = id
		h.rowCount[id] += sign
		if !h.mark[id] {
			h.mark[id] = true
			h.touched = append(h.touched, id)
			h.markDirty(id)
		}
	}
	for _, a := range h.cfg.Aggs {
		g := gids
		if a.Filter >= 0 {
			g = h.filtered(gids, rec.Column(a.Filter))
		}
		args := make([]arrow.Array, len(a.Args))
		for j, col := range a.Args {
			args[j] = rec.Column(col)
		}
		if err := a.State.Update(args, g, c.Signs); err != nil {
			return err
		}
	}
	touched := h.touched
	h.touched = h.touched[:0]
	for _, id := range touched {
		h.mark[id] = false
	}
	if h.cfg.EmitOnClose {
		return nil
	}
	// Groups whose every row was retracted are deleted.
	var upserts []uint32
	h.emptied = h.emptied[:0]
	for _, id := range touched {
		if h.rowCount[id] <= 0 {
			h.emptied = append(h.emptied, id)
		} else {
			upserts = append(upserts, id)
		}
	}
	if len(h.emptied) > 0 {
		out, err := h.output(h.emptied)
		if err != nil {
			return err
		}
		signs := make([]int8, len(h.emptied))
		for i := range signs {
			signs[i] = -1
		}
		for _, id := range h.emptied {
			h.release(id)
		}
		if err := emit(batch.Chunk{Rec: out, Signs: signs}); err != nil {
			return err
		}
	}
	if len(upserts) == 0 {
		return nil
	}
	out, err := h.output(upserts)
	if err != nil {
		return err
	}
	return emit(batch.Chunk{Rec: out})
}

// filtered returns the group ids with NoGroup where the FILTER column is
// not true.
func (h *HashAgg) filtered(gids []uint32, pred arrow.Array) []uint32 {
	if cap(h.fgids) < len(gids) {
		h.fgids = make([]uint32, len(gids))
	}
	out := h.fgids[:len(gids)]
	b := pred.(*array.Boolean)
	for i, g := range gids {
		if b.IsValid(i) && b.Value(i) {
			out[i] = g
		} else {
			out[i] = functions.NoGroup
		}
	}
	return out
}

// output builds the output rows of the given groups: decoded keys, then
// each aggregate's result.
func (h *HashAgg) output(ids []uint32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(h.keyTypes)+len(h.cfg.Aggs))
	if len(h.keyTypes) > 0 {
		dec := rowcodec.NewColumns(h.keyTypes)
		for _, id := range ids {
			if _, err := dec.DecodeRow([]byte(h.keys[id])); err != nil {
				return nil, fmt.Errorf("BUG: hash aggregate key: %w", err)
			}
		}
		cols = append(cols, dec.Arrays()...)
	}
	for _, a := range h.cfg.Aggs {
		arr, err := a.State.Finalize(ids)
		if err != nil {
			return nil, err
		}
		cols = append(cols, arr)
	}
	return array.NewRecordBatch(h.schema, cols, int64(len(ids))), nil
}

// Watermark implements Operator: windows whose end is at or before wm
// close; with EmitOnClose their rows are emitted (ordered by key), and
// their state is freed either way.
func (h *HashAgg) Watermark(_ *functions.Context, wm int64, emit Emit) error {
	if wm <= h.wm {
		return nil
	}
	h.wm = wm
	if h.cfg.Window == nil {
		return nil
	}
	var closed []uint32
	for len(h.endHeap) > 0 && h.endHeap[0] <= wm {
		end := heap.Pop(&h.endHeap).(int64)
		for _, id := range h.byEnd[end] {
			if h.live[id] && h.ends[id] == end {
				closed = append(closed, id)
			}
		}
		delete(h.byEnd, end)
	}
	if len(closed) == 0 {
		return nil
	}
	var err error
	if h.cfg.EmitOnClose {
		sort.Slice(closed, func(i, j int) bool { return h.keys[closed[i]] < h.keys[closed[j]] })
		var out arrow.RecordBatch
		if out, err = h.output(closed); err == nil {
			err = emit(batch.Chunk{Rec: out})
		}
	}
	for _, id := range closed {
		h.release(id)
	}
	if err == nil {
		err = h.maybeCompact()
	}
	return err
}

// endHeap is a min-heap of window ends.
type endHeap []int64

func (e endHeap) Len() int           { return len(e) }
func (e endHeap) Less(i, j int) bool { return e[i] < e[j] }
func (e endHeap) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *endHeap) Push(x any)        { *e = append(*e, x.(int64)) }
func (e *endHeap) Pop() any {
	old := *e
	v := old[len(old)-1]
	*e = old[:len(old)-1]
	return v
}

// Flush emits the current result of every open group (ordered by key),
// for one-shot batch queries. With no keys and no groups it emits the
// aggregates over no rows (count 0, sum NULL), as SQL requires of an
// ungrouped aggregate.
func (h *HashAgg) Flush(emit Emit) error {
	var ids []uint32
	for id, live := range h.live {
		if live {
			ids = append(ids, uint32(id))
		}
	}
	if len(ids) == 0 && len(h.cfg.Keys) == 0 {
		ids = []uint32{h.alloc(nil, 0)}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Slice(ids, func(i, j int) bool { return h.keys[ids[i]] < h.keys[ids[j]] })
	out, err := h.output(ids)
	if err != nil {
		return err
	}
	return emit(batch.Chunk{Rec: out})
}
