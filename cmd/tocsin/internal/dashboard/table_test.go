package dashboard

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/sql/types"
)

// BenchmarkTableRows converts a 1024-row batch of a typical windowed
// view (time, key, count, average) to JSON-ready rows, as a follower
// does for every FETCH.
func BenchmarkTableRows(b *testing.B) {
	const n = 1024
	ts := array.NewTimestampBuilder(memory.DefaultAllocator, types.TimestampType.Arrow().(*arrow.TimestampType))
	key := array.NewStringBuilder(memory.DefaultAllocator)
	cnt := array.NewInt64Builder(memory.DefaultAllocator)
	avg := array.NewFloat64Builder(memory.DefaultAllocator)
	for i := range n {
		ts.Append(arrow.Timestamp(base.UnixMicro() + int64(i)*60e6))
		key.Append("svc-07")
		cnt.Append(int64(i))
		avg.Append(float64(i) / 7)
	}
	cols := []engine.Column{
		{Name: "window_start", Type: types.TimestampType}, {Name: "service", Type: types.VarcharType},
		{Name: "n", Type: types.Int64Type}, {Name: "avg_ms", Type: types.Float64Type},
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil),
		[]arrow.Array{ts.NewArray(), key.NewArray(), cnt.NewArray(), avg.NewArray()}, n)
	b.ReportAllocs()
	for b.Loop() {
		t := &table{}
		_ = t.Columns(cols)
		if err := t.Rows(rec); err != nil {
			b.Fatal(err)
		}
	}
}
