package ops

import (
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
)

// TestRestoresStateOfEncodedKeys restores a snapshot and a checkpoint
// written when HashAgg kept its group keys rowcodec-encoded
// (testdata/hashagg_v1.state: 3,000 events of genEvents seed 23 in
// batches of 100, TUMBLE 1 minute, count/sum/max by window_start, key):
// the groups match those of the same events run now, and a full
// checkpoint writes the same entries back.
func TestRestoresStateOfEncodedKeys(t *testing.T) {
	raw, err := os.ReadFile("testdata/hashagg_v1.state")
	if err != nil {
		t.Fatal(err)
	}
	r := state.Reader{Buf: raw}
	snap := r.Bytes()
	entries := map[string][]byte{}
	for n := r.Uvarint(); n > 0 && r.Err == nil; n-- {
		k := r.Bytes()
		entries[string(k)] = r.Bytes()
	}
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	ctx := &functions.Context{}
	noop := func(batch.Chunk) error { return nil }
	live := newPipeline(t, false)
	evs := genEvents(rand.New(rand.NewSource(23)), 3000)
	for b := 0; b*100 < len(evs); b++ {
		part := evs[b*100 : (b+1)*100]
		if err := live.win.Push(ctx, batch.Chunk{Rec: record(part)}, func(c batch.Chunk) error { return live.agg.Push(ctx, c, noop) }); err != nil {
			t.Fatal(err)
		}
		if err := live.agg.Watermark(ctx, part[len(part)-1].ts-5_000_000, noop); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(h *HashAgg) string {
		out := ""
		err := h.Flush(func(c batch.Chunk) error {
			for i := 0; i < c.Len(); i++ {
				for _, col := range c.Rec.Columns() {
					out += col.ValueStr(i) + " "
				}
				out += "\n"
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := rows(live.agg)
	if want == "" {
		t.Fatal("no open groups")
	}
	fromSnap := newPipeline(t, false)
	if err := fromSnap.agg.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := rows(fromSnap.agg); got != want {
		t.Fatalf("restored snapshot:\n%s\nwant\n%s", got, want)
	}
	fromEntries := newPipeline(t, false)
	if err := fromEntries.agg.RestoreEntries(state.MapEntries(entries)); err != nil {
		t.Fatal(err)
	}
	if got := rows(fromEntries.agg); got != want {
		t.Fatalf("restored checkpoint:\n%s\nwant\n%s", got, want)
	}
	sink := state.NewMapSink()
	if err := fromEntries.agg.Checkpoint(sink, true); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sink.Puts) != fmt.Sprint(entries) {
		t.Fatalf("checkpoint entries differ:\n%v\nwant\n%v", sink.Puts, entries)
	}
}
