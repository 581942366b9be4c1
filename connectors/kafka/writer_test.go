package kafka

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestWriterPartitionsAndAdmin(t *testing.T) {
	_, brokers := startCluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(2))
	ctx := testCtx(t)
	if err := CreateTopic(ctx, brokers, "t", 4); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := CreateTopic(ctx, brokers, "t", 8); err != nil {
		t.Fatalf("create again: %v", err)
	}
	ends, err := PartitionEnds(ctx, brokers, "t")
	if err != nil || fmt.Sprint(ends) != "map[0:0 1:0 2:0 3:0]" {
		t.Fatalf("ends %v %v", ends, err)
	}

	w := NewWriter(brokers, "t")
	defer w.Close()
	var msgs []Message
	for p := int32(0); p < 4; p++ {
		for i := 0; i <= int(p); i++ {
			msgs = append(msgs, Message{Value: []byte("{}"), Partition: p})
		}
	}
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	ends, err = PartitionEnds(ctx, brokers, "t")
	if err != nil || fmt.Sprint(ends) != "map[0:1 1:2 2:3 3:4]" {
		t.Fatalf("explicit partitions: ends %v %v", ends, err)
	}

	// One key always lands on one partition.
	keyed := make([]Message, 10)
	for i := range keyed {
		keyed[i] = Message{Key: []byte("svc-07"), Value: []byte("{}"), Partition: HashPartition}
	}
	if err := w.Write(ctx, keyed...); err != nil {
		t.Fatal(err)
	}
	after, err := PartitionEnds(ctx, brokers, "t")
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for p := range after {
		switch after[p] - ends[p] {
		case 0:
		case 10:
			moved++
		default:
			t.Fatalf("key spread over partitions: %v -> %v", ends, after)
		}
	}
	if moved != 1 {
		t.Fatalf("keyed writes: %v -> %v", ends, after)
	}

	err = w.Write(ctx, Message{Value: []byte("{}"), Partition: 4})
	if err == nil || !strings.Contains(err.Error(), "partition 4 does not exist") {
		t.Fatalf("out-of-range partition: %v", err)
	}

	// Auto-created topics get the broker's default partition count.
	auto := NewWriter(brokers, "auto")
	defer auto.Close()
	if err := auto.Write(ctx, Message{Value: []byte("{}"), Partition: HashPartition}); err != nil {
		t.Fatalf("auto-create: %v", err)
	}
	if ends, err := PartitionEnds(ctx, brokers, "auto"); err != nil || len(ends) != 2 {
		t.Fatalf("auto topic ends %v %v", ends, err)
	}
	if _, err := PartitionEnds(ctx, brokers, "missing"); err == nil {
		t.Fatal("PartitionEnds of a missing topic succeeded")
	}
}
