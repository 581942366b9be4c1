package ops

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// benchRows is the batch size of the operator benchmarks.
const benchRows = 1024

// benchEvents returns n events over keys keys, one per millisecond from
// the start of a minute, so that a 1-minute TUMBLE holds them all.
func benchEvents(from, n, keys int) []event {
	evs := make([]event, n)
	for i := range evs {
		j := from + i
		evs[i] = event{key: fmt.Sprintf("svc-%07d", j%keys), ts: 1_700_000_000_000_000/minute*minute + int64(j)*1000, v: float64(j%500) + 0.25}
	}
	return evs
}

// BenchmarkWindowAssign assigns 1,024-row batches to TUMBLE (1 minute)
// and HOP (5 minutes every minute) windows: ns/op is per batch.
//
//	go test ./engine/ops -run '^$' -bench WindowAssign -count 5
func BenchmarkWindowAssign(b *testing.B) {
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})
	for _, c := range []struct {
		name        string
		size, slide int64
	}{{"tumble", minute, minute}, {"hop", 5 * minute, minute}} {
		b.Run(c.name, func(b *testing.B) {
			w := NewWindowAssign(1, c.size, c.slide, 0, winSchema)
			rec := record(benchEvents(0, benchRows, 1000))
			ctx := &functions.Context{}
			out := 0
			emit := func(ch batch.Chunk) error { out += ch.Len(); ch.Rec.Release(); return nil }
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := w.Push(ctx, batch.Chunk{Rec: rec}, emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
			if out != b.N*benchRows*int(c.size/c.slide) {
				b.Fatalf("emitted %d rows", out)
			}
		})
	}
}

// BenchmarkHashAgg folds 1,024-row batches, already assigned to one
// 1-minute window, into count/sum/max over 1,000 keys: hashing the group
// keys, the aggregate updates and the output of the changed groups. ns/op
// is per batch.
//
//	go test ./engine/ops -run '^$' -bench HashAgg -count 5
func BenchmarkHashAgg(b *testing.B) {
	p := newPipeline(b, false)
	ctx := &functions.Context{}
	var chunks []batch.Chunk
	for k := 0; k < 16; k++ {
		err := p.win.Push(ctx, batch.Chunk{Rec: record(benchEvents(k*benchRows, benchRows, 1000))}, func(c batch.Chunk) error {
			chunks = append(chunks, c)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	emit := func(c batch.Chunk) error { c.Rec.Release(); return nil }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.agg.Push(ctx, chunks[i%len(chunks)], emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// BenchmarkHashAggStateBytes holds 1,000,000 open groups (one key each
// in one open 1-minute window, count/sum/max) and reports the Go heap they
// take per key, after a GC. The view store's copy of the rows is measured
// by engine/view's BenchmarkStoreBytesPerRow.
//
//	go test ./engine/ops -run '^$' -bench HashAggStateBytes -benchtime 1x
func BenchmarkHashAggStateBytes(b *testing.B) {
	const keys = 1_000_000
	for i := 0; i < b.N; i++ {
		var recs []arrow.RecordBatch
		for k := 0; k < keys; k += 8192 {
			recs = append(recs, record(benchEvents(k, min(8192, keys-k), keys)))
		}
		ctx := &functions.Context{}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		p := newPipeline(b, true) // emit on close: nothing is emitted here
		for _, rec := range recs {
			err := p.win.Push(ctx, batch.Chunk{Rec: rec}, func(c batch.Chunk) error {
				return p.agg.Push(ctx, c, func(batch.Chunk) error { return nil })
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if p.agg.Groups() != keys {
			b.Fatalf("%d groups", p.agg.Groups())
		}
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/keys, "bytes/key")
		runtime.KeepAlive(p)
		runtime.KeepAlive(recs)
	}
}

// BenchmarkTumbleViewBytesPerKey measures the whole state of workload 2
// of `tocsin bench` (count/sum/avg/max per key over a 1-minute TUMBLE)
// with 1,000,000 live keys: the hash aggregate (window_start,
// 'svc-NNNNNN' keys, emitting its changes) and the view store holding
// its rows. It reports the Go heap in use after a GC over the number of
// keys, everything included (key tables, maps, dirty sets): right after
// loading (every key changed since the last checkpoint, the peak between
// checkpoints) and after a checkpoint of both. inuse-bytes/key counts
// the heap spans in use instead of the live objects (fragmentation
// included).
//
//	go test ./engine/ops -run '^$' -bench TumbleViewBytesPerKey -benchtime 1x
func BenchmarkTumbleViewBytesPerKey(b *testing.B) {
	const keys = 1_000_000
	for i := 0; i < b.N; i++ {
		var recs []arrow.RecordBatch
		for k := 0; k < keys; k += 8192 {
			evs := benchEvents(k, min(8192, keys-k), keys)
			for j := range evs {
				evs[j].key = fmt.Sprintf("svc-%06d", (k+j)%keys)
			}
			recs = append(recs, record(evs))
		}
		ctx := &functions.Context{}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		win, agg, store := newWorkload2(b)
		for _, rec := range recs {
			err := win.Push(ctx, batch.Chunk{Rec: rec}, func(c batch.Chunk) error {
				return agg.Push(ctx, c, store.Apply)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		store.Publish()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if agg.Groups() != keys || store.Len() != keys {
			b.Fatalf("%d groups, %d rows", agg.Groups(), store.Len())
		}
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/keys, "bytes/key")
		b.ReportMetric(float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/keys, "inuse-bytes/key")
		if err := agg.Checkpoint(discardSink{}, false); err != nil {
			b.Fatal(err)
		}
		if err := store.Checkpoint(discardSink{}, false); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/keys, "bytes/key-checkpointed")
		runtime.KeepAlive(recs)
		runtime.KeepAlive(win)
		runtime.KeepAlive(agg)
		runtime.KeepAlive(store)
	}
}

// newWorkload2 returns TUMBLE(1 minute) → HashAgg(count, sum, avg, max
// by window_start, key) → a view store keyed by (window_start, key).
func newWorkload2(b *testing.B) (*WindowAssign, *HashAgg, *view.Store) {
	return newWindowView(b, minute, minute)
}

// BenchmarkWindowView runs the engine part of workloads 2 (TUMBLE 1
// minute) and 3 (HOP 5 minutes every minute) of `tocsin bench`: 4,096-row
// (and 16,384-row) batches of events one millisecond apart over 1,000 random keys,
// through window assignment, count/sum/avg/max by (window_start, key)
// emitting the changed groups after every batch, into the view store,
// with the watermark 5 s behind. ns/row is per input event.
//
//	go test ./engine/ops -run '^$' -bench WindowView -benchtime 400x
func BenchmarkWindowView(b *testing.B) {
	const keys = 1000
	for _, c := range []struct {
		name        string
		size, slide int64
		rows        int
	}{
		{"tumble", minute, minute, 4096}, {"hop", 5 * minute, minute, 4096},
		// The Kafka source's batch size when a view is behind its log.
		{"tumble/16k", minute, minute, 16384}, {"hop/16k", 5 * minute, minute, 16384},
	} {
		rows := c.rows
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			names := make([]string, keys)
			for i := range names {
				names[i] = fmt.Sprintf("svc-%04d", i)
			}
			// 64 batches (about 4.4 minutes of event time), replayed with
			// their times shifted so that windows keep closing.
			var recs []arrow.RecordBatch
			for k := 0; k < 64; k++ {
				evs := make([]event, rows)
				for j := range evs {
					evs[j] = event{key: names[rng.IntN(keys)], ts: int64(k*rows+j) * 1000, v: float64(rng.IntN(5000)) / 10}
				}
				recs = append(recs, record(evs))
			}
			win, agg, store := newWindowView(b, c.size, c.slide)
			ctx := &functions.Context{}
			push := func(c batch.Chunk) error { return agg.Push(ctx, c, store.Apply) }
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := recs[i%len(recs)]
				shift := int64(i/len(recs)) * int64(len(recs)*rows) * 1000
				if shift != 0 {
					rec = shiftTime(rec, shift)
				}
				if err := win.Push(ctx, batch.Chunk{Rec: rec}, push); err != nil {
					b.Fatal(err)
				}
				wm := int64(i+1)*int64(rows)*1000 - 5_000_000
				if err := win.Watermark(ctx, wm, nil); err != nil {
					b.Fatal(err)
				}
				if err := agg.Watermark(ctx, wm, store.Apply); err != nil {
					b.Fatal(err)
				}
				if i%16 == 15 {
					store.Publish()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

// shiftTime returns rec with its time column (1) moved by d.
func shiftTime(rec arrow.RecordBatch, d int64) arrow.RecordBatch {
	ts := vec.Values[int64](rec.Column(1))
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t + d
	}
	cols := append([]arrow.Array(nil), rec.Columns()...)
	cols[1] = vec.NewFixed(rec.Column(1).DataType(), out, nil, 0)
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
}

// newWindowView returns a TUMBLE (slide == size) or HOP window
// assignment → HashAgg(count, sum, avg, max by window_start, key) → a
// view store keyed by (window_start, key).
func newWindowView(b testing.TB, size, slide int64) (*WindowAssign, *HashAgg, *view.Store) {
	reg := functions.NewRegistry()
	aggregate.Register(reg)
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})
	mk := func(name string, args ...types.Type) AggSpec {
		a, _, err := reg.ResolveAggregate(name, args, 0)
		if err != nil {
			b.Fatal(err)
		}
		newState := func() (functions.GroupState, error) { return a.New(args, functions.AggOptions{}) }
		s, err := newState()
		if err != nil {
			b.Fatal(err)
		}
		spec := AggSpec{State: s, New: newState, Filter: -1}
		if len(args) > 0 {
			spec.Args = []int{2}
		}
		return spec
	}
	out := types.Schema{
		{Name: "window_start", Type: types.TimestampType}, {Name: "service", Type: types.TextType},
		{Name: "n", Type: types.Int64Type}, {Name: "total", Type: types.Float64Type},
		{Name: "avg_ms", Type: types.Float64Type}, {Name: "max_ms", Type: types.Float64Type},
	}
	agg := NewHashAgg(HashAggConfig{
		Input: winSchema, Keys: []int{3, 0}, Out: out,
		Aggs:   []AggSpec{mk("count"), mk("sum", types.Float64Type), mk("avg", types.Float64Type), mk("max", types.Float64Type)},
		Window: &WindowClose{KeyCol: 0, Plus: size},
	})
	return NewWindowAssign(1, size, slide, 0, winSchema), agg, view.NewStore(out, []int{0, 1}, true)
}

// discardSink is a state.Sink that drops what it is given.
type discardSink struct{}

func (discardSink) Put(key, value []byte) {}
func (discardSink) Delete(key []byte)     {}
