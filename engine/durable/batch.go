package durable

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/tocsin-db/tocsin/engine/state"
)

// Batch accumulates writes to commit atomically, and runs of new
// entries (state.RunSink) to ingest as tables just before.
type Batch struct {
	d     *DB
	b     *pebble.Batch
	bytes int64
	runs  []run
}

// NewBatch returns an empty batch.
func (d *DB) NewBatch() *Batch { return &Batch{d: d, b: d.db.NewBatch()} }

// NewBatchWithSize returns an empty batch with room for about size bytes
// of writes, so that filling it does not regrow (and copy) its buffer
// step by step.
func (d *DB) NewBatchWithSize(size int) *Batch {
	return &Batch{d: d, b: d.db.NewBatchWithSize(size)}
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

// AppendRun implements state.RunSink.
func (s *prefixSink) AppendRun(from, end []byte, write func(put func(key, value []byte) error) error) {
	prefix := s.prefix
	s.b.runs = append(s.b.runs, run{
		from: append(append([]byte(nil), prefix...), from...),
		end:  append(append([]byte(nil), prefix...), end...),
		write: func(put func(key, value []byte) error) error {
			var key []byte
			return write(func(k, v []byte) error {
				key = append(append(key[:0], prefix...), k...)
				return put(key, v)
			})
		},
	})
}

// Merge appends another batch's writes and runs to b.
func (b *Batch) Merge(other *Batch) error {
	b.bytes += other.bytes
	b.runs = append(b.runs, other.runs...)
	err := b.b.Apply(other.b, nil)
	_ = other.b.Close()
	return err
}

// Commit ingests the batch's runs (IngestRuns) if that has not been
// done, then writes the batch durably (fsync) and atomically.
func (b *Batch) Commit() error {
	defer b.b.Close()
	if err := b.IngestRuns(); err != nil {
		return err
	}
	if err := b.b.Commit(pebble.Sync); err != nil {
		return err
	}
	if b.bytes > flushAbove {
		// The first flush writes the large batch out; the batch's memory
		// is only let go once a second flush retires the memtable queue
		// that still refers to it (measured: TestLargeCommitReleasesMemory).
		if err := b.d.db.Flush(); err != nil {
			return err
		}
		return b.d.db.Flush()
	}
	return nil
}

// Discard drops the batch.
func (b *Batch) Discard() { _ = b.b.Close() }
