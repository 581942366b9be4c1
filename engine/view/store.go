package view

import (
	"encoding/binary"
	"fmt"
	"math"
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
	keyed  bool
	keyEnc *rowcodec.Encoder
	rowEnc *rowcodec.Encoder
	tree   *btree.BTreeG[entry]
	snap   atomic.Pointer[Snapshot]
	nextID uint64

	// dirty holds the keys changed since the last Checkpoint.
	dirty map[string]struct{}
	// retention, when set, expires rows by event time (see SetRetention).
	retention *Retention

	keyBufs, rowBufs [][]byte
}

// Retention expires rows whose time has fallen too far behind the
// watermark. The time of a row is the value of key column KeyCol plus
// Plus (for a window_start key, Plus is the window size, so the time is
// the window's end); a row expires once time <= watermark - Keep.
// KeyCol must be the first key column, so expired rows form a prefix of
// the store. For a keyless (append-only) store, Col is a column of the
// row instead and rows are expired from the oldest insertion while they
// are due, so a row that arrived out of order may outlive Keep a little.
type Retention struct {
	Keep   int64
	KeyCol int
	Col    int
	Plus   int64
}

var _ state.Snapshotter = (*Store)(nil)

// NewStore returns an empty store for rows of schema. A keyed store
// identifies rows by the key columns: a +1 row replaces the row with its
// key, and with no key columns the store holds at most one row (a global
// aggregate). An unkeyed store appends every +1 row.
func NewStore(schema types.Schema, key []int, keyed bool) *Store {
	all := make([]int, len(schema))
	ts := make([]types.Type, len(schema))
	for i := range all {
		all[i] = i
		ts[i] = schema[i].Type
	}
	s := &Store{
		schema: schema, types: ts, key: key, keyed: keyed || len(key) > 0,
		keyEnc: rowcodec.NewEncoder(schema, key),
		rowEnc: rowcodec.NewEncoder(schema, all),
		tree:   btree.NewBTreeGOptions(less, btree.Options{NoLocks: true}),
		dirty:  map[string]struct{}{},
	}
	s.Publish()
	return s
}

// SetRetention makes the store expire old rows as the watermark moves.
func (s *Store) SetRetention(r Retention) { s.retention = &r }

// Apply applies a chunk of changes: in a keyed store +1 rows are upserts
// and -1 rows delete the row with that key; in an unkeyed store every +1
// row is appended and -1 rows are an error. Changes become visible at the next
// Publish.
func (s *Store) Apply(c batch.Chunk) error {
	n := c.Len()
	s.keyBufs = resize(s.keyBufs, n)
	s.rowBufs = resize(s.rowBufs, n)
	s.rowEnc.Append(s.rowBufs, c.Rec)
	if s.keyed {
		s.keyEnc.Append(s.keyBufs, c.Rec)
	}
	for i := 0; i < n; i++ {
		retract := c.Signs != nil && c.Signs[i] < 0
		if !s.keyed {
			if retract {
				return fmt.Errorf("BUG: retraction applied to a view without a key")
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], s.nextID)
			s.nextID++
			s.set(string(k[:]), string(s.rowBufs[i]))
			continue
		}
		if retract {
			s.delete(string(s.keyBufs[i]))
			continue
		}
		s.set(string(s.keyBufs[i]), string(s.rowBufs[i]))
	}
	return nil
}

// ApplyDiff applies a chunk like Apply and returns the changelog it
// caused, for views that read this one: the retraction (-1) of every row
// replaced or deleted, then the insertion (+1) of every row added or
// replaced. A row replaced by an identical one produces nothing.
func (s *Store) ApplyDiff(c batch.Chunk) (batch.Chunk, error) {
	n := c.Len()
	s.keyBufs = resize(s.keyBufs, n)
	s.rowBufs = resize(s.rowBufs, n)
	s.rowEnc.Append(s.rowBufs, c.Rec)
	if s.keyed {
		s.keyEnc.Append(s.keyBufs, c.Rec)
	}
	olds := rowcodec.NewColumns(s.types)
	var newIdx []int32
	for i := 0; i < n; i++ {
		retract := c.Signs != nil && c.Signs[i] < 0
		row := string(s.rowBufs[i])
		if !s.keyed {
			if retract {
				return batch.Chunk{}, fmt.Errorf("BUG: retraction applied to a view without a key")
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], s.nextID)
			s.nextID++
			s.set(string(k[:]), row)
			newIdx = append(newIdx, int32(i))
			continue
		}
		key := string(s.keyBufs[i])
		old, existed := s.tree.Get(entry{key: key})
		if existed && !retract && old.row == row {
			continue
		}
		if existed {
			if _, err := olds.DecodeRow([]byte(old.row)); err != nil {
				return batch.Chunk{}, fmt.Errorf("view row: %w", err)
			}
		}
		if retract {
			s.delete(key)
			continue
		}
		s.set(key, row)
		newIdx = append(newIdx, int32(i))
	}
	nOld := olds.Len()
	total := nOld + len(newIdx)
	if total == 0 {
		return batch.Chunk{}, nil
	}
	signs := make([]int8, total)
	for i := range signs {
		signs[i] = 1
		if i < nOld {
			signs[i] = -1
		}
	}
	schema := s.schema.Arrow()
	var parts []arrow.RecordBatch
	if nOld > 0 {
		parts = append(parts, array.NewRecordBatch(schema, olds.Arrays(), int64(nOld)))
	}
	if len(newIdx) > 0 {
		parts = append(parts, batch.Take(c.Rec, newIdx))
	}
	rec, err := batch.Concat(schema, parts)
	if err != nil {
		return batch.Chunk{}, err
	}
	return batch.Chunk{Rec: rec, Signs: signs}, nil
}

func (s *Store) set(key, row string) {
	s.tree.Set(entry{key: key, row: row})
	s.dirty[key] = struct{}{}
}

func (s *Store) delete(key string) {
	if _, ok := s.tree.Delete(entry{key: key}); ok {
		s.dirty[key] = struct{}{}
	}
}

// Expire deletes the rows that retention says are due at watermark wm,
// and returns how many it deleted.
func (s *Store) Expire(wm int64) (int, error) {
	r := s.retention
	if r == nil || wm == math.MinInt64 {
		return 0, nil
	}
	threshold := wm - r.Keep
	var due []string
	var err error
	s.tree.Scan(func(e entry) bool {
		var t int64
		var ok bool
		if s.keyed {
			t, ok, err = firstInt(e.key)
		} else {
			t, ok, err = columnInt(e.row, s.types, r.Col)
		}
		if err != nil || !ok || t+r.Plus > threshold {
			return false
		}
		due = append(due, e.key)
		return true
	})
	for _, k := range due {
		s.delete(k)
	}
	return len(due), err
}

// firstInt decodes the first value of an encoding as an integer; ok is
// false for NULL.
func firstInt(enc string) (int64, bool, error) {
	ds, _, err := rowcodec.DecodeDatums([]byte(enc[:min(len(enc), 9)]), []types.Type{types.Int64Type})
	if err != nil || ds[0].Null {
		return 0, false, err
	}
	return ds[0].I, true, nil
}

// columnInt decodes column col of an encoded row as an integer.
func columnInt(row string, ts []types.Type, col int) (int64, bool, error) {
	ds, _, err := rowcodec.DecodeDatums([]byte(row), ts[:col+1])
	if err != nil || ds[col].Null {
		return 0, false, err
	}
	return ds[col].I, true, nil
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

// A store's checkpointed state is one entry per row, key "r" + the row
// key, and one entry "m" with the next row number.

var _ state.Checkpointer = (*Store)(nil)

// Checkpoint implements state.Checkpointer: the rows changed since the
// previous checkpoint.
func (s *Store) Checkpoint(sink state.Sink, full bool) error {
	key := []byte{'r'}
	if full {
		s.tree.Scan(func(e entry) bool {
			key = append(key[:1], e.key...)
			sink.Put(key, []byte(e.row))
			return true
		})
	} else {
		for k := range s.dirty {
			key = append(key[:1], k...)
			if e, ok := s.tree.Get(entry{key: k}); ok {
				sink.Put(key, []byte(e.row))
			} else {
				sink.Delete(key)
			}
		}
	}
	if len(s.dirty) > 4096 {
		// A map keeps its peak size after clear; start a new one.
		s.dirty = map[string]struct{}{}
	} else {
		clear(s.dirty)
	}
	var w state.Writer
	w.Uvarint(s.nextID)
	sink.Put([]byte{'m'}, w.Buf)
	return nil
}

// RestoreEntries implements state.Checkpointer.
func (s *Store) RestoreEntries(e state.Entries) error {
	tree := btree.NewBTreeGOptions(less, btree.Options{NoLocks: true})
	var next uint64
	err := e(func(key, value []byte) error {
		switch {
		case len(key) == 1 && key[0] == 'm':
			r := state.Reader{Buf: value}
			next = r.Uvarint()
			return r.Err
		case len(key) > 0 && key[0] == 'r':
			tree.Set(entry{key: string(key[1:]), row: string(value)})
			return nil
		}
		return fmt.Errorf("view store: unexpected state key %q", key)
	})
	if err != nil {
		return err
	}
	s.tree, s.nextID = tree, next
	clear(s.dirty)
	s.Publish()
	return nil
}
