package view

import (
	"io"
	"log/slog"
	"testing"

	"github.com/tocsin-db/tocsin/engine/durable"
)

// TestAppendStoreRunsAndUncommittedCheckpoints checkpoints an
// append-only store into the durable store, whose sinks take the new
// pages as runs (ingested tables, written after Checkpoint returns), and
// crashes between a run's ingest and its batch's commit: the restored
// store has the last committed checkpoint's rows, not the stale pages,
// and later checkpoints replace the stale pages, so a restore once the
// row numbers have passed them still reads each row once.
func TestAppendStoreRunsAndUncommittedCheckpoints(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			dir := ""
			if mode == "disk" {
				dir = t.TempDir()
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			db, err := durable.Open(dir, log)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			prefix := durable.StorePrefix(7)
			checkpoint := func(s *Store, commit bool) {
				t.Helper()
				b := db.NewBatch()
				if err := s.Checkpoint(b.Sink(prefix), false); err != nil {
					t.Fatal(err)
				}
				if b.Bytes() > 1<<10 {
					t.Fatalf("checkpoint put %d bytes in the batch: the pages did not go to a run", b.Bytes())
				}
				if err := b.IngestRuns(); err != nil {
					t.Fatal(err)
				}
				if commit {
					if err := b.Commit(); err != nil {
						t.Fatal(err)
					}
				} else {
					b.Discard()
				}
			}
			restore := func() *Store {
				t.Helper()
				r := NewViewStore(schema, nil, false)
				if err := r.RestoreEntries(db.Entries(prefix)); err != nil {
					t.Fatal(err)
				}
				return r
			}

			s := NewViewStore(schema, nil, false)
			_ = s.Apply(seqChunk("a", 0, pageRows+10))
			checkpoint(s, true)
			// Two more pages, ingested, but the process dies before the
			// batch (with the metadata that covers them) commits.
			_ = s.Apply(seqChunk("a", pageRows+10, 3000))
			checkpoint(s, false)
			if dir != "" {
				_ = db.Close()
				if db, err = durable.Open(dir, log); err != nil {
					t.Fatal(err)
				}
			}
			r := restore()
			if got, want := contents(t, r.Read()), seqContents("a", 0, pageRows+10); got != want || r.Len() != pageRows+10 {
				t.Fatalf("restored after the uncommitted checkpoint: %d rows, want %d", r.Len(), pageRows+10)
			}
			// The restored store numbers its rows from where the committed
			// checkpoint stopped; its pages start at other row numbers than
			// the stale ones.
			_ = r.Apply(seqChunk("b", 0, 100))
			checkpoint(r, true)
			_ = r.Apply(seqChunk("b", 100, 3000))
			checkpoint(r, true)
			r.Publish()
			want := seqContents("a", 0, pageRows+10) + seqContents("b", 0, 3100)
			if got := contents(t, r.Read()); got != want {
				t.Fatal("live rows differ from the ones written")
			}
			r2 := restore()
			if got := contents(t, r2.Read()); got != want || r2.Len() != pageRows+3110 {
				t.Fatalf("restored %d rows, want %d, or other rows than written", r2.Len(), pageRows+3110)
			}
		})
	}
}
