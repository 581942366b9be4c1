package view

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// tumbleSchema is the row of a TUMBLE view of count/sum/avg/max per key.
var tumbleSchema = types.Schema{
	{Name: "window_start", Type: types.TimestampType}, {Name: "service", Type: types.TextType},
	{Name: "n", Type: types.Int64Type}, {Name: "total", Type: types.Float64Type},
	{Name: "avg_ms", Type: types.Float64Type}, {Name: "max_ms", Type: types.Float64Type},
}

func tumbleChunk(from, n int) batch.Chunk { return tumbleChunkAt(from, n, 0) }

// tumbleChunkAt is tumbleChunk with the count raised by bump.
func tumbleChunkAt(from, n, bump int) batch.Chunk {
	cols := make([][]types.Datum, len(tumbleSchema))
	for i := from; i < from+n; i++ {
		cols[0] = append(cols[0], types.IntDatum(types.TimestampType, 1_700_000_040_000_000))
		cols[1] = append(cols[1], types.StringDatum(types.TextType, fmt.Sprintf("svc-%07d", i)))
		cols[2] = append(cols[2], types.IntDatum(types.Int64Type, int64(i%100+bump)))
		for k := 3; k < 6; k++ {
			cols[k] = append(cols[k], types.FloatDatum(types.Float64Type, float64(i%500)+0.25))
		}
	}
	arrs := make([]arrow.Array, len(cols))
	for k, c := range tumbleSchema {
		arrs[k] = functions.BuildArray(c.Type, cols[k])
	}
	return batch.Chunk{Rec: array.NewRecordBatch(tumbleSchema.Arrow(), arrs, int64(n))}
}

// BenchmarkStoreBytesPerRow holds 1,000,000 rows of a TUMBLE view
// (window_start, service, count, sum, avg, max) keyed by (window_start,
// service) and reports the Go heap they take per row after a GC: with
// every row changed since the last checkpoint (bytes/row, the peak
// between checkpoints) and after a checkpoint (bytes/row-checkpointed).
//
//	go test ./engine/view -run '^$' -bench StoreBytesPerRow -benchtime 1x
func BenchmarkStoreBytesPerRow(b *testing.B) {
	const rows = 1_000_000
	for i := 0; i < b.N; i++ {
		var chunks []batch.Chunk
		for k := 0; k < rows; k += 8192 {
			chunks = append(chunks, tumbleChunk(k, min(8192, rows-k)))
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		s := NewStore(tumbleSchema, []int{0, 1}, true)
		for _, c := range chunks {
			if err := s.Apply(c); err != nil {
				b.Fatal(err)
			}
		}
		s.Publish()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/rows, "bytes/row")
		if err := s.Checkpoint(discard{}, false); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/rows, "bytes/row-checkpointed")
		runtime.KeepAlive(s)
		runtime.KeepAlive(chunks)
	}
}

// BenchmarkStoreApply upserts 1,024-row chunks over 1,000 keys, the
// changelog of a TUMBLE view: ns/op is per chunk.
//
//	go test ./engine/view -run '^$' -bench StoreApply -count 5
func BenchmarkStoreApply(b *testing.B) {
	s := NewStore(tumbleSchema, []int{0, 1}, true)
	c := tumbleChunk(0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Apply(c); err != nil {
			b.Fatal(err)
		}
		if i%16 == 15 {
			s.Publish()
		}
	}
}

// discard is a state.Sink that drops what it is given.
type discard struct{}

func (discard) Put(key, value []byte) {}
func (discard) Delete(key []byte)     {}

// BenchmarkAppendApply appends 256-row chunks to a view without a key
// (a checkpoint every 64 chunks, a publish every 4), in the tree store
// and the append-only store, and 16,384-row chunks (a source's batch)
// to the append-only store: ns/op is per chunk, ns/row per row.
//
//	go test ./engine/view -run '^$' -bench AppendApply -count 5
func BenchmarkAppendApply(b *testing.B) {
	for _, bc := range []struct {
		name string
		rows int
		make func() *Store
	}{
		{"tree", 256, func() *Store { return NewStore(tumbleSchema, nil, false) }},
		{"log", 256, func() *Store { return NewViewStore(tumbleSchema, nil, false) }},
		{"log/16k", 16384, func() *Store { return NewViewStore(tumbleSchema, nil, false) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := bc.make()
			c := tumbleChunk(0, bc.rows)
			defer func() { b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.rows), "ns/row") }()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.Apply(c); err != nil {
					b.Fatal(err)
				}
				if i%4 == 3 {
					s.Publish()
				}
				if i%64 == 63 {
					if err := s.Checkpoint(discard{}, false); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
