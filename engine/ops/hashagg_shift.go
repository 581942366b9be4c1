package ops

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
)

// Shifted chunks. HOP window assignment pushes one chunk per window
// position for every input batch, each sharing the input's key columns
// and carrying the window column moved by one slide. Rows that were in
// one group in the previous chunk (same window start, same key) are then
// in one group in this one, so after the first row of a previous group
// finds its new group, the group's other rows take it from a memo indexed
// by the previous group id: one hash-table probe per distinct group of
// the batch instead of one per row and window position.
//
// The memo holds only while group ids keep their meaning: idGen moves
// whenever ids are freed or renumbered (release, compaction, reset), and
// a chunk with retractions, a NULL window start or different key arrays
// ends it.

// shiftMemo is the HashAgg's record of the previous chunk.
type shiftMemo struct {
	ok    bool          // the fields below describe the previous chunk
	gen   uint64        // idGen when it was pushed
	gids  []uint32      // its rows' groups (NoGroup: late)
	keys  []arrow.Array // its key arrays, retained
	stamp uint32        // memo entries are valid when memoAt[pg] == stamp
	// memo[pg] is the current chunk's group for rows that were in group
	// pg of the previous chunk.
	memo, memoAt []uint32
	// hits counts rows that took their group from the memo (for tests).
	hits int64
}

// shifted reports whether chunk c (n rows, key arrays h.keyArrs) is the
// previous chunk with the window column moved by a constant, and if so
// readies the memo for it.
func (h *HashAgg) shifted(c batch.Chunk, n int) bool {
	m := &h.shift
	w := h.cfg.Window
	if !m.ok || w == nil || c.Signs != nil || m.gen != h.idGen || n != len(m.gids) || n == 0 {
		return false
	}
	for j, a := range h.keyArrs {
		if j != w.KeyCol && a != m.keys[j] {
			return false
		}
	}
	cur, prev := h.keyArrs[w.KeyCol], m.keys[w.KeyCol]
	if cur.NullN() != 0 || prev.NullN() != 0 {
		return false
	}
	cv, pv := vec.Values[int64](cur), vec.Values[int64](prev)
	d := cv[0] - pv[0]
	for i := range cv {
		if cv[i]-pv[i] != d {
			return false
		}
	}
	if len(m.memo) < len(h.flags) {
		m.memo = make([]uint32, len(h.flags))
		m.memoAt = make([]uint32, len(h.flags))
		m.stamp = 0
	}
	m.stamp++
	if m.stamp == 0 {
		clear(m.memoAt)
		m.stamp = 1
	}
	return true
}

// remember records chunk c's rows' groups for the next chunk.
func (h *HashAgg) remember(c batch.Chunk, gids []uint32) {
	m := &h.shift
	h.forget()
	if h.cfg.Window == nil || c.Signs != nil {
		return
	}
	m.gids = append(m.gids[:0], gids...)
	for _, a := range h.keyArrs {
		a.Retain()
		m.keys = append(m.keys, a)
	}
	m.gen, m.ok = h.idGen, true
}

// forget drops the record of the previous chunk.
func (h *HashAgg) forget() {
	m := &h.shift
	for _, a := range m.keys {
		a.Release()
	}
	m.keys = m.keys[:0]
	m.ok = false
}

// memoized returns the current chunk's group of a row that was in group
// pg of the previous chunk, if an earlier row of pg found it.
func (m *shiftMemo) memoized(pg uint32) (uint32, bool) {
	if pg == functions.NoGroup || int(pg) >= len(m.memo) || m.memoAt[pg] != m.stamp {
		return 0, false
	}
	m.hits++
	return m.memo[pg], true
}

func (m *shiftMemo) set(pg, id uint32) {
	if pg != functions.NoGroup && int(pg) < len(m.memo) {
		m.memo[pg], m.memoAt[pg] = id, m.stamp
	}
}
