package durable

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A run is a state.RunSink run: the key range it replaces and the
// function that writes its entries.
type run struct {
	from, end []byte
	write     func(put func(key, value []byte) error) error
}

// runDirName is the directory, under the data directory, where runs'
// tables are written before Pebble takes them in (by a hard link).
const runDirName = "runs"

// IngestRuns writes each of the batch's runs as a table (a range
// deletion of [from, end), then the run's entries) and ingests the
// tables in one step, atomic among themselves, ahead of the batch's
// commit. It is a no-op once done.
//
// Why: an append-only view's new pages are most of a checkpoint of a
// view that keeps every input row (workload 5 of `tocsin bench`).
// Through the batch they were copied into it on the
// view's goroutine, written to the WAL, flushed to an L0 table and
// rewritten (compressed) by a compaction. A run's table is written once,
// off the view's goroutine, and since its keys are new it goes to the
// lowest level it does not overlap, usually the bottom one, where no
// compaction rewrites it. Its range deletion has the table's sequence
// number, so it removes stale entries of an earlier run that never
// committed, but not the table's own.
func (b *Batch) IngestRuns() error {
	if len(b.runs) == 0 {
		return nil
	}
	runs := b.runs
	b.runs = nil
	fs := b.d.opts.FS
	var paths []string
	defer func() {
		// Pebble linked (or copied) the ingested tables into place.
		for _, p := range paths {
			_ = fs.Remove(p)
		}
	}()
	wopts := b.d.opts.MakeWriterOptions(0, b.d.db.TableFormat())
	for _, r := range runs {
		path := fs.PathJoin(b.d.runDir, fmt.Sprintf("%06d.sst", b.d.runSeq.Add(1)))
		f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
		if err != nil {
			return fmt.Errorf("checkpoint: create run table: %w", err)
		}
		paths = append(paths, path)
		w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), wopts)
		err = w.DeleteRange(r.from, r.end)
		if err == nil {
			err = r.write(func(key, value []byte) error {
				b.bytes += int64(len(key) + len(value))
				return w.Set(key, value)
			})
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("checkpoint: write run table: %w", err)
		}
	}
	if err := b.d.db.Ingest(context.Background(), paths); err != nil {
		return fmt.Errorf("checkpoint: ingest run tables: %w", err)
	}
	return nil
}
