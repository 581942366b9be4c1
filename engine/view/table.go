package view

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
)

// These methods serve tables, whose rows are changed by DML statements
// rather than by a dataflow. They act on the writer's current rows (not
// the published snapshot); the caller serialises writers.

// Keys returns the store key of each row of rec: the encoded key columns
// (the caller checks uniqueness with Has).
func (s *Store) Keys(rec arrow.RecordBatch) []string {
	n := int(rec.NumRows())
	s.bufs = rowcodec.Rows(s.bufs, n)
	s.keyEnc.Append(s.bufs, rec)
	out := make([]string, n)
	for i, b := range s.bufs {
		out[i] = string(b)
	}
	return out
}

// Has reports whether a row with the given store key exists.
func (s *Store) Has(key string) bool {
	if s.log != nil {
		_, ok := s.current().get([]byte(key))
		return ok
	}
	_, ok := s.tree.Get(probe(key))
	return ok
}

// ScanCurrent calls fn with the writer's current rows and their store
// keys, in key order, in batches of at most batchSize rows.
func (s *Store) ScanCurrent(batchSize int, fn func(keys []string, rec arrow.RecordBatch) error) error {
	return scanRows(s.eachRow, &s.layout, s.schema, batchSize, true, fn)
}

// DeleteKeys removes the rows with the given store keys.
func (s *Store) DeleteKeys(keys []string) {
	if s.log != nil {
		panic("BUG: DeleteKeys on an append-only store")
	}
	for _, k := range keys {
		s.delete(probe(k), nil)
	}
}

// Get returns the row stored under key (an encoding of the key columns,
// as Keys returns) in the snapshot, in the store's own format: decode it
// with DecodeRow.
func (sn *Snapshot) Get(key string) (string, bool) {
	if sn.log != nil {
		return sn.log.get([]byte(key))
	}
	return sn.tree.Get(probe(key))
}

// GetBytes is Get for a key held in a byte slice (one allocation fewer).
func (sn *Snapshot) GetBytes(key []byte) (string, bool) {
	if sn.log != nil {
		return sn.log.get(key)
	}
	return sn.tree.Get(probeBytes(key))
}

// Rows calls fn with every stored row of the snapshot, in key order, in
// the store's own format: decode them with DecodeRow.
func (sn *Snapshot) Rows(fn func(row string) bool) {
	if sn.log != nil {
		sn.log.each(fn)
		return
	}
	sn.tree.Scan(fn)
}

// DecodeRow appends the columns of a row returned by Get or Rows to
// cols, which must have been made for the store's schema.
func (sn *Snapshot) DecodeRow(cols *rowcodec.Columns, row string) error {
	return sn.layout.decode(cols, row)
}
