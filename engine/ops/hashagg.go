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
// live column by column in typed arrays indexed by dense group ids
// (groupTable maps a key to its id); aggregate states are arrays indexed
// by id; freed ids are reused, so state is bounded by the number of open
// groups.
type HashAgg struct {
	cfg      HashAggConfig
	keyTypes []types.Type
	schema   *arrow.Schema

	table *groupTable
	// endCol is the window column's key column in a windowed aggregate:
	// a group's window ends at its value plus cfg.Window.Plus.
	endCol   *fixedKey[int64]
	rowCount []int64
	flags    []uint8
	free     []uint32
	// ends holds the window ends of open groups, endHeap the same in
	// order.
	ends     map[int64]struct{}
	endHeap  endHeap
	capacity int

	wm   int64
	late int64

	// Checkpoint bookkeeping: groups changed since the last Checkpoint,
	// and the encoded keys of groups removed since then (deletedKeys,
	// each ending at deletedEnds[i]).
	dirty       []uint32
	deletedKeys []byte
	deletedEnds []int

	// idGen moves whenever group ids are freed or renumbered.
	idGen uint64
	shift shiftMemo

	keyArrs []arrow.Array
	argArrs []arrow.Array
	keyBufs [][]byte
	gids    []uint32
	fgids   []uint32
	touched []uint32
	emptied []uint32
	upserts []uint32
}

// Group flags.
const (
	groupLive  = 1 << iota
	groupMark  // touched by the current batch
	groupDirty // changed since the last checkpoint
	// groupStored: the group's entry is in the checkpointed state (it
	// was written by a checkpoint or restored), so removing the group
	// must delete it. A group that opens and closes between two
	// checkpoints, as most windows of a fast stream do, leaves nothing
	// to delete.
	groupStored
)

var _ Operator = (*HashAgg)(nil)

// NewHashAgg returns an empty aggregate.
func NewHashAgg(cfg HashAggConfig) *HashAgg {
	h := &HashAgg{cfg: cfg, schema: cfg.Out.Arrow(), wm: window.NoWatermark}
	for _, k := range cfg.Keys {
		h.keyTypes = append(h.keyTypes, cfg.Input[k].Type)
	}
	h.reset()
	return h
}

func (h *HashAgg) reset() {
	// Clear every slot the states may hold, so ids handed out after a
	// Restore start empty.
	for id := range h.flags {
		for _, a := range h.cfg.Aggs {
			a.State.Reset(uint32(id))
		}
	}
	cols := make([]keyCol, len(h.keyTypes))
	for i, t := range h.keyTypes {
		cols[i] = newKeyCol(t)
	}
	h.table = newGroupTable(cols)
	h.endCol = nil
	if w := h.cfg.Window; w != nil {
		var ok bool
		if h.endCol, ok = cols[w.KeyCol].(*fixedKey[int64]); !ok {
			panic(fmt.Sprintf("BUG: hash aggregate window column of type %s", h.keyTypes[w.KeyCol]))
		}
	}
	h.rowCount, h.flags, h.free = nil, nil, nil
	h.dirty, h.deletedKeys, h.deletedEnds = nil, nil, nil
	h.ends = map[int64]struct{}{}
	h.endHeap = nil
	h.capacity = 0
	h.idGen++
	h.forget()
}

// Late returns the number of rows dropped because their window had
// closed.
func (h *HashAgg) Late() int64 { return h.late }

// Groups returns the number of open groups.
func (h *HashAgg) Groups() int { return h.table.n }

// end returns the end of group id's window (0 if not windowed).
func (h *HashAgg) end(id uint32) int64 {
	if h.endCol == nil {
		return 0
	}
	return h.endCol.vals[id] + h.cfg.Window.Plus
}

// alloc gives bound row i's key (hash hash) a group id.
func (h *HashAgg) alloc(i int, hash uint64) uint32 {
	var id uint32
	if n := len(h.free); n > 0 {
		id = h.free[n-1]
		h.free = h.free[:n-1]
	} else {
		id = uint32(len(h.flags))
		h.rowCount = append(h.rowCount, 0)
		h.flags = append(h.flags, 0)
		if len(h.flags) > h.capacity {
			h.capacity = max(16, 2*h.capacity)
			for _, a := range h.cfg.Aggs {
				a.State.Resize(h.capacity)
			}
		}
	}
	h.table.insert(id, i, hash)
	h.rowCount[id], h.flags[id] = 0, groupLive
	if h.cfg.Window != nil {
		end := h.end(id)
		if _, ok := h.ends[end]; !ok {
			h.ends[end] = struct{}{}
			heap.Push(&h.endHeap, end)
		}
	}
	return id
}

func (h *HashAgg) markDirty(id uint32) {
	if h.flags[id]&groupDirty == 0 {
		h.flags[id] |= groupDirty
		h.dirty = append(h.dirty, id)
	}
}

// release frees groups: the keys of those in the checkpointed state
// are kept (encoded) for the next checkpoint's deletions.
func (h *HashAgg) release(ids []uint32) error {
	h.idGen++
	var stored []uint32
	for start := 0; start < len(ids); start += releaseBatch {
		part := ids[start:min(len(ids), start+releaseBatch)]
		stored = stored[:0]
		for _, id := range part {
			if h.flags[id]&groupStored != 0 {
				stored = append(stored, id)
			}
		}
		if len(stored) > 0 {
			keys, err := h.encodeKeys(stored)
			if err != nil {
				return err
			}
			for _, k := range keys {
				h.deletedKeys = append(h.deletedKeys, k...)
				h.deletedEnds = append(h.deletedEnds, len(h.deletedKeys))
			}
		}
		for _, id := range part {
			h.table.remove(id)
			h.flags[id], h.rowCount[id] = 0, 0
			for _, a := range h.cfg.Aggs {
				a.State.Reset(id)
			}
			h.free = append(h.free, id)
		}
	}
	return nil
}

// releaseBatch is the number of groups whose keys are encoded at once.
const releaseBatch = 1024

// encodeKeys returns the rowcodec encodings of the groups' keys (valid
// until the next call).
func (h *HashAgg) encodeKeys(ids []uint32) ([][]byte, error) {
	h.keyBufs = rowcodec.Rows(h.keyBufs, len(ids))
	for k, c := range h.table.cols {
		arr, err := c.output(ids)
		if err != nil {
			return nil, err
		}
		rowcodec.AppendColumn(h.keyBufs, arr, h.keyTypes[k])
	}
	return h.keyBufs, nil
}

// sortByKey orders ids by their keys' encodings (SQL order of the key
// columns, NULLs first).
func (h *HashAgg) sortByKey(ids []uint32) error {
	if len(h.keyTypes) == 0 || len(ids) < 2 {
		return nil
	}
	keys, err := h.encodeKeys(ids)
	if err != nil {
		return err
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return string(keys[idx[a]]) < string(keys[idx[b]]) })
	sorted := make([]uint32, len(ids))
	for i, j := range idx {
		sorted[i] = ids[j]
	}
	copy(ids, sorted)
	return nil
}

// Push implements Operator.
func (h *HashAgg) Push(_ *functions.Context, c batch.Chunk, emit Emit) error {
	rec := c.Rec
	n := int(rec.NumRows())
	h.keyArrs = h.keyArrs[:0]
	for _, k := range h.cfg.Keys {
		h.keyArrs = append(h.keyArrs, rec.Column(k))
	}
	if h.shifted(c, n) {
		if err := h.pushParts(c); err != nil {
			return err
		}
		return h.emitTouched(emit)
	}
	hs, err := h.table.hashes(h.keyArrs, n)
	if err != nil {
		return err
	}
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
		if endVals != nil && endVals[i]+plus <= h.wm {
			if sign > 0 {
				h.late++
			}
			gids[i] = functions.NoGroup
			continue
		}
		id, ok := h.table.find(i, hs[i])
		if !ok {
			if sign < 0 {
				// A retraction for a group this aggregate never saw (its
				// window already closed): nothing to undo.
				gids[i] = functions.NoGroup
				continue
			}
			id = h.alloc(i, hs[i])
		}
		gids[i] = id
		h.rowCount[id] += sign
		if h.flags[id]&groupMark == 0 {
			h.flags[id] |= groupMark
			h.touched = append(h.touched, id)
			h.markDirty(id)
		}
	}
	for _, a := range h.cfg.Aggs {
		g := gids
		if a.Filter >= 0 {
			g = h.filtered(gids, rec.Column(a.Filter))
		}
		if err := a.State.Update(h.aggArrays(rec, a)[:len(a.Args)], g, c.Signs); err != nil {
			return err
		}
	}
	h.remember(c, gids)
	return h.emitTouched(emit)
}

// emitTouched ends a Push: it unmarks the groups the chunk touched and
// (unless the aggregate emits on close) emits their new rows, deleting
// the groups whose every row was retracted.
func (h *HashAgg) emitTouched(emit Emit) error {
	touched := h.touched
	h.touched = h.touched[:0]
	for _, id := range touched {
		h.flags[id] &^= groupMark
	}
	if h.cfg.EmitOnClose {
		return nil
	}
	// Groups whose every row was retracted are deleted.
	h.upserts = h.upserts[:0]
	h.emptied = h.emptied[:0]
	for _, id := range touched {
		if h.rowCount[id] <= 0 {
			h.emptied = append(h.emptied, id)
		} else {
			h.upserts = append(h.upserts, id)
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
		if err := h.release(h.emptied); err != nil {
			return err
		}
		if err := emit(batch.Chunk{Rec: out, Signs: signs}); err != nil {
			return err
		}
	}
	if len(h.upserts) == 0 {
		return nil
	}
	out, err := h.output(h.upserts)
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

// output builds the output rows of the given groups: their keys, then
// each aggregate's result.
func (h *HashAgg) output(ids []uint32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(h.keyTypes)+len(h.cfg.Aggs))
	for _, c := range h.table.cols {
		arr, err := c.output(ids)
		if err != nil {
			return nil, err
		}
		cols = append(cols, arr)
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
	if h.cfg.Window == nil || len(h.endHeap) == 0 || h.endHeap[0] > wm {
		return nil
	}
	for len(h.endHeap) > 0 && h.endHeap[0] <= wm {
		delete(h.ends, heap.Pop(&h.endHeap).(int64))
	}
	// Every group whose window ends by wm closes; one pass over the
	// group slots finds them (no per-window id lists to keep).
	var closed []uint32
	for id, f := range h.flags {
		if f&groupLive != 0 && h.end(uint32(id)) <= wm {
			closed = append(closed, uint32(id))
		}
	}
	if len(closed) == 0 {
		return nil
	}
	var err error
	if h.cfg.EmitOnClose {
		if err = h.sortByKey(closed); err == nil {
			var out arrow.RecordBatch
			if out, err = h.output(closed); err == nil {
				err = emit(batch.Chunk{Rec: out})
			}
		}
	}
	if rerr := h.release(closed); err == nil {
		err = rerr
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
	for id, f := range h.flags {
		if f&groupLive != 0 {
			ids = append(ids, uint32(id))
		}
	}
	if len(ids) == 0 && len(h.cfg.Keys) == 0 {
		if _, err := h.table.hashes(nil, 1); err != nil {
			return err
		}
		ids = []uint32{h.alloc(0, h.table.hs[0])}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := h.sortByKey(ids); err != nil {
		return err
	}
	out, err := h.output(ids)
	if err != nil {
		return err
	}
	return emit(batch.Chunk{Rec: out})
}
