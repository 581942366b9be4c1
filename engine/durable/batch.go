package durable

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/tocsin-db/tocsin/engine/state"
)

// Batch accumulates writes to commit atomically.
type Batch struct {
	db    *pebble.DB
	b     *pebble.Batch
	bytes int64
}

// NewBatch returns an empty batch.
func (d *DB) NewBatch() *Batch { return &Batch{db: d.db, b: d.db.NewBatch()} }

// NewBatchWithSize returns an empty batch with room for about size bytes
// of writes, so that filling it does not regrow (and copy) its buffer
// step by step.
func (d *DB) NewBatchWithSize(size int) *Batch {
	return &Batch{db: d.db, b: d.db.NewBatchWithSize(size)}
}

// flushAbove is the batch size above which a commit is followed by a
// flush: Pebble keeps a large batch in memory as its own memtable until
// it is flushed, so a checkpoint of a burst (a million-key window
// closing) would otherwise hold its size in memory.
const flushAbove = 16 << 20

// Put sets key to value (both are copied).
func (b *Batch) Put(key, value []byte) {
	b.bytes += int64(len(key) + len(value))
	_ = b.b.Set(key, value, nil)
}

// Delete removes key.
func (b *Batch) Delete(key []byte) {
	b.bytes += int64(len(key))
	_ = b.b.Delete(key, nil)
}

// DeletePrefix removes every key under prefix.
func (b *Batch) DeletePrefix(prefix []byte) {
	_ = b.b.DeleteRange(prefix, prefixEnd(prefix), nil)
}

// Bytes returns the size of the keys and values written so far.
func (b *Batch) Bytes() int64 { return b.bytes }

// Sink returns a state.Sink writing under prefix.
func (b *Batch) Sink(prefix []byte) state.Sink {
	return &prefixSink{b: b, prefix: append([]byte(nil), prefix...)}
}

type prefixSink struct {
	b      *Batch
	prefix []byte
	key    []byte
}

func (s *prefixSink) Put(key, value []byte) {
	s.key = append(append(s.key[:0], s.prefix...), key...)
	s.b.Put(s.key, value)
}

func (s *prefixSink) Delete(key []byte) {
	s.key = append(append(s.key[:0], s.prefix...), key...)
	s.b.Delete(s.key)
}

// Merge appends another batch's writes to b.
func (b *Batch) Merge(other *Batch) error {
	b.bytes += other.bytes
	err := b.b.Apply(other.b, nil)
	_ = other.b.Close()
	return err
}

// Commit writes the batch durably (fsync) and atomically.
func (b *Batch) Commit() error {
	defer b.b.Close()
	if err := b.b.Commit(pebble.Sync); err != nil {
		return err
	}
	if b.bytes > flushAbove {
		// The first flush writes the large batch out; the batch's memory
		// is only let go once a second flush retires the memtable queue
		// that still refers to it (measured: TestLargeCommitReleasesMemory).
		if err := b.db.Flush(); err != nil {
			return err
		}
		return b.db.Flush()
	}
	return nil
}

// Discard drops the batch.
func (b *Batch) Discard() { _ = b.b.Close() }
