package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// TestHashAggShiftedChunks checks the shifted-chunk memo (hashagg_shift.go)
// against the same aggregate fed copies of every chunk, which can never
// use it: HOP windows over random keys, rows out of order and late, the
// watermark moving between batches, retractions now and then, and a
// restore half-way. Outputs must match chunk for chunk.
func TestHashAggShiftedChunks(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			const size, slide = 5 * minute, minute
			winA, aggA, _ := newWindowView(t, size, slide)
			winB, aggB, _ := newWindowView(t, size, slide)
			ctx := &functions.Context{}
			var outA, outB []string
			pushA := func(c batch.Chunk) error {
				return aggA.Push(ctx, c, func(c batch.Chunk) error { outA = append(outA, render(c)); return nil })
			}
			pushB := func(c batch.Chunk) error {
				return aggB.Push(ctx, copyChunk(c), func(c batch.Chunk) error { outB = append(outB, render(c)); return nil })
			}
			var maxTS int64
			for k := 0; k < 60; k++ {
				n := 1 + rng.IntN(600)
				evs := make([]event, n)
				for j := range evs {
					ts := maxTS + int64(rng.IntN(int(2*minute))) - minute/2
					if rng.IntN(20) == 0 {
						ts -= 8 * minute // late for some or all of its windows
					}
					evs[j] = event{key: fmt.Sprintf("k%d", rng.IntN(40)), ts: max(ts, 0), v: float64(rng.IntN(1000)) / 10}
					maxTS = max(maxTS, evs[j].ts)
				}
				c := batch.Chunk{Rec: record(evs)}
				if rng.IntN(8) == 0 {
					c.Signs = make([]int8, n)
					for j := range c.Signs {
						c.Signs[j] = 1
					}
				}
				if err := winA.Push(ctx, c, pushA); err != nil {
					t.Fatal(err)
				}
				if err := winB.Push(ctx, c, pushB); err != nil {
					t.Fatal(err)
				}
				wm := maxTS - minute/2
				for _, p := range []struct {
					w *WindowAssign
					a *HashAgg
					o *[]string
				}{{winA, aggA, &outA}, {winB, aggB, &outB}} {
					if err := p.w.Watermark(ctx, wm, nil); err != nil {
						t.Fatal(err)
					}
					if err := p.a.Watermark(ctx, wm, func(c batch.Chunk) error { *p.o = append(*p.o, render(c)); return nil }); err != nil {
						t.Fatal(err)
					}
				}
				if len(outA) != len(outB) {
					t.Fatalf("batch %d: %d output chunks with the memo, %d without", k, len(outA), len(outB))
				}
				for i := range outA {
					if outA[i] != outB[i] {
						t.Fatalf("batch %d, chunk %d:\nwith the memo:\n%s\nwithout:\n%s", k, i, outA[i], outB[i])
					}
				}
			}
			if aggA.Late() != aggB.Late() {
				t.Errorf("late %d with the memo, %d without", aggA.Late(), aggB.Late())
			}
			if aggA.shift.hits == 0 || aggB.shift.hits != 0 {
				t.Errorf("memo hits %d (want > 0) and %d (want 0)", aggA.shift.hits, aggB.shift.hits)
			}
		})
	}
}

// copyChunk returns c with its columns copied into new arrays.
func copyChunk(c batch.Chunk) batch.Chunk {
	idx := make([]int32, c.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	return batch.Chunk{Rec: batch.Take(c.Rec, idx), Signs: c.Signs}
}

// TestHashAggShiftedNeedsConstantShift pushes two chunks sharing their key
// arrays whose window columns do not differ by a constant: rows of one
// previous group land in different groups, so the memo must stay off.
func TestHashAggShiftedNeedsConstantShift(t *testing.T) {
	_, aggA, _ := newWindowView(t, 5*minute, minute)
	_, aggB, _ := newWindowView(t, 5*minute, minute)
	ctx := &functions.Context{}
	evs := []event{{"a", 1, 1}, {"a", 2, 2}, {"b", 3, 3}, {"a", 4, 4}}
	base := record(evs)
	mk := func(starts []int64) batch.Chunk {
		ws := make([]types.Datum, len(starts))
		we := make([]types.Datum, len(starts))
		for i, s := range starts {
			ws[i] = types.IntDatum(types.TimestampType, s)
			we[i] = types.IntDatum(types.TimestampType, s+5*minute)
		}
		cols := append(append([]arrow.Array{}, base.Columns()...),
			functions.BuildArray(types.TimestampType, ws), functions.BuildArray(types.TimestampType, we))
		return batch.Chunk{Rec: array.NewRecordBatch(aggA.cfg.Input.Arrow(), cols, int64(len(starts)))}
	}
	var outA, outB []string
	for _, starts := range [][]int64{{0, 0, 0, 0}, {minute, 2 * minute, minute, minute}} {
		c := mk(starts)
		if err := aggA.Push(ctx, c, func(c batch.Chunk) error { outA = append(outA, render(c)); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := aggB.Push(ctx, copyChunk(c), func(c batch.Chunk) error { outB = append(outB, render(c)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(outA) != fmt.Sprint(outB) {
		t.Fatalf("with shared key arrays:\n%s\nwith copies:\n%s", outA, outB)
	}
}
