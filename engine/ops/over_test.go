package ops

import (
	"cmp"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// overRow is one output row of the test OVER window: the input row, the
// sum over it and the two before it in its partition, and the previous
// value (NaN for none).
type overRow struct {
	key      string
	ts       int64
	v        float64
	sum, lag float64
}

// newTestOver is sum(v) OVER (ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
// and lag(v) per key, ordered by ts.
func newTestOver() *Over {
	f64 := types.Float64Type
	out := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "s", Type: f64}, types.Column{Name: "prev", Type: f64})
	return NewOver(OverConfig{Input: inSchema, PartitionBy: []int{0}, Time: 1, Plus: 1, Out: out, Funcs: []OverFunc{
		{Kind: OverSum, Arg: 2, ArgType: f64, Out: f64, Rows: 2, Range: -1},
		{Kind: OverLag, Arg: 2, ArgType: f64, Out: f64, Rows: -1, Range: -1, Offset: 1, Default: types.NullDatum(f64)},
	}})
}

func overRows(rec arrow.RecordBatch) []overRow {
	keys := rec.Column(0).(*array.String)
	tss := rec.Column(1).(*array.Timestamp)
	vs := rec.Column(2).(*array.Float64)
	sums := rec.Column(3).(*array.Float64)
	lags := rec.Column(4).(*array.Float64)
	out := make([]overRow, rec.NumRows())
	for i := range out {
		out[i] = overRow{key: keys.Value(i), ts: int64(tss.Value(i)), v: vs.Value(i), sum: sums.Value(i), lag: math.NaN()}
		if lags.IsValid(i) {
			out[i].lag = lags.Value(i)
		}
	}
	return out
}

// referenceOver is the definition: at each watermark, every pending row
// with ts + 1 <= wm is released, sorted by (key, ts, arrival), and each
// partition's functions run over its released rows in that order.
type referenceOver struct {
	pending []overRow
	seqs    []int
	seq     int
	wm      int64
	hist    map[string][]float64
}

func (r *referenceOver) push(evs []event) {
	for _, e := range evs {
		if e.ts+1 <= r.wm {
			continue
		}
		r.pending = append(r.pending, overRow{key: e.key, ts: e.ts, v: e.v})
		r.seqs = append(r.seqs, r.seq)
		r.seq++
	}
}

func (r *referenceOver) watermark(wm int64) []overRow {
	if wm <= r.wm {
		return nil
	}
	r.wm = wm
	type rel struct {
		row overRow
		seq int
	}
	var ready []rel
	var keep []overRow
	var keepSeq []int
	for i, p := range r.pending {
		if p.ts+1 <= wm {
			ready = append(ready, rel{p, r.seqs[i]})
		} else {
			keep, keepSeq = append(keep, p), append(keepSeq, r.seqs[i])
		}
	}
	r.pending, r.seqs = keep, keepSeq
	slices.SortFunc(ready, func(a, b rel) int {
		return cmp.Or(cmp.Compare(a.row.key, b.row.key), cmp.Compare(a.row.ts, b.row.ts), cmp.Compare(a.seq, b.seq))
	})
	out := make([]overRow, len(ready))
	for i, x := range ready {
		h := append(r.hist[x.row.key], x.row.v)
		r.hist[x.row.key] = h
		row := x.row
		row.lag = math.NaN()
		if len(h) >= 2 {
			row.lag = h[len(h)-2]
		}
		for _, v := range h[max(0, len(h)-3):] {
			row.sum += v
		}
		out[i] = row
	}
	return out
}

func sameOverRows(a, b []overRow) bool {
	return slices.EqualFunc(a, b, func(x, y overRow) bool {
		return x.key == y.key && x.ts == y.ts && x.v == y.v && x.sum == y.sum &&
			(x.lag == y.lag || math.IsNaN(x.lag) && math.IsNaN(y.lag))
	})
}

// TestOverMatchesDefinition feeds out-of-order rows with tied times,
// late rows, stalled and jumping watermarks, a snapshot/restore halfway
// and restores from checkpoints (taken every third batch, one of them
// full, on either side of the snapshot): right after the full one, and
// later from incremental ones; and checks
// every release against the definition.
func TestOverMatchesDefinition(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			op := newTestOver()
			ref := &referenceOver{wm: math.MinInt64, hist: map[string][]float64{}}
			ctx := &functions.Context{}
			base := int64(1_700_000_000) * 1_000_000
			now := base
			var maxTS int64
			stored := map[string][]byte{}
			for b := 0; b < 120; b++ {
				evs := make([]event, 1+rng.Intn(60))
				for i := range evs {
					now += int64(rng.Intn(3)) * 1000
					// Times on a 100 ms grid: ties within a key are common.
					ts := (now - rng.Int63n(4_000_000)) / 100_000 * 100_000
					if rng.Intn(40) == 0 {
						ts -= 30_000_000 // older than the watermark: late
					}
					evs[i] = event{key: fmt.Sprintf("k%d", rng.Intn(5)), ts: ts, v: float64(rng.Intn(100))}
					maxTS = max(maxTS, ts)
				}
				ref.push(evs)
				if err := op.Push(ctx, batch.Chunk{Rec: record(evs)}, nil); err != nil {
					t.Fatal(err)
				}
				if b >= 30 && b%3 == 0 {
					sink := state.NewMapSink()
					if err := op.Checkpoint(sink, b == 45); err != nil {
						t.Fatal(err)
					}
					sink.Apply(stored)
				}
				if b == 45 || b == 90 {
					op = newTestOver()
					if err := op.RestoreEntries(state.MapEntries(stored)); err != nil {
						t.Fatal(err)
					}
				}
				if b == 60 {
					snap, err := op.Snapshot(nil)
					if err != nil {
						t.Fatal(err)
					}
					op = newTestOver()
					if err := op.Restore(snap); err != nil {
						t.Fatal(err)
					}
				}
				if rng.Intn(4) == 0 {
					continue // the watermark stalls
				}
				wm := maxTS - rng.Int63n(3_000_000)
				var got []overRow
				err := op.Watermark(ctx, wm, func(c batch.Chunk) error {
					got = append(got, overRows(c.Rec)...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if want := ref.watermark(wm); !sameOverRows(got, want) {
					t.Fatalf("batch %d, watermark %d: released\n%v\nwant\n%v", b, wm, got, want)
				}
			}
			if op.Late() == 0 {
				t.Fatal("no late rows were exercised")
			}
		})
	}
}

// BenchmarkOverRunningSum measures a streaming OVER window with a
// running sum over 1,000 keys: rows pushed in batches, the watermark 5 s
// behind, so the backlog stays large while each watermark releases a
// small prefix. The checkpointed case takes a checkpoint every 64th
// batch; small-batches pushes 16 rows at a time (a source keeping up at
// a moderate rate), so the window keeps hundreds of records.
//
//	go test ./engine/ops -run '^$' -bench OverRunningSum -benchtime 3000x
func BenchmarkOverRunningSum(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchOverRunningSum(b, 1024, false) })
	b.Run("checkpointed", func(b *testing.B) { benchOverRunningSum(b, 1024, true) })
	b.Run("small-batches", func(b *testing.B) { benchOverRunningSum(b, 16, false) })
}

func benchOverRunningSum(b *testing.B, batchRows int, ckpt bool) {
	const keys = 1000
	f64 := types.Float64Type
	out := append(append(types.Schema{}, inSchema...), types.Column{Name: "s", Type: f64})
	op := NewOver(OverConfig{Input: inSchema, PartitionBy: []int{0}, Time: 1, Plus: 1, Out: out, Funcs: []OverFunc{
		{Kind: OverSum, Arg: 2, ArgType: f64, Out: f64, Rows: -1, Range: -1},
	}})
	rng := rand.New(rand.NewSource(1))
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%04d", i)
	}
	// 1,000 events per second of event time.
	recs := make([]arrow.RecordBatch, 64*1024/batchRows)
	for r := range recs {
		evs := make([]event, batchRows)
		for i := range evs {
			evs[i] = event{key: names[rng.Intn(keys)], v: float64(rng.Intn(1000))}
		}
		recs[r] = record(evs)
	}
	ctx := &functions.Context{}
	emit := func(batch.Chunk) error { return nil }
	b.ReportAllocs()
	b.ResetTimer()
	var ts int64
	for i := 0; i < b.N; i++ {
		rec := recs[i%len(recs)]
		// Restamp times: event time advances 1 ms per row. The window
		// keeps the records of pending rows; a record comes round again
		// 65,536 rows later, long after its rows were released.
		tsCol := rec.Column(1).(*array.Timestamp).TimestampValues()
		for k := range tsCol {
			tsCol[k] = arrow.Timestamp(ts)
			ts += 1000
		}
		if err := op.Push(ctx, batch.Chunk{Rec: rec}, emit); err != nil {
			b.Fatal(err)
		}
		if err := op.Watermark(ctx, ts-5_000_000, emit); err != nil {
			b.Fatal(err)
		}
		if ckpt && i%64 == 0 {
			if err := op.Checkpoint(discardSink{}, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchRows), "ns/row")
}
