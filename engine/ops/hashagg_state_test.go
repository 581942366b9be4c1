package ops

import (
	"math/rand"
	"testing"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
)

// TestHashAggCheckpointDeletesOnlyStoredGroups checkpoints a windowed
// aggregate every few steps, so that some windows open and close between
// two checkpoints: after each incremental checkpoint the stored entries
// must equal a full checkpoint's, and every deletion must name an entry
// that is stored (a group never written leaves no tombstone).
func TestHashAggCheckpointDeletesOnlyStoredGroups(t *testing.T) {
	for _, eowc := range []bool{false, true} {
		rng := rand.New(rand.NewSource(5))
		p := newPipeline(t, eowc)
		ctx := &functions.Context{}
		var steps []step
		for _, s := range randomSteps(rng, 60) {
			if s.chunk == nil {
				steps = append(steps, s)
				continue
			}
			_ = p.win.Push(ctx, *s.chunk, func(c batch.Chunk) error {
				steps = append(steps, step{chunk: &c})
				return nil
			})
		}
		stored := map[string][]byte{}
		deletes := 0
		for i := 0; i < len(steps); i += 7 {
			drive(t, p.agg, steps[i:min(len(steps), i+7)])
			sink := state.NewMapSink()
			if err := p.agg.Checkpoint(sink, false); err != nil {
				t.Fatal(err)
			}
			for k := range sink.Deletes {
				if _, ok := stored[k]; !ok {
					t.Fatalf("eowc=%v, step %d: deletion of %q, which no checkpoint wrote", eowc, i, k)
				}
				deletes++
			}
			sink.Apply(stored)
			full := state.NewMapSink()
			if err := p.agg.Checkpoint(full, true); err != nil {
				t.Fatal(err)
			}
			if len(full.Puts) != len(stored) {
				t.Fatalf("eowc=%v, step %d: %d entries stored, a full checkpoint has %d", eowc, i, len(stored), len(full.Puts))
			}
			for k, v := range full.Puts {
				if string(stored[k]) != string(v) {
					t.Fatalf("eowc=%v, step %d: entry %q stored as %x, a full checkpoint has %x", eowc, i, k, stored[k], v)
				}
			}
		}
		if deletes == 0 {
			t.Fatalf("eowc=%v: no stored group was deleted; the test does not exercise deletion", eowc)
		}
	}
}
