package view

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
)

// These methods serve tables, whose rows are changed by DML statements
// rather than by a dataflow. They act on the writer's current rows (not
// the published snapshot); the caller serialises writers.

// Keys returns the store key of each row of rec: the encoded key columns
// (the caller checks uniqueness with Has).
func (s *Store) Keys(rec arrow.RecordBatch) []string {
	n := int(rec.NumRows())
	s.bufs = resize(s.bufs, n)
	s.keyEnc.Append(s.bufs, rec)
	out := make([]string, n)
	for i, b := range s.bufs {
		out[i] = string(b)
	}
	return out
}

// Has reports whether a row with the given store key exists.
func (s *Store) Has(key string) bool {
	_, ok := s.tree.Get(probe(key))
	return ok
}

// ScanCurrent calls fn with the writer's current rows and their store
// keys, in key order, in batches of at most batchSize rows.
func (s *Store) ScanCurrent(batchSize int, fn func(keys []string, rec arrow.RecordBatch) error) error {
	cols := rowcodec.NewColumns(s.layout.types)
	schema := s.schema.Arrow()
	var keys []string
	var err error
	flush := func() {
		if cols.Len() == 0 || err != nil {
			return
		}
		n := cols.Len()
		err = fn(keys, array.NewRecordBatch(schema, cols.Arrays(), int64(n)))
		keys = nil
	}
	s.tree.Scan(func(row string) bool {
		if err = s.layout.decode(cols, row); err != nil {
			return false
		}
		keys = append(keys, keyOf(row))
		if cols.Len() >= batchSize {
			flush()
		}
		return err == nil
	})
	flush()
	return err
}

// DeleteKeys removes the rows with the given store keys.
func (s *Store) DeleteKeys(keys []string) {
	for _, k := range keys {
		s.delete(probe(k), nil)
	}
}

// Get returns the row stored under key (an encoding of the key columns,
// as Keys returns) in the snapshot, in the store's own format: decode it
// with DecodeRow.
func (sn *Snapshot) Get(key string) (string, bool) {
	return sn.tree.Get(probe(key))
}

// GetBytes is Get for a key held in a byte slice (one allocation fewer).
func (sn *Snapshot) GetBytes(key []byte) (string, bool) {
	return sn.tree.Get(probeBytes(key))
}

// Rows calls fn with every stored row of the snapshot, in key order, in
// the store's own format: decode them with DecodeRow.
func (sn *Snapshot) Rows(fn func(row string) bool) {
	sn.tree.Scan(fn)
}

// DecodeRow appends the columns of a row returned by Get or Rows to
// cols, which must have been made for the store's schema.
func (sn *Snapshot) DecodeRow(cols *rowcodec.Columns, row string) error {
	return sn.layout.decode(cols, row)
}
