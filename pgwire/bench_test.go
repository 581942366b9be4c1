package pgwire

import (
	"log/slog"
	"net"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/types"
)

// discardConn is a net.Conn whose writes succeed and go nowhere; only
// Write is used by the result path.
type discardConn struct {
	net.Conn
	written int64
}

func (d *discardConn) Write(p []byte) (int, error) {
	d.written += int64(len(p))
	return len(p), nil
}

// BenchmarkResultRows measures the result path for a 4096-row batch of
// (bigint, double precision, text, timestamptz, boolean): column-at-a-time
// encoding, one DataRow per row, written to a discarding connection.
func BenchmarkResultRows(b *testing.B) {
	const rows = 4096
	mem := memory.NewGoAllocator()
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	tb := array.NewTimestampBuilder(mem, types.TimestampTZType.Arrow().(*arrow.TimestampType))
	bb := array.NewBooleanBuilder(mem)
	for i := range rows {
		ib.Append(int64(i) * 7919)
		fb.Append(float64(i) * 1.25)
		sb.Append("service-" + string(rune('a'+i%26)))
		tb.Append(arrow.Timestamp(1700000000000000 + int64(i)*1000))
		bb.Append(i%2 == 0)
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray(), tb.NewArray(), bb.NewArray()}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: "c", Type: c.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rows)
	defer rec.Release()
	columns := []Column{
		{Name: "n", Type: types.Int64Type}, {Name: "f", Type: types.Float64Type}, {Name: "s", Type: types.TextType},
		{Name: "ts", Type: types.TimestampTZType}, {Name: "b", Type: types.BoolType},
	}

	dc := &discardConn{}
	srv := NewServer(Config{Executor: echoExecutor{}, Logger: slog.New(slog.DiscardHandler)})
	c := &conn{srv: srv, nc: dc, log: srv.log}
	c.rw.c = c
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.rw.Columns(columns); err != nil {
			b.Fatal(err)
		}
		if err := c.rw.Rows(rec); err != nil {
			b.Fatal(err)
		}
		if err := c.rw.Complete("SELECT 4096"); err != nil {
			b.Fatal(err)
		}
		if err := c.flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(dc.written / int64(b.N))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
