package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
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

// TestHashAggPartsMixedAggregates drives the part path (pushParts) with
// what the window-view test does not have: a FILTER whose column is the
// same array across a run or a new one, count of a column with NULLs,
// min and max over NaNs and both zeros (merged), a float sum (per row),
// and keys of every kind hashRows handles: text with NULLs (its hashes
// cached), float with NaN, -0 and NULL, and bool (kept encoded, hashed
// row by row). Some rows are late in the first chunk of a run and not
// in later ones, and the watermark sometimes moves between positions,
// closing a run's parts. Each chunk is also pushed, copied, into an
// aggregate that can never use parts; outputs must match chunk for
// chunk, and so must the stored groups (row counts included).
func TestHashAggPartsMixedAggregates(t *testing.T) {
	ts, txt, f8, bl, i8 := types.TimestampType, types.TextType, types.Float64Type, types.BoolType, types.Int64Type
	in := types.Schema{
		{Name: "ws", Type: ts}, {Name: "k", Type: txt}, {Name: "kf", Type: f8}, {Name: "kb", Type: bl},
		{Name: "v", Type: f8}, {Name: "f", Type: bl},
	}
	out := types.Schema{
		{Name: "ws", Type: ts}, {Name: "k", Type: txt}, {Name: "kf", Type: f8}, {Name: "kb", Type: bl},
		{Name: "n", Type: i8}, {Name: "nv", Type: i8}, {Name: "mx", Type: f8}, {Name: "mn", Type: f8},
		{Name: "s", Type: f8}, {Name: "nf", Type: i8},
	}
	reg := functions.NewRegistry()
	aggregate.Register(reg)
	newAgg := func() *HashAgg {
		mk := func(name string, filter int, args ...int) AggSpec {
			var ats []types.Type
			for _, a := range args {
				ats = append(ats, in[a].Type)
			}
			a, _, err := reg.ResolveAggregate(name, ats, 0)
			if err != nil {
				t.Fatal(err)
			}
			newState := func() (functions.GroupState, error) { return a.New(ats, functions.AggOptions{}) }
			s, err := newState()
			if err != nil {
				t.Fatal(err)
			}
			return AggSpec{State: s, New: newState, Args: args, Filter: filter}
		}
		return NewHashAgg(HashAggConfig{
			Input: in, Keys: []int{0, 1, 2, 3}, Out: out,
			Aggs: []AggSpec{
				mk("count", -1), mk("count", -1, 4), mk("max", 5, 4), mk("min", -1, 4),
				mk("sum", -1, 4), mk("count", 5),
			},
			Window: &WindowClose{KeyCol: 0, Plus: 3 * minute},
		})
	}
	rng := rand.New(rand.NewPCG(4, 4))
	pick := func(vals []types.Datum) types.Datum { return vals[rng.IntN(len(vals))] }
	negZero := math.Copysign(0, -1)
	texts := []types.Datum{types.StringDatum(txt, "a"), types.StringDatum(txt, "b"), types.StringDatum(txt, ""), types.NullDatum(txt)}
	floats := []types.Datum{types.FloatDatum(f8, 1.5), types.FloatDatum(f8, math.NaN()), types.FloatDatum(f8, negZero), types.FloatDatum(f8, 0), types.NullDatum(f8)}
	bools := []types.Datum{types.BoolDatum(true), types.BoolDatum(false), types.NullDatum(bl)}
	col := func(n int, gen func() types.Datum, ty types.Type) arrow.Array {
		ds := make([]types.Datum, n)
		for i := range ds {
			ds[i] = gen()
		}
		return functions.BuildArray(ty, ds)
	}
	aggA, aggB := newAgg(), newAgg()
	ctx := &functions.Context{}
	var outA, outB []string
	wm := int64(0)
	advance := func(d int64) {
		wm += d
		for _, p := range []struct {
			a *HashAgg
			o *[]string
		}{{aggA, &outA}, {aggB, &outB}} {
			if err := p.a.Watermark(ctx, wm, func(c batch.Chunk) error { *p.o = append(*p.o, render(c)); return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	for b := 0; b < 30; b++ {
		n := 1 + rng.IntN(200)
		k := col(n, func() types.Datum { return pick(texts) }, txt)
		kf := col(n, func() types.Datum { return pick(floats) }, f8)
		kb := col(n, func() types.Datum { return pick(bools) }, bl)
		v := col(n, func() types.Datum { return pick(floats) }, f8)
		f := col(n, func() types.Datum { return pick(bools) }, bl)
		base := wm + int64(rng.IntN(5)-4)*minute
		starts := make([]int64, n)
		for i := range starts {
			starts[i] = base + int64(rng.IntN(3))*minute
		}
		for pos := 0; pos < 3; pos++ {
			ws := make([]types.Datum, n)
			for i, s := range starts {
				ws[i] = types.IntDatum(ts, s+int64(pos)*minute)
			}
			if rng.IntN(3) == 0 {
				f = col(n, func() types.Datum { return pick(bools) }, bl)
			}
			c := batch.Chunk{Rec: array.NewRecordBatch(in.Arrow(), []arrow.Array{functions.BuildArray(ts, ws), k, kf, kb, v, f}, int64(n))}
			if err := aggA.Push(ctx, c, func(c batch.Chunk) error { outA = append(outA, render(c)); return nil }); err != nil {
				t.Fatal(err)
			}
			if err := aggB.Push(ctx, copyChunk(c), func(c batch.Chunk) error { outB = append(outB, render(c)); return nil }); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(4) == 0 {
				// Between positions: a run's parts go late together.
				advance(int64(1+rng.IntN(4)) * minute)
			}
		}
		advance(minute)
		sinkA, sinkB := state.NewMapSink(), state.NewMapSink()
		if err := aggA.Checkpoint(sinkA, true); err != nil {
			t.Fatal(err)
		}
		if err := aggB.Checkpoint(sinkB, true); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(sinkA.Puts) != fmt.Sprint(sinkB.Puts) {
			t.Fatalf("batch %d: stored groups differ:\nby parts:\n%v\nwithout:\n%v", b, sinkA.Puts, sinkB.Puts)
		}
		if len(outA) != len(outB) {
			t.Fatalf("batch %d: %d output chunks by parts, %d without", b, len(outA), len(outB))
		}
		for i := range outA {
			if outA[i] != outB[i] {
				t.Fatalf("batch %d, chunk %d:\nby parts:\n%s\nwithout:\n%s", b, i, outA[i], outB[i])
			}
		}
	}
	if aggA.Late() != aggB.Late() || aggA.Late() == 0 {
		t.Errorf("late %d by parts, %d without (want equal, > 0)", aggA.Late(), aggB.Late())
	}
	if aggA.shift.hits == 0 || aggB.shift.hits != 0 {
		t.Errorf("part hits %d (want > 0) and %d (want 0)", aggA.shift.hits, aggB.shift.hits)
	}
}
