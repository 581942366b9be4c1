package ops

import (
	"container/heap"
	"fmt"

	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
)

// A HashAgg's stored state is one entry per open group, key "g" + the
// group key, holding the window end, the row count and each aggregate's
// state; and one entry "m" holding the watermark and the late count.

const hashAggVersion = 1

var _ state.Checkpointer = (*HashAgg)(nil)

func (h *HashAgg) encodeGroup(w *state.Writer, id uint32, buf []byte) []byte {
	w.Varint(h.ends[id])
	w.Varint(h.rowCount[id])
	for _, a := range h.cfg.Aggs {
		buf = a.State.MarshalGroup(buf[:0], id)
		w.Bytes(buf)
	}
	return buf
}

func (h *HashAgg) decodeGroup(key []byte, r *state.Reader) error {
	end := r.Varint()
	rows := r.Varint()
	if r.Err != nil {
		return r.Err
	}
	id := h.alloc(key, end)
	h.rowCount[id] = rows
	for _, a := range h.cfg.Aggs {
		b := r.Bytes()
		if r.Err != nil {
			return r.Err
		}
		if rest, err := a.State.UnmarshalGroup(id, b); err != nil || len(rest) != 0 {
			return fmt.Errorf("hash aggregate: restore group: %w", state.ErrCorrupt)
		}
	}
	return nil
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

// Checkpoint implements state.Checkpointer.
func (h *HashAgg) Checkpoint(s state.Sink, full bool) error {
	key := []byte{'g'}
	var w state.Writer
	var buf []byte
	put := func(id uint32) {
		key = append(key[:1], h.keys[id]...)
		w.Buf = w.Buf[:0]
		buf = h.encodeGroup(&w, id, buf)
		s.Put(key, w.Buf)
	}
	if full {
		for id, live := range h.live {
			if live {
				put(uint32(id))
			}
		}
	} else {
		for _, k := range h.deleted {
			s.Delete(append(key[:1], k...))
		}
		for _, id := range h.dirty {
			if h.isDirty[id] && h.live[id] {
				put(id)
			}
		}
	}
	for _, id := range h.dirty {
		h.isDirty[id] = false
	}
	h.dirty = shrink(h.dirty)
	h.deleted = shrink(h.deleted)
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

// RestoreEntries implements state.Checkpointer.
func (h *HashAgg) RestoreEntries(e state.Entries) error {
	h.reset()
	return e(func(key, value []byte) error {
		switch {
		case len(key) == 1 && key[0] == 'm':
			return h.restoreMeta(value)
		case len(key) >= 1 && key[0] == 'g':
			r := state.Reader{Buf: value}
			return h.decodeGroup(key[1:], &r)
		}
		return fmt.Errorf("hash aggregate: unexpected state key %q", key)
	})
}

// Snapshot implements state.Snapshotter: the metadata and every open
// group, in one byte string.
func (h *HashAgg) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: dst}
	w.Bytes(h.meta())
	w.Uvarint(uint64(len(h.groups)))
	var g state.Writer
	var buf []byte
	for id, live := range h.live {
		if !live {
			continue
		}
		w.Bytes([]byte(h.keys[id]))
		g.Buf = g.Buf[:0]
		buf = h.encodeGroup(&g, uint32(id), buf)
		w.Bytes(g.Buf)
	}
	return w.Buf, nil
}

// Restore implements state.Snapshotter.
func (h *HashAgg) Restore(src []byte) error {
	h.reset()
	r := state.Reader{Buf: src}
	if err := h.restoreMeta(r.Bytes()); err != nil {
		return err
	}
	n := r.Uvarint()
	for i := uint64(0); i < n && r.Err == nil; i++ {
		key := r.Bytes()
		g := state.Reader{Buf: r.Bytes()}
		if r.Err != nil {
			break
		}
		if err := h.decodeGroup(key, &g); err != nil {
			return err
		}
	}
	return r.Err
}

// compactMinSlots is the table size below which the hash aggregate does
// not bother to compact.
const compactMinSlots = 1024

// maybeCompact renumbers the open groups densely when fewer than a
// quarter of the group slots are in use, so the memory of closed windows
// (group arrays, aggregate states, the key map) is returned to the
// runtime instead of staying at its peak.
func (h *HashAgg) maybeCompact() error {
	if len(h.keys) < compactMinSlots || len(h.groups)*4 > len(h.keys) {
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
	n := len(h.groups)
	capacity := max(16, n)
	for _, st := range fresh {
		st.Resize(capacity)
	}
	keys := make([]string, 0, n)
	ends := make([]int64, 0, n)
	rows := make([]int64, 0, n)
	isDirty := make([]bool, 0, n)
	groups := make(map[string]uint32, n)
	byEnd := map[int64][]uint32{}
	var ends2 endHeap
	var dirty []uint32
	var buf []byte
	for old, live := range h.live {
		if !live {
			continue
		}
		id := uint32(len(keys))
		for i, a := range h.cfg.Aggs {
			buf = a.State.MarshalGroup(buf[:0], uint32(old))
			if _, err := fresh[i].UnmarshalGroup(id, buf); err != nil {
				return fmt.Errorf("BUG: hash aggregate compaction: %w", err)
			}
		}
		keys = append(keys, h.keys[old])
		ends = append(ends, h.ends[old])
		rows = append(rows, h.rowCount[old])
		isDirty = append(isDirty, h.isDirty[old])
		if h.isDirty[old] {
			dirty = append(dirty, id)
		}
		groups[h.keys[old]] = id
		if h.cfg.Window != nil {
			end := h.ends[old]
			if _, ok := byEnd[end]; !ok {
				ends2 = append(ends2, end)
			}
			byEnd[end] = append(byEnd[end], id)
		}
	}
	heap.Init(&ends2)
	for i := range h.cfg.Aggs {
		h.cfg.Aggs[i].State = fresh[i]
	}
	h.keys, h.ends, h.rowCount, h.isDirty, h.groups = keys, ends, rows, isDirty, groups
	h.live = make([]bool, n)
	for i := range h.live {
		h.live[i] = true
	}
	h.mark = make([]bool, n)
	h.free = nil
	h.dirty = dirty
	h.byEnd, h.endHeap = byEnd, ends2
	h.capacity = capacity
	return nil
}

// Slots returns the number of group slots (live and free), for tests of
// memory compaction.
func (h *HashAgg) Slots() int { return len(h.keys) }
