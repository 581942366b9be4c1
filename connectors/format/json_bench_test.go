package format

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/types"
)

// demoSchema is the playground's request event.
var demoSchema = types.Schema{
	col("ts", types.TimestampTZType),
	col("service", types.TextType),
	col("host", types.TextType),
	col("latency_ms", types.Float64Type),
	col("status", types.Int32Type),
}

// benchDecode appends rec once per op and flushes every 1024 rows, the
// way a partition reader does, so ns/op is ns per row.
func benchDecode(b *testing.B, schema types.Schema, rec string) {
	d, err := NewJSONDecoder(memory.NewGoAllocator(), schema, JSONOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Release()
	in := []byte(rec)
	if err := d.Append(in); err != nil {
		b.Fatal(err)
	}
	d.Flush().Release()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Append(in); err != nil {
			b.Fatal(err)
		}
		if d.Len() == 1024 {
			d.Flush().Release()
		}
	}
}

func BenchmarkJSONDecodeDemoEvent(b *testing.B) {
	benchDecode(b, demoSchema,
		`{"ts":1700000000123,"service":"svc-07","host":"host-03","latency_ms":12.345,"status":200}`)
}

// BenchmarkJSONDecodeBenchEvent is the record of `tocsin bench`'s
// request workloads: five columns and five keys the schema does not name.
func BenchmarkJSONDecodeBenchEvent(b *testing.B) {
	benchDecode(b, types.Schema{
		col("seq", types.Int64Type),
		col("ts", types.TimestampType),
		col("service", types.TextType),
		col("latency_ms", types.Float64Type),
		col("status", types.Int32Type),
	}, `{"seq":7,"ts":1777593600007,"service":"svc-0042","latency_ms":41.25,"status":200,"method":"GET","path":"/api/items/7","region":"eu-west-1","bytes":5120,"user_agent":"bench/1.0"}`)
}

func BenchmarkJSONDecodeDemoEventRFC3339(b *testing.B) {
	benchDecode(b, demoSchema,
		`{"ts":"2024-01-02T03:04:05.123Z","service":"svc-07","host":"host-03","latency_ms":12.345,"status":200}`)
}

func BenchmarkJSONDecodeEscapesAndUnknownKeys(b *testing.B) {
	benchDecode(b, demoSchema,
		`{"TS":1700000000123,"trace":{"id":"abc","spans":[1,2,3]},"service":"svc-\u00e9","host":"host-03","latency_ms":"12.5","status":"200","tags":["a","b"]}`)
}

func BenchmarkJSONDecodeReject(b *testing.B) {
	d, err := NewJSONDecoder(memory.NewGoAllocator(), demoSchema, JSONOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Release()
	in := []byte(`{"ts":1700000000123,"service":"svc-07","host":"host-03","latency_ms":12.345,"status":2OO}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if d.Append(in) == nil {
			b.Fatal("accepted")
		}
	}
}
