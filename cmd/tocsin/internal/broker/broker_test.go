package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestBrokerKeepsRecordsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxFor(t)
	b, err := Start(ctx, Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	brokers := []string{b.Addr()}
	w := kafka.NewWriter(brokers, "requests")
	msgs := make([]kafka.Message, 0, 40)
	for i := range 40 {
		msgs = append(msgs, kafka.Message{Value: fmt.Appendf(nil, `{"i": %d}`, i), Partition: int32(i % 4)})
	}
	// The topic does not exist: the first write auto-creates it with the
	// default partition count.
	if err := w.Write(ctx, kafka.Message{Value: []byte(`{}`), Partition: kafka.HashPartition}); err != nil {
		t.Fatalf("auto-create: %v", err)
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatalf("write: %v", err)
	}
	w.Close()
	before, err := kafka.PartitionEnds(ctx, brokers, "requests")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != DefaultPartitions {
		t.Fatalf("auto-created topic has %d partitions", len(before))
	}
	b.Close()
	b.Close() // idempotent

	b2, err := Start(ctx, Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b2.Close()
	after, err := kafka.PartitionEnds(ctx, []string{b2.Addr()}, "requests")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("after restart ends %v, before %v", after, before)
	}
	var total int64
	for _, e := range after {
		total += e
	}
	if total != 41 {
		t.Fatalf("%d records after restart, want 41", total)
	}
}

func TestBrokerAddressAndContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b, err := Start(ctx, Config{Addr: "0.0.0.0:0", Partitions: 2, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(b.Addr())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("advertised address %q", b.Addr())
	}
	if err := kafka.CreateTopic(ctxFor(t), []string{b.Addr()}, "x", 3); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", b.Addr(), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("broker still accepting connections after its context was cancelled")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
	b.Close()

	if _, err := Start(ctx, Config{}); err == nil {
		t.Fatal("Start with a cancelled context succeeded")
	}
}

// TestBrokerSmallSegments: a broker whose segments roll every few records
// keeps and serves every record.
func TestBrokerSmallSegments(t *testing.T) {
	ctx := ctxFor(t)
	b, err := Start(ctx, Config{Partitions: 1, SegmentBytes: 512, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}
	if err := kafka.CreateTopic(ctx, brokers, "s", 1); err != nil {
		t.Fatal(err)
	}
	w := kafka.NewWriter(brokers, "s")
	defer w.Close()
	for i := range 20 {
		msgs := make([]kafka.Message, 10)
		for j := range msgs {
			msgs[j] = kafka.Message{Value: fmt.Appendf(nil, `{"i": %d, "pad": "%0100d"}`, 10*i+j, 0)}
		}
		if err := w.Write(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := kafka.PartitionEnds(ctx, brokers, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(ends) != 1 || ends[0] != 200 {
		t.Fatalf("partition ends %v, want [200]", ends)
	}
}
