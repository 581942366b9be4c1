package ops

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"testing"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/functions"
)

// TestOverRunsAndUncommittedCheckpoints checkpoints an OVER window into
// the durable store, whose sinks take the record chunks as runs
// (ingested tables, encoded after Checkpoint returns), and crashes after
// a checkpoint whose run was ingested but whose batch never committed:
// the window restored from the committed checkpoint, fed the input from
// there again (as a source rewinds to its checkpointed offsets), must
// release exactly what an uninterrupted window does: the stale chunk's
// rows neither twice nor lost. A later committed checkpoint replaces the
// stale chunk, and a restore from it is exact too.
func TestOverRunsAndUncommittedCheckpoints(t *testing.T) {
	type step struct {
		evs []event
		wm  int64 // 0: the watermark stalls
	}
	rng := rand.New(rand.NewSource(9))
	now := int64(1_700_000_000) * 1_000_000
	var maxTS int64
	steps := make([]step, 70)
	for i := range steps {
		evs := make([]event, 20+rng.Intn(60))
		for j := range evs {
			now += int64(rng.Intn(3)) * 1000
			ts := (now - rng.Int63n(4_000_000)) / 100_000 * 100_000
			evs[j] = event{key: fmt.Sprintf("k%d", rng.Intn(7)), ts: ts, v: float64(rng.Intn(100))}
			maxTS = max(maxTS, ts)
		}
		steps[i].evs = evs
		if rng.Intn(4) != 0 {
			steps[i].wm = maxTS - 2_000_000 - rng.Int63n(1_000_000)
		}
	}
	ctx := &functions.Context{}
	run := func(op *Over, i int) []overRow {
		t.Helper()
		if err := op.Push(ctx, batch.Chunk{Rec: record(steps[i].evs)}, nil); err != nil {
			t.Fatal(err)
		}
		var out []overRow
		if steps[i].wm != 0 {
			err := op.Watermark(ctx, steps[i].wm, func(c batch.Chunk) error {
				out = append(out, overRows(c.Rec)...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	uninterrupted := newTestOver()
	want := make([][]overRow, len(steps))
	for i := range steps {
		want[i] = run(uninterrupted, i)
	}

	db, err := durable.Open("", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	prefix := durable.OperatorPrefix(3, 0)
	checkpoint := func(op *Over, commit bool) {
		t.Helper()
		b := db.NewBatch()
		if err := op.Checkpoint(b.Sink(prefix), false); err != nil {
			t.Fatal(err)
		}
		inBatch := b.Bytes()
		if err := b.IngestRuns(); err != nil {
			t.Fatal(err)
		}
		if ran := b.Bytes() - inBatch; ran < 1000 {
			t.Fatalf("the run wrote %d bytes: the chunks did not go to a run", ran)
		}
		if commit {
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			b.Discard()
		}
	}
	newOver := func() *Over {
		op := newTestOver()
		op.chunkBytes = 600 // a few records a chunk, several chunks a run
		return op
	}
	restore := func() *Over {
		t.Helper()
		op := newOver()
		if err := op.RestoreEntries(db.Entries(prefix)); err != nil {
			t.Fatal(err)
		}
		return op
	}
	// play feeds steps from..to to op, checking each release, and
	// checkpoints after the steps in ckpts (committed if true).
	play := func(op *Over, from, to int, ckpts map[int]bool) {
		t.Helper()
		for i := from; i <= to; i++ {
			if got := run(op, i); !sameOverRows(got, want[i]) {
				t.Fatalf("step %d: released\n%v\nwant\n%v", i, got, want[i])
			}
			if commit, ok := ckpts[i]; ok {
				checkpoint(op, commit)
			}
		}
	}

	// The first checkpoint writes row chunks into the batch.
	op := newOver()
	play(op, 0, 10, nil)
	b := db.NewBatch()
	if err := op.Checkpoint(b.Sink(prefix), false); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// The run of step 30's checkpoint is ingested, but the process dies
	// before its batch commits; the source rewinds to step 20's
	// checkpoint.
	play(op, 11, 35, map[int]bool{20: true, 30: false})
	// The next committed checkpoints write fewer chunks than the stale
	// run left; a restore from them skips the rest.
	play(restore(), 21, 28, map[int]bool{22: true, 24: true})
	play(restore(), 25, 50, map[int]bool{45: true})
	play(restore(), 46, len(steps)-1, nil)
}
