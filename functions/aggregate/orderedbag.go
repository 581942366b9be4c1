package aggregate

import (
	"encoding/binary"
	"strings"
	"unsafe"

	"github.com/tidwall/btree"
)

// bagEntry is one row kept by an orderedBag: its encoded sort key and
// its payload in one string (one allocation per row), and the arrival
// sequence number that orders rows with equal keys.
type bagEntry struct {
	data string
	klen uint32
	seq  uint64
}

func (e bagEntry) key() string     { return e.data[:e.klen] }
func (e bagEntry) payload() string { return e.data[e.klen:] }

// byKeySeq is the bag's order: sort key, then arrival.
func byKeySeq(a, b bagEntry) bool {
	if c := strings.Compare(a.key(), b.key()); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// byContentSeq orders equal rows together, earliest first, so that a
// retraction finds the row it undoes in O(log n).
func byContentSeq(a, b bagEntry) bool {
	if c := strings.Compare(a.key(), b.key()); c != 0 {
		return c < 0
	}
	if c := strings.Compare(a.payload(), b.payload()); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// bagDegree keeps nodes small: groups are many and usually small.
const bagDegree = 16

// orderedBag is one group's multiset of (sort key, payload) rows in
// (sort key, arrival) order, for aggregates whose result depends on the
// order of their inputs (string_agg with ORDER BY, retractable
// first_value). A retractable bag also indexes rows by content; a
// retraction removes the earliest-arrived equal row.
type orderedBag struct {
	byOrder   *btree.BTreeG[bagEntry]
	byContent *btree.BTreeG[bagEntry]
}

func newOrderedBag(retractable bool) *orderedBag {
	opts := btree.Options{NoLocks: true, Degree: bagDegree}
	b := &orderedBag{byOrder: btree.NewBTreeGOptions(byKeySeq, opts)}
	if retractable {
		b.byContent = btree.NewBTreeGOptions(byContentSeq, opts)
	}
	return b
}

func (b *orderedBag) len() int { return b.byOrder.Len() }

func (b *orderedBag) insert(e bagEntry) {
	b.byOrder.Set(e)
	if b.byContent != nil {
		b.byContent.Set(e)
	}
}

// bagCursor holds the scratch a state reuses to look rows up without
// allocating.
type bagCursor struct {
	it      btree.IterG[bagEntry]
	scratch []byte
}

// remove deletes the earliest-arrived row equal to (key, payload) and
// reports whether there was one. The bag must be retractable.
func (b *orderedBag) remove(c *bagCursor, key, payload []byte) bool {
	c.scratch = append(append(c.scratch[:0], key...), payload...)
	// The probe only lives during the lookup, so it may alias scratch.
	probe := bagEntry{data: unsafe.String(unsafe.SliceData(c.scratch), len(c.scratch)), klen: uint32(len(key))}
	c.it.Init(b.byContent, false)
	found := c.it.Seek(probe)
	var hit bagEntry
	if found {
		hit = c.it.Item()
	}
	c.it.Release()
	if !found || hit.data != probe.data || hit.klen != probe.klen {
		return false
	}
	b.byContent.Delete(hit)
	b.byOrder.Delete(hit)
	return true
}

// first and last return the first and last rows in bag order.
func (b *orderedBag) first() (bagEntry, bool) { return b.byOrder.Min() }
func (b *orderedBag) last() (bagEntry, bool)  { return b.byOrder.Max() }

// scan calls f for every row in bag order.
func (b *orderedBag) scan(f func(e bagEntry) bool) { b.byOrder.Scan(f) }

// marshal appends the rows in bag order: count, then per row the key
// length, the data length and the data.
func (b *orderedBag) marshal(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(b.len()))
	b.scan(func(e bagEntry) bool {
		dst = binary.AppendUvarint(dst, uint64(e.klen))
		dst = binary.AppendUvarint(dst, uint64(len(e.data)))
		dst = append(dst, e.data...)
		return true
	})
	return dst
}

// unmarshalBag reads what marshal wrote into a new bag, numbering the
// rows from *seq on in their order.
func unmarshalBag(src []byte, retractable bool, seq *uint64) (*orderedBag, []byte, error) {
	n, src, err := getUvarint(src)
	if err != nil {
		return nil, nil, err
	}
	b := newOrderedBag(retractable)
	for ; n > 0; n-- {
		var klen, dlen uint64
		if klen, src, err = getUvarint(src); err != nil {
			return nil, nil, err
		}
		if dlen, src, err = getUvarint(src); err != nil {
			return nil, nil, err
		}
		if dlen > uint64(len(src)) || klen > dlen {
			return nil, nil, errShortState
		}
		*seq++
		b.insert(bagEntry{data: string(src[:dlen]), klen: uint32(klen), seq: *seq})
		src = src[dlen:]
	}
	return b, src, nil
}

func getUvarint(src []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, nil, errShortState
	}
	return v, src[n:], nil
}
