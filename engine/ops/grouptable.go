package ops

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
)

// groupTable maps group keys to dense group ids. The keys themselves are
// kept column by column in keyCols (indexed by id); the table holds only
// slots of (hash tag, id), open addressing with linear probing, so a key
// costs no allocation and no encoding. A batch's keys are hashed once,
// column at a time (groupIDs).
//
// A slot is tag<<32 | id+1, 0 when empty; the tag is the hash's top 32
// bits and the slot index its top log2(len(slots)) bits, so the table
// can be resized and entries moved without the keys.
type groupTable struct {
	cols  []keyCol
	slots []uint64
	shift uint // 64 - log2(len(slots))
	n     int
	hs    []uint64

	// When every key column is a 64-bit integer (int64, timestamp) or an
	// unencoded bytes column, and the bound batch has no NULL key, ints
	// and strs hold them typed and fast is set: equal then compares
	// without a call per column.
	ints []*fixedKey[int64]
	strs []*bytesKey
	fast bool
}

const (
	groupTableMin = 16
	// groupTableLoad is the fill (in eighths) above which the table
	// doubles.
	groupTableLoad = 6
)

func newGroupTable(cols []keyCol) *groupTable {
	t := &groupTable{cols: cols}
	t.resize(groupTableMin)
	return t
}

func (t *groupTable) resize(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	t.shift = 64
	for s := size; s > 1; s >>= 1 {
		t.shift--
	}
	for _, s := range old {
		if s != 0 {
			t.place(s)
		}
	}
}

// place puts a slot value into the first free slot from its home.
func (t *groupTable) place(s uint64) {
	mask := len(t.slots) - 1
	for i := int((s >> 32) << 32 >> t.shift); ; i = (i + 1) & mask {
		if t.slots[i] == 0 {
			t.slots[i] = s
			return
		}
	}
}

// hashes binds the batch's key columns and returns each row's hash.
func (t *groupTable) hashes(keys []arrow.Array, n int) ([]uint64, error) {
	return t.hashSome(keys, nil, n)
}

// hashRows binds the batch's key columns and returns the hashes of the
// listed rows (hs[j] is row rows[j]'s hash, as hashes gives it).
func (t *groupTable) hashRows(keys []arrow.Array, rows []int32) ([]uint64, error) {
	return t.hashSome(keys, rows, len(rows))
}

// hashSome is hashes (rows nil, n rows) and hashRows.
func (t *groupTable) hashSome(keys []arrow.Array, rows []int32, n int) ([]uint64, error) {
	if cap(t.hs) < n {
		t.hs = make([]uint64, n)
	}
	hs := t.hs[:n]
	for i := range hs {
		hs[i] = mulB
	}
	for k, c := range t.cols {
		if err := c.bind(keys[k]); err != nil {
			return nil, err
		}
		if rows == nil {
			c.hash(hs)
		} else {
			c.hashRows(rows, hs)
		}
	}
	for i, h := range hs {
		hs[i] = fmix(h)
	}
	t.bindFast()
	return hs, nil
}

// bindFast sets fast if the bound batch qualifies for equalFast.
func (t *groupTable) bindFast() {
	t.ints, t.strs, t.fast = t.ints[:0], t.strs[:0], true
	for _, c := range t.cols {
		switch c := c.(type) {
		case *fixedKey[int64]:
			t.ints = append(t.ints, c)
			t.fast = t.fast && c.inBM == nil
		case *bytesKey:
			t.strs = append(t.strs, c)
			t.fast = t.fast && c.inBM == nil && !c.encoded
		default:
			t.fast = false
		}
	}
}

// equalFast is equal for a fast batch: the row's values are not NULL,
// so the group's must not be either and must match.
func (t *groupTable) equalFast(id uint32, i int) bool {
	for _, c := range t.ints {
		if c.in[i] != c.vals[id] || c.null[id] {
			return false
		}
	}
	for _, c := range t.strs {
		if c.null[id] || !bytes.Equal(c.group(id), c.in.Bytes(i)) {
			return false
		}
	}
	return true
}

// hashGroup returns the hash of group id's key.
func (t *groupTable) hashGroup(id uint32) uint64 {
	h := uint64(mulB)
	for _, c := range t.cols {
		h = c.hashGroup(id, h)
	}
	return fmix(h)
}

// find returns the id of bound row i's group (h is its hash).
func (t *groupTable) find(i int, h uint64) (uint32, bool) {
	tag := h >> 32
	mask := len(t.slots) - 1
	for j := int(h >> t.shift); ; j = (j + 1) & mask {
		s := t.slots[j]
		if s == 0 {
			return 0, false
		}
		if s>>32 != tag {
			continue
		}
		id := uint32(s) - 1
		if t.fast {
			if t.equalFast(id, i) {
				return id, true
			}
		} else if t.equal(id, i) {
			return id, true
		}
	}
}

func (t *groupTable) equal(id uint32, i int) bool {
	for _, c := range t.cols {
		if !c.equal(id, i) {
			return false
		}
	}
	return true
}

// insert stores bound row i's key as group id's and adds it to the
// table (the key must not be there).
func (t *groupTable) insert(id uint32, i int, h uint64) {
	for _, c := range t.cols {
		c.set(id, i)
	}
	t.add(id, h)
}

func (t *groupTable) add(id uint32, h uint64) {
	if (t.n+1)*8 > len(t.slots)*groupTableLoad {
		t.resize(2 * len(t.slots))
	}
	t.place(h>>32<<32 | uint64(id+1))
	t.n++
}

// remove deletes group id from the table and releases its key (backward
// shift deletion: no tombstones).
func (t *groupTable) remove(id uint32) {
	h := t.hashGroup(id)
	mask := len(t.slots) - 1
	want := h>>32<<32 | uint64(id+1)
	i := int(h >> t.shift)
	for t.slots[i] != want {
		if t.slots[i] == 0 {
			panic("BUG: hash aggregate group missing from its table")
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := int((t.slots[j] >> 32) << 32 >> t.shift)
		// Move slot j back to the hole at i unless its home lies
		// cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	for _, c := range t.cols {
		c.release(id)
	}
}

// compact renumbers the listed groups 0..len(ids)-1 and rebuilds the
// table at the size their number needs.
func (t *groupTable) compact(ids []uint32) {
	hs := make([]uint64, len(ids))
	for i, id := range ids {
		hs[i] = t.hashGroup(id)
	}
	for _, c := range t.cols {
		c.compact(ids)
	}
	size := groupTableMin
	for len(ids)*8 > size*groupTableLoad {
		size *= 2
	}
	t.slots = nil
	t.resize(size)
	t.n = 0
	for i, h := range hs {
		t.add(uint32(i), h)
	}
}
