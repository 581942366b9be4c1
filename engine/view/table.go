package view

import (
	"fmt"

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
	s.keyBufs = resize(s.keyBufs, n)
	s.keyEnc.Append(s.keyBufs, rec)
	out := make([]string, n)
	for i, b := range s.keyBufs {
		out[i] = string(b)
	}
	return out
}

// Has reports whether a row with the given store key exists.
func (s *Store) Has(key string) bool {
	_, ok := s.tree.Get(entry{key: key})
	return ok
}

// ScanCurrent calls fn with the writer's current rows and their store
// keys, in key order, in batches of at most batchSize rows.
func (s *Store) ScanCurrent(batchSize int, fn func(keys []string, rec arrow.RecordBatch) error) error {
	cols := rowcodec.NewColumns(s.types)
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
	s.tree.Scan(func(e entry) bool {
		if _, derr := cols.DecodeRow([]byte(e.row)); derr != nil {
			err = fmt.Errorf("table row: %w", derr)
			return false
		}
		keys = append(keys, e.key)
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
		s.delete(k)
	}
}

// Get returns the encoded row stored under key in the snapshot.
func (sn *Snapshot) Get(key string) (string, bool) {
	e, ok := sn.tree.Get(entry{key: key})
	return e.row, ok
}

// Rows calls fn with every encoded row of the snapshot, in key order.
func (sn *Snapshot) Rows(fn func(row string) bool) {
	sn.tree.Scan(func(e entry) bool { return fn(e.row) })
}
