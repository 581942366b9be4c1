package pgtypes

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/types"
)

// benchBatch builds rows rows of (bigint, double precision, text,
// timestamptz, boolean) with every 10th value NULL.
func benchBatch(b *testing.B, rows int) (arrow.RecordBatch, []types.Type) {
	mem := memory.NewGoAllocator()
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	tb := array.NewTimestampBuilder(mem, types.TimestampTZType.Arrow().(*arrow.TimestampType))
	bb := array.NewBooleanBuilder(mem)
	for i := range rows {
		if i%10 == 9 {
			ib.AppendNull()
			fb.AppendNull()
			sb.AppendNull()
			tb.AppendNull()
			bb.AppendNull()
			continue
		}
		ib.Append(int64(i) * 7919)
		fb.Append(float64(i) * 1.25)
		sb.Append("service-" + string(rune('a'+i%26)))
		tb.Append(arrow.Timestamp(1700000000000000 + int64(i)*1000))
		bb.Append(i%2 == 0)
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray(), tb.NewArray(), bb.NewArray()}
	rec := newRecord(b, cols...)
	b.Cleanup(rec.Release)
	return rec, []types.Type{types.Int64Type, types.Float64Type, types.TextType, types.TimestampTZType, types.BoolType}
}

func benchmarkEncode(b *testing.B, f Format) {
	rec, typs := benchBatch(b, 4096)
	var e Encoder
	formats := []Format{f}
	row := make([][]byte, 0, len(typs))
	var n int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := e.Encode(rec, typs, formats); err != nil {
			b.Fatal(err)
		}
		for r := range e.Rows() {
			row = e.Row(r, row)
			n += len(row[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*4096), "ns/row")
}

// BenchmarkEncodeText encodes a 4096-row, 5-column batch to text
// DataRow values.
func BenchmarkEncodeText(b *testing.B) { benchmarkEncode(b, Text) }

// BenchmarkEncodeBinary is BenchmarkEncodeText in binary format.
func BenchmarkEncodeBinary(b *testing.B) { benchmarkEncode(b, Binary) }

func BenchmarkAppendFloat(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendFloat(buf[:0], float64(i)*1.0001, 64)
	}
}

func BenchmarkAppendTimestamp(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendTimestamp(buf[:0], 1700000000000000+int64(i)*1001, true)
	}
}
