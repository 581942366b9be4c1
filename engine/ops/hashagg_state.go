package ops

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
)

// A HashAgg's stored state is one entry per open group, key "g" + the
// group key (rowcodec encoding of the key columns), holding the window
// end, the row count and each aggregate's state; and one entry "m"
// holding the watermark and the late count. (Unchanged since version 1,
// when the keys were also held encoded in memory: checkpoints of either
// restore.)

const hashAggVersion = 1

var _ state.Checkpointer = (*HashAgg)(nil)

func (h *HashAgg) encodeGroup(w *state.Writer, id uint32, buf []byte) []byte {
	w.Varint(h.end(id))
	w.Varint(h.rowCount[id])
	for _, a := range h.cfg.Aggs {
		buf = a.State.MarshalGroup(buf[:0], id)
		w.Bytes(buf)
	}
	return buf
}

func (h *HashAgg) meta() []byte {
	w := state.Writer{Buf: []byte{hashAggVersion}}
	w.Varint(h.wm)
	w.Varint(h.late)
	return w.Buf
}

func (h *HashAgg) restoreMeta(b []byte) error {
	if len(b) == 0 || b[0] != hashAggVersion {
		return fmt.Errorf("hash aggregate: unknown state version")
	}
	r := state.Reader{Buf: b[1:]}
	h.wm = r.Varint()
	h.late = r.Varint()
	return r.Err
}

// forGroups calls fn with batches of ids and their encoded keys.
func (h *HashAgg) forGroups(ids []uint32, fn func(ids []uint32, keys [][]byte)) error {
	for start := 0; start < len(ids); start += releaseBatch {
		part := ids[start:min(len(ids), start+releaseBatch)]
		keys, err := h.encodeKeys(part)
		if err != nil {
			return err
		}
		fn(part, keys)
	}
	return nil
}

func (h *HashAgg) liveIDs() []uint32 {
	ids := make([]uint32, 0, h.table.n)
	for id, f := range h.flags {
		if f&groupLive != 0 {
			ids = append(ids, uint32(id))
		}
	}
	return ids
}

// Checkpoint implements state.Checkpointer.
func (h *HashAgg) Checkpoint(s state.Sink, full bool) error {
	key := []byte{'g'}
	var w state.Writer
	var buf []byte
	put := func(ids []uint32, keys [][]byte) {
		for i, id := range ids {
			key = append(key[:1], keys[i]...)
			w.Buf = w.Buf[:0]
			buf = h.encodeGroup(&w, id, buf)
			s.Put(key, w.Buf)
			h.flags[id] |= groupStored
		}
	}
	var ids []uint32
	if full {
		ids = h.liveIDs()
	} else {
		start := 0
		for _, end := range h.deletedEnds {
			s.Delete(append(key[:1], h.deletedKeys[start:end]...))
			start = end
		}
		for _, id := range h.dirty {
			if h.flags[id]&(groupDirty|groupLive) == groupDirty|groupLive {
				ids = append(ids, id)
			}
		}
	}
	if err := h.forGroups(ids, put); err != nil {
		return err
	}
	for _, id := range h.dirty {
		h.flags[id] &^= groupDirty
	}
	h.dirty = shrink(h.dirty)
	h.deletedKeys = shrink(h.deletedKeys)
	h.deletedEnds = shrink(h.deletedEnds)
	s.Put([]byte{'m'}, h.meta())
	return nil
}

// shrinkAbove is the capacity above which a drained scratch slice is
// dropped rather than reused, so a burst (a window of a million keys
// closing) does not pin its peak memory.
const shrinkAbove = 4096

// shrink empties s for reuse: it clears the elements (releasing what
// they point to) and drops the backing array if it grew large.
func shrink[T any](s []T) []T {
	if cap(s) > shrinkAbove {
		return nil
	}
	clear(s)
	return s[:0]
}

// restorer adds stored groups to a HashAgg in batches, so that their
// keys are decoded into columns and hashed a batch at a time.
type restorer struct {
	h    *HashAgg
	keys *rowcodec.Columns
	vals [][]byte
}

func (h *HashAgg) newRestorer() *restorer {
	return &restorer{h: h, keys: rowcodec.NewColumns(h.keyTypes)}
}

func (r *restorer) add(key, value []byte) error {
	rest, err := r.keys.DecodeRow(key)
	if err != nil || len(rest) != 0 {
		return fmt.Errorf("hash aggregate: restore group key: %w", state.ErrCorrupt)
	}
	r.vals = append(r.vals, append([]byte(nil), value...))
	if len(r.vals) >= releaseBatch {
		return r.flush()
	}
	return nil
}

func (r *restorer) flush() error {
	h := r.h
	n := len(r.vals)
	if n == 0 {
		return nil
	}
	var arrs []arrow.Array
	if len(h.keyTypes) > 0 {
		arrs = r.keys.Arrays()
	}
	hs, err := h.table.hashes(arrs, n)
	if err != nil {
		return err
	}
	for i, v := range r.vals {
		if _, ok := h.table.find(i, hs[i]); ok {
			return fmt.Errorf("hash aggregate: restore: duplicate group: %w", state.ErrCorrupt)
		}
		id := h.alloc(i, hs[i])
		h.flags[id] |= groupStored
		g := state.Reader{Buf: v}
		end := g.Varint()
		h.rowCount[id] = g.Varint()
		if g.Err != nil || end != h.end(id) {
			return fmt.Errorf("hash aggregate: restore group: %w", state.ErrCorrupt)
		}
		for _, a := range h.cfg.Aggs {
			b := g.Bytes()
			if g.Err != nil {
				return g.Err
			}
			if rest, err := a.State.UnmarshalGroup(id, b); err != nil || len(rest) != 0 {
				return fmt.Errorf("hash aggregate: restore group: %w", state.ErrCorrupt)
			}
		}
	}
	r.vals = r.vals[:0]
	return nil
}

// RestoreEntries implements state.Checkpointer.
func (h *HashAgg) RestoreEntries(e state.Entries) error {
	h.reset()
	r := h.newRestorer()
	err := e(func(key, value []byte) error {
		switch {
		case len(key) == 1 && key[0] == 'm':
			return h.restoreMeta(value)
		case len(key) >= 1 && key[0] == 'g':
			return r.add(key[1:], value)
		}
		return fmt.Errorf("hash aggregate: unexpected state key %q", key)
	})
	if err != nil {
		return err
	}
	return r.flush()
}

// Snapshot implements state.Snapshotter: the metadata and every open
// group, in one byte string.
func (h *HashAgg) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: dst}
	w.Bytes(h.meta())
	w.Uvarint(uint64(h.table.n))
	var g state.Writer
	var buf []byte
	err := h.forGroups(h.liveIDs(), func(ids []uint32, keys [][]byte) {
		for i, id := range ids {
			w.Bytes(keys[i])
			g.Buf = g.Buf[:0]
			buf = h.encodeGroup(&g, id, buf)
			w.Bytes(g.Buf)
		}
	})
	return w.Buf, err
}

// Restore implements state.Snapshotter.
func (h *HashAgg) Restore(src []byte) error {
	h.reset()
	r := state.Reader{Buf: src}
	if err := h.restoreMeta(r.Bytes()); err != nil {
		return err
	}
	rs := h.newRestorer()
	n := r.Uvarint()
	for i := uint64(0); i < n && r.Err == nil; i++ {
		key := r.Bytes()
		val := r.Bytes()
		if r.Err != nil {
			break
		}
		if err := rs.add(key, val); err != nil {
			return err
		}
	}
	if r.Err != nil {
		return r.Err
	}
	return rs.flush()
}

// compactMinSlots is the table size below which the hash aggregate does
// not bother to compact.
const compactMinSlots = 1024

// maybeCompact renumbers the open groups densely when fewer than a
// quarter of the group slots are in use, so the memory of closed windows
// (group arrays, aggregate states, the key table) is returned to the
// runtime instead of staying at its peak. Everything is sized exactly
// for the open groups.
func (h *HashAgg) maybeCompact() error {
	if len(h.flags) < compactMinSlots || h.table.n*4 > len(h.flags) {
		return nil
	}
	fresh := make([]functions.GroupState, len(h.cfg.Aggs))
	for i, a := range h.cfg.Aggs {
		if a.New == nil {
			return nil
		}
		st, err := a.New()
		if err != nil {
			return err
		}
		fresh[i] = st
	}
	live := h.liveIDs()
	n := len(live)
	capacity := max(16, n)
	for _, st := range fresh {
		st.Resize(capacity)
	}
	rows := make([]int64, n)
	flags := make([]uint8, n)
	var dirty []uint32
	var buf []byte
	for id, old := range live {
		for i, a := range h.cfg.Aggs {
			buf = a.State.MarshalGroup(buf[:0], old)
			if _, err := fresh[i].UnmarshalGroup(uint32(id), buf); err != nil {
				return fmt.Errorf("BUG: hash aggregate compaction: %w", err)
			}
		}
		rows[id] = h.rowCount[old]
		flags[id] = h.flags[old]
		if flags[id]&groupDirty != 0 {
			dirty = append(dirty, uint32(id))
		}
	}
	h.idGen++
	h.table.compact(live)
	for i := range h.cfg.Aggs {
		h.cfg.Aggs[i].State = fresh[i]
	}
	h.rowCount, h.flags, h.dirty, h.free = rows, flags, dirty, nil
	h.capacity = capacity
	return nil
}

// Slots returns the number of group slots (live and free), for tests of
// memory compaction.
func (h *HashAgg) Slots() int { return len(h.flags) }
