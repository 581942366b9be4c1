package demo

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/kafka"
)

func TestRunWritesDecodableEvents(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Config{Brokers: brokers, Rate: 2000, Tick: 10 * time.Millisecond}, quiet)
	}()

	// Poll until a few hundred events are in, then stop the generator.
	var ends map[int32]int64
	for {
		ends, err = kafka.PartitionEnds(ctx, brokers, "requests")
		total := int64(0)
		for _, e := range ends {
			total += e
		}
		if err == nil && total >= 300 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("generator wrote too little: %v %v", ends, err)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not stop")
	}
	if ends, err = kafka.PartitionEnds(ctx, brokers, "requests"); err != nil || len(ends) != 4 {
		t.Fatalf("ends %v %v", ends, err)
	}

	// Read everything back through the connector: every record decodes,
	// and each service (the key) lives in one partition.
	src, err := kafka.NewFactory(kafka.Config{Logger: quiet})(connectors.SourceSpec{
		Name:    "requests",
		Schema:  demoSchema,
		Options: map[string]string{"topic": "requests", "properties.bootstrap.server": strings.Join(brokers, ",")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Open(ctx, connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	next := map[int32]int64{}
	home := map[string]int32{}
	for p, end := range ends {
		for next[p] < end {
			b, err := src.ReadBatch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			next[b.Partition] = b.NextOffset
			if len(b.Rejects) > 0 {
				t.Fatalf("rejected: %+v", b.Rejects[0])
			}
			svc := b.Rec.Column(1).(*array.String)
			for i := 0; i < svc.Len(); i++ {
				if q, ok := home[svc.Value(i)]; ok && q != b.Partition {
					t.Fatalf("%s in partitions %d and %d", svc.Value(i), q, b.Partition)
				}
				home[svc.Value(i)] = b.Partition
			}
			b.Rec.Release()
		}
	}
	if len(home) < 10 {
		t.Fatalf("only %d services seen", len(home))
	}
}
