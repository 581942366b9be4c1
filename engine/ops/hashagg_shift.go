package ops

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
)

// Shifted chunks. HOP window assignment pushes one chunk per window
// position for every input batch, each sharing the input's key columns
// and carrying the window column moved by one slide. Rows that were in
// one group in the previous chunk (same window start, same key) are then
// in one group in this one. So when the second chunk of such a run
// arrives, the rows of the first are split into parts, one per group
// they fell into, and from then on the aggregate works per part: it
// hashes and looks up one representative row per part (pushParts), adds
// each part's row count to its group, and folds aggregates that can
// merge (groupMerger) from a per-part state computed once per run,
// rather than once per row and position. Other aggregates get per-row
// group ids gathered from the parts.
//
// A part is a fact about the rows (equal keys and window), so it holds
// whatever happens to group ids; the split itself reads the first
// chunk's group ids and so needs them unchanged (idGen). A chunk with
// retractions, a NULL window start or different key arrays ends the run.
// Rows that found no group in the first chunk (late there) get a part of
// their own.

// groupMerger is implemented by aggregate states whose groups combine
// exactly (the result does not depend on how the rows were split, so
// not float or overflow-checked sums; functions/aggregate/merge.go):
// MergeGroups folds group src of from, a state of the same aggregate,
// into group dst[src] of the receiver for every src with dst[src] !=
// NoGroup, in increasing src, with exactly the result of updating the
// receiver with those groups' rows, group after group. Here that is row
// order: parts map to distinct groups except parts of one row each (late
// in the first chunk, same key and window), numbered in row order.
type groupMerger interface {
	MergeGroups(from functions.GroupState, dst []uint32) error
}

// shiftMemo is the HashAgg's record of the previous chunk.
type shiftMemo struct {
	ok   bool          // the fields below describe the previous chunk
	gen  uint64        // idGen when it was pushed
	keys []arrow.Array // its key arrays, retained
	// gids are its rows' groups (NoGroup: late), kept until parts are
	// built from them.
	gids []uint32
	// parted is set when part, rep and rows split the previous chunk's
	// rows: row i is in part part[i], whose first row is rep[p] and
	// which has rows[p] rows; gid[p] is the part's group in the chunk
	// being pushed.
	parted bool
	part   []uint32
	rep    []int32
	rows   []int64
	gid    []uint32
	// partial[a] is aggregate a's state of each part over the run's
	// rows (nil if the aggregate cannot merge), sized partialCap[a];
	// when partialOK[a] it is that of the current parts, computed from
	// the argument (and FILTER) arrays partialOf[a].
	partial    []functions.GroupState
	partialOK  []bool
	partialOf  [][]arrow.Array
	partialCap []int
	// partOf[g] is the part of group g while building parts, valid
	// when partAt[g] == stamp.
	partOf, partAt []uint32
	stamp          uint32
	// hits counts rows that took their group from their part without a
	// lookup of their own (for tests).
	hits int64
}

// shifted reports whether chunk c (n rows, key arrays h.keyArrs) is the
// previous chunk with the window column moved by a constant, and if so
// splits the previous chunk's rows into parts unless they are already.
func (h *HashAgg) shifted(c batch.Chunk, n int) bool {
	m := &h.shift
	w := h.cfg.Window
	if !m.ok || w == nil || c.Signs != nil || n == 0 {
		return false
	}
	if m.parted && n != len(m.part) || !m.parted && (n != len(m.gids) || m.gen != h.idGen) {
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
	if !m.parted {
		h.split()
	}
	return true
}

// split builds the parts of the previous chunk's rows from their groups.
func (h *HashAgg) split() {
	m := &h.shift
	n := len(m.gids)
	if len(m.partOf) < len(h.flags) {
		m.partOf = make([]uint32, len(h.flags))
		m.partAt = make([]uint32, len(h.flags))
		m.stamp = 0
	}
	m.stamp++
	if m.stamp == 0 {
		clear(m.partAt)
		m.stamp = 1
	}
	if cap(m.part) < n {
		m.part = make([]uint32, n)
	}
	m.part = m.part[:n]
	m.rep, m.rows = m.rep[:0], m.rows[:0]
	for i, g := range m.gids {
		if g != functions.NoGroup && m.partAt[g] == m.stamp {
			p := m.partOf[g]
			m.part[i] = p
			m.rows[p]++
			continue
		}
		p := uint32(len(m.rep))
		if g != functions.NoGroup {
			m.partOf[g], m.partAt[g] = p, m.stamp
		}
		m.part[i] = p
		m.rep = append(m.rep, int32(i))
		m.rows = append(m.rows, 1)
	}
	if cap(m.gid) < len(m.rep) {
		m.gid = make([]uint32, len(m.rep))
	}
	m.gid = m.gid[:len(m.rep)]
	m.parted = true
	// The partial states describe an earlier split.
	m.dropPartials()
}

func (m *shiftMemo) dropPartials() {
	for a := range m.partialOf {
		releaseAll(m.partialOf[a])
		m.partialOf[a] = m.partialOf[a][:0]
		m.partialOK[a] = false
	}
}

// pushParts pushes a shifted chunk part by part (see above); the key
// columns are in h.keyArrs.
func (h *HashAgg) pushParts(c batch.Chunk) error {
	m := &h.shift
	rec := c.Rec
	hs, err := h.table.hashRows(h.keyArrs, m.rep)
	if err != nil {
		return err
	}
	w := h.cfg.Window
	endVals := vec.Values[int64](rec.Column(h.cfg.Keys[w.KeyCol]))
	for p, i := range m.rep {
		if endVals[i]+w.Plus <= h.wm {
			m.gid[p] = functions.NoGroup
			h.late += m.rows[p]
			continue
		}
		id, ok := h.table.find(int(i), hs[p])
		if !ok {
			id = h.alloc(int(i), hs[p])
		}
		m.gid[p] = id
		m.hits += m.rows[p] - 1
		h.rowCount[id] += m.rows[p]
		if h.flags[id]&groupMark == 0 {
			h.flags[id] |= groupMark
			h.touched = append(h.touched, id)
			h.markDirty(id)
		}
	}
	var gids []uint32
	for a, spec := range h.cfg.Aggs {
		args := h.aggArrays(rec, spec)
		if merger, ok := spec.State.(groupMerger); ok {
			part, err := h.partialState(a, rec, args)
			if err != nil {
				return err
			}
			if part != nil {
				if err := merger.MergeGroups(part, m.gid); err != nil {
					return err
				}
				continue
			}
		}
		if gids == nil {
			if cap(h.gids) < len(m.part) {
				h.gids = make([]uint32, len(m.part))
			}
			gids = h.gids[:len(m.part)]
			for i, p := range m.part {
				gids[i] = m.gid[p]
			}
		}
		g := gids
		if spec.Filter >= 0 {
			g = h.filtered(gids, rec.Column(spec.Filter))
		}
		if err := spec.State.Update(args[:len(spec.Args)], g, nil); err != nil {
			return err
		}
	}
	// The parts carry on to the next chunk, which is compared with this
	// one.
	releaseAll(m.keys)
	m.keys = m.keys[:0]
	for _, a := range h.keyArrs {
		a.Retain()
		m.keys = append(m.keys, a)
	}
	return nil
}

// aggArrays returns aggregate spec's argument arrays of rec followed by
// its FILTER column if it has one (valid until the next call).
func (h *HashAgg) aggArrays(rec arrow.RecordBatch, spec AggSpec) []arrow.Array {
	h.argArrs = h.argArrs[:0]
	for _, col := range spec.Args {
		h.argArrs = append(h.argArrs, rec.Column(col))
	}
	if spec.Filter >= 0 {
		h.argArrs = append(h.argArrs, rec.Column(spec.Filter))
	}
	return h.argArrs
}

// partialState returns aggregate a's state of each part over the rows
// of rec (arrs are its argument and FILTER arrays), computing it unless
// it was computed from the same arrays; nil if the aggregate has no
// constructor.
func (h *HashAgg) partialState(a int, rec arrow.RecordBatch, arrs []arrow.Array) (functions.GroupState, error) {
	m := &h.shift
	spec := h.cfg.Aggs[a]
	if spec.New == nil {
		return nil, nil
	}
	for len(m.partial) <= a {
		m.partial = append(m.partial, nil)
		m.partialOf = append(m.partialOf, nil)
		m.partialOK = append(m.partialOK, false)
		m.partialCap = append(m.partialCap, 0)
	}
	if m.partialOK[a] && slices.Equal(m.partialOf[a], arrs) {
		return m.partial[a], nil
	}
	st := m.partial[a]
	if st == nil {
		var err error
		if st, err = spec.New(); err != nil {
			return nil, err
		}
		if _, ok := st.(groupMerger); !ok {
			return nil, nil
		}
		m.partial[a] = st
	}
	nparts := len(m.rep)
	if m.partialCap[a] < nparts {
		m.partialCap[a] = max(16, 2*m.partialCap[a], nparts)
		st.Resize(m.partialCap[a])
	}
	for p := range nparts {
		st.Reset(uint32(p))
	}
	g := m.part
	if spec.Filter >= 0 {
		g = h.filtered(m.part, rec.Column(spec.Filter))
	}
	if err := st.Update(arrs[:len(spec.Args)], g, nil); err != nil {
		return nil, err
	}
	releaseAll(m.partialOf[a])
	m.partialOf[a] = m.partialOf[a][:0]
	for _, arr := range arrs {
		arr.Retain()
		m.partialOf[a] = append(m.partialOf[a], arr)
	}
	m.partialOK[a] = true
	return m.partial[a], nil
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
	clear(arrs)
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
	releaseAll(m.keys)
	m.keys = m.keys[:0]
	m.dropPartials()
	m.ok, m.parted = false, false
}
