package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tocsin-db/tocsin/engine/state"
)

// DB is the data directory's database.
type DB struct {
	db   *pebble.DB
	opts *pebble.Options
	// runDir is where a checkpoint writes its runs' tables before
	// ingesting them (runs.go).
	runDir string
	// runSeq numbers the run tables.
	runSeq atomic.Uint64
}

// pebbleLogger sends Pebble's messages to slog at debug level (Pebble
// logs routine events such as "found 0 WALs" at info).
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf("BUG: pebble fatal: "+format, args...))
}

// Open opens (creating if needed) the database in dir.
func Open(dir string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	opts := &pebble.Options{Logger: pebbleLogger{log}}
	// Flushes write L0 tables uncompressed; compactions compress what
	// outlives L0 with Snappy (Pebble's default everywhere). Checkpoints
	// write state that is often short-lived (an OVER window's pending
	// rows live for the watermark delay): in a profile of workload 5
	// (`tocsin bench --workload 5 --mode kafka --cpuprofile`), Snappy
	// was a tenth of the process's CPU, three quarters of it in flushes.
	opts.Levels[0].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	for i := 1; i < len(opts.Levels); i++ {
		opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.SnappyCompression }
	}
	opts.FS = vfs.Default
	if dir == "" {
		// No data directory: keep everything in memory.
		opts.FS = vfs.NewMem()
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", dir, err)
	}
	d := &DB{db: db, opts: opts, runDir: opts.FS.PathJoin(dir, runDirName)}
	// Tables left by a checkpoint that stopped before ingesting them.
	if err := errors.Join(opts.FS.RemoveAll(d.runDir), opts.FS.MkdirAll(d.runDir, 0o755)); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state store %s: %w", dir, err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func be32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }
func be64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

// Key prefixes.
const (
	pCatalog    = 'c'
	pState      = 's'
	pDeadLetter = 'd'
	pLate       = 'l'
	pLast       = 'k'
	pHistory    = 'h'
	pAlerting   = 'a'
)

// ObjectPrefix is the prefix of all state of view id.
func ObjectPrefix(id uint32) []byte { return be32([]byte{pState}, id) }

// JobKey is the key of view id's job metadata.
func JobKey(id uint32) []byte { return append(ObjectPrefix(id), 'j') }

// OperatorPrefix is the prefix of operator op of view id.
func OperatorPrefix(id uint32, op int) []byte {
	return binary.BigEndian.AppendUint16(append(ObjectPrefix(id), 'o'), uint16(op))
}

// SinkKey is the key of sink id's alerts, outbox and row positions.
func SinkKey(id uint32) []byte { return append(ObjectPrefix(id), 'a') }

// AlertingKey is the key of an engine-wide alerting object (silences,
// inhibition rules).
func AlertingKey(name string) []byte { return append([]byte{pAlerting}, name...) }

// StorePrefix is the prefix of view id's rows.
func StorePrefix(id uint32) []byte { return append(ObjectPrefix(id), 'v') }

// DeadLetterPrefix is the prefix of source id's dead letters.
func DeadLetterPrefix(id uint32) []byte { return be32([]byte{pDeadLetter}, id) }

// DeadLetterKey locates one dead letter.
func DeadLetterKey(source uint32, partition int32, offset int64) []byte {
	return be64(be32(DeadLetterPrefix(source), uint32(partition)), uint64(offset))
}

// LatePrefix is the prefix of view id's kept late rows.
func LatePrefix(id uint32) []byte { return be32([]byte{pLate}, id) }

// LateKey locates one kept late row.
func LateKey(view uint32, partition int32, offset int64) []byte {
	return be64(be32(LatePrefix(view), uint32(partition)), uint64(offset))
}

// PositionOf decodes the partition and offset at the end of a
// dead-letter or late-row key.
func PositionOf(key []byte) (int32, int64) {
	n := len(key)
	return int32(binary.BigEndian.Uint32(key[n-12 : n-8])), int64(binary.BigEndian.Uint64(key[n-8:]))
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Get returns the value of key, or ok false.
func (d *DB) Get(key []byte) ([]byte, bool, error) {
	v, closer, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	return out, true, closer.Close()
}

// Entries iterates the keys under prefix in order, with the prefix
// removed, for state.Checkpointer.RestoreEntries.
func (d *DB) Entries(prefix []byte) state.Entries {
	return func(fn func(key, value []byte) error) error {
		it, err := d.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			if err := fn(it.Key()[len(prefix):], it.Value()); err != nil {
				_ = it.Close()
				return err
			}
		}
		return errors.Join(it.Error(), it.Close())
	}
}

// Count returns the number of keys under prefix.
func (d *DB) Count(prefix []byte) (int64, error) {
	var n int64
	err := d.Entries(prefix)(func(_, _ []byte) error { n++; return nil })
	return n, err
}

// Size estimates the bytes on disk of the keys under prefix.
func (d *DB) Size(prefix []byte) (uint64, error) {
	return d.db.EstimateDiskUsage(prefix, prefixEnd(prefix))
}

// DiskUsage returns the database's total size on disk.
func (d *DB) DiskUsage() uint64 { return d.db.Metrics().DiskSpaceUsage() }
