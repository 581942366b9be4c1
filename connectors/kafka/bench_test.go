package kafka

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

// BenchmarkSourceDemoEvents measures the whole read path against an
// in-process kfake broker: fetch, kafka-go record parsing, JSON decoding
// into Arrow. One op reads 40,000 demo events from four partitions.
// cpu-ns/record is the process's CPU time (user + system) per record,
// which includes the in-process broker's work.
func BenchmarkSourceDemoEvents(b *testing.B) {
	const perPartition = 10_000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "requests"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	ctx := context.Background()
	w := NewWriter(brokers, "requests")
	for p := int32(0); p < 4; p++ {
		msgs := make([]Message, perPartition)
		for i := range msgs {
			msgs[i] = Message{Partition: p, Value: fmt.Appendf(nil,
				`{"ts":%d,"service":"svc-%02d","host":"host-%02d","latency_ms":%d.%03d,"status":200}`,
				1700000000000+int64(i), i%20+1, i%80+1, i%300, i%1000)}
		}
		if err := w.Write(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	schema := types.Schema{
		{Name: "ts", Type: types.TimestampTZType, Nullable: true},
		{Name: "service", Type: types.TextType, Nullable: true},
		{Name: "host", Type: types.TextType, Nullable: true},
		{Name: "latency_ms", Type: types.Float64Type, Nullable: true},
		{Name: "status", Type: types.Int32Type, Nullable: true},
	}
	factory := NewFactory(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	spec := connectors.SourceSpec{Name: "requests", Schema: schema, Options: map[string]string{
		"topic": "requests", "properties.bootstrap.server": brokers[0],
	}}

	var before, after runtime.MemStats
	var ru0, ru1 syscall.Rusage
	runtime.ReadMemStats(&before)
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := factory(spec)
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Open(ctx, connectors.Start{}); err != nil {
			b.Fatal(err)
		}
		rows := 0
		for rows < 4*perPartition {
			batch, err := src.ReadBatch(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch.Rejects) > 0 {
				b.Fatalf("reject: %+v", batch.Rejects[0])
			}
			rows += int(batch.Rec.NumRows())
			batch.Rec.Release()
		}
		src.Close()
	}
	b.StopTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru1); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N * 4 * perPartition)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/records, "cpu-ns/record")
}
