package view

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tidwall/btree"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/types"
)

type entry struct {
	key string
	row string
}

func less(a, b entry) bool { return a.key < b.key }

// Store is a materialized view's contents.
type Store struct {
	schema types.Schema
	types  []types.Type
	key    []int
	keyEnc *rowcodec.Encoder
	rowEnc *rowcodec.Encoder
	tree   *btree.BTreeG[entry]
	snap   atomic.Pointer[Snapshot]
	nextID uint64

	keyBufs, rowBufs [][]byte
}

var _ state.Snapshotter = (*Store)(nil)

// NewStore returns an empty store for rows of schema, identified by the
// key columns (none: every inserted row is a new row).
func NewStore(schema types.Schema, key []int) *Store {
	all := make([]int, len(schema))
	ts := make([]types.Type, len(schema))
	for i := range all {
		all[i] = i
		ts[i] = schema[i].Type
	}
	s := &Store{
		schema: schema, types: ts, key: key,
		keyEnc: rowcodec.NewEncoder(schema, key),
		rowEnc: rowcodec.NewEncoder(schema, all),
		tree:   btree.NewBTreeGOptions(less, btree.Options{NoLocks: true}),
	}
	s.Publish()
	return s
}

// Apply applies a chunk of changes: with a key, +1 rows are upserts and
// -1 rows delete the row with that key; without a key every +1 row is
// appended and -1 rows are an error. Changes become visible at the next
// Publish.
func (s *Store) Apply(c batch.Chunk) error {
	n := c.Len()
	s.keyBufs = resize(s.keyBufs, n)
	s.rowBufs = resize(s.rowBufs, n)
	s.rowEnc.Append(s.rowBufs, c.Rec)
	if len(s.key) > 0 {
		s.keyEnc.Append(s.keyBufs, c.Rec)
	}
	for i := 0; i < n; i++ {
		retract := c.Signs != nil && c.Signs[i] < 0
		if len(s.key) == 0 {
			if retract {
				return fmt.Errorf("BUG: retraction applied to a view without a key")
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], s.nextID)
			s.nextID++
			s.tree.Set(entry{key: string(k[:]), row: string(s.rowBufs[i])})
			continue
		}
		if retract {
			s.tree.Delete(entry{key: string(s.keyBufs[i])})
			continue
		}
		s.tree.Set(entry{key: string(s.keyBufs[i]), row: string(s.rowBufs[i])})
	}
	return nil
}

func resize(bufs [][]byte, n int) [][]byte {
	if cap(bufs) < n {
		bufs = make([][]byte, n)
	}
	bufs = bufs[:n]
	for i := range bufs {
		bufs[i] = bufs[i][:0]
	}
	return bufs
}

// Publish makes the changes applied so far visible to readers.
func (s *Store) Publish() {
	s.snap.Store(&Snapshot{tree: s.tree.Copy(), types: s.types, schema: s.schema})
}

// Read returns the latest published contents.
func (s *Store) Read() *Snapshot { return s.snap.Load() }

// Len returns the number of rows (including unpublished changes).
func (s *Store) Len() int { return s.tree.Len() }

// Snapshot is an immutable view of a store's rows, safe for concurrent
// readers.
type Snapshot struct {
	tree   *btree.BTreeG[entry]
	types  []types.Type
	schema types.Schema
}

// Len returns the number of rows.
func (sn *Snapshot) Len() int { return sn.tree.Len() }

// Scan calls fn with the rows in key order, in record batches of at most
// batchSize rows. fn must not retain the batch after returning unless it
// retains it.
func (sn *Snapshot) Scan(batchSize int, fn func(arrow.RecordBatch) error) error {
	cols := rowcodec.NewColumns(sn.types)
	schema := sn.schema.Arrow()
	var err error
	flush := func() {
		if cols.Len() == 0 || err != nil {
			return
		}
		n := cols.Len()
		err = fn(array.NewRecordBatch(schema, cols.Arrays(), int64(n)))
	}
	sn.tree.Scan(func(e entry) bool {
		if _, derr := cols.DecodeRow([]byte(e.row)); derr != nil {
			err = fmt.Errorf("view row: %w", derr)
			return false
		}
		if cols.Len() >= batchSize {
			flush()
		}
		return err == nil
	})
	flush()
	return err
}

const storeVersion = 1

// Snapshot implements state.Snapshotter: every row, in key order.
func (s *Store) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: append(dst, storeVersion)}
	w.Uvarint(s.nextID)
	w.Uvarint(uint64(s.tree.Len()))
	s.tree.Scan(func(e entry) bool {
		w.Bytes([]byte(e.key))
		w.Bytes([]byte(e.row))
		return true
	})
	return w.Buf, nil
}

// Restore implements state.Snapshotter.
func (s *Store) Restore(src []byte) error {
	if len(src) == 0 || src[0] != storeVersion {
		return fmt.Errorf("view store: unknown snapshot version")
	}
	r := state.Reader{Buf: src[1:]}
	s.nextID = r.Uvarint()
	n := r.Uvarint()
	tree := btree.NewBTreeGOptions(less, btree.Options{NoLocks: true})
	for i := uint64(0); i < n && r.Err == nil; i++ {
		k, v := r.Bytes(), r.Bytes()
		tree.Set(entry{key: string(k), row: string(v)})
	}
	if r.Err != nil {
		return r.Err
	}
	s.tree = tree
	s.Publish()
	return nil
}
