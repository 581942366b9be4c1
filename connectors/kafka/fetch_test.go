package kafka

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestSourceReadsCompressedAndTransactionalBatches reads, through a
// kfake broker, batches the way real producers write them: kafka-go
// batches compressed with each codec on partition 0, and committed
// transactions (data batches followed by commit markers, which take an
// offset each) from franz-go's client on partition 1. Every record comes
// back once with its offset and value, the markers' offsets are covered
// without rows or rejects, and the reader ends at the log end.
func TestSourceReadsCompressedAndTransactionalBatches(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(2, "events"))
	ctx := testCtx(t)
	var want [2][]string
	next := 0
	value := func() []byte {
		next++
		return fmt.Appendf(nil, `{"id": %d, "name": "%s"}`, next, strings.Repeat("v", next%50))
	}
	tr := &kafkago.Transport{}
	const perCodec = 40
	for _, codec := range []kafkago.Compression{kafkago.Gzip, kafkago.Snappy, kafkago.Lz4, kafkago.Zstd} {
		// One WriteMessages of a full batch: one compressed record batch.
		w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Topic: "events", Compression: codec, Transport: tr,
			BatchSize: perCodec, RequiredAcks: kafkago.RequireAll,
			Balancer: kafkago.BalancerFunc(func(kafkago.Message, ...int) int { return 0 })}
		msgs := make([]kafkago.Message, perCodec)
		for i := range msgs {
			msgs[i] = kafkago.Message{Value: value()}
			want[0] = append(want[0], fmt.Sprintf("%d@%d", next, len(want[0])))
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("%v: %v", codec, err)
		}
		_ = w.Close()
	}
	tr.CloseIdleConnections()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.TransactionalID("tocsin-test"),
		kgo.DefaultProduceTopic("events"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var end1 int64
	for txn := 0; txn < 3; txn++ {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			r := &kgo.Record{Partition: 1, Value: value()}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
			want[1] = append(want[1], fmt.Sprintf("%d@%d", next, r.Offset))
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := PartitionEnds(ctx, brokers, "events")
	if err != nil {
		t.Fatal(err)
	}
	end1 = ends[1]
	if end1 != 3*5+3 {
		t.Fatalf("partition 1 ends at %d, want 18 (15 records, 3 commit markers)", end1)
	}

	s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, nil))
	if err := s.Open(ctx, connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	var got [2][]string
	covered := map[int32]int64{}
	collect(t, s, map[int32]int64{0: int64(len(want[0])), 1: end1}, func(b *connectors.Batch) {
		if covered[b.Partition] != b.FirstOffset {
			t.Fatalf("partition %d: batch starts at %d, want %d", b.Partition, b.FirstOffset, covered[b.Partition])
		}
		covered[b.Partition] = b.NextOffset
		if len(b.Rejects) > 0 {
			t.Fatalf("rejects %+v", b.Rejects)
		}
		ids := b.Rec.Column(0).(*array.Int64)
		for i := 0; i < ids.Len(); i++ {
			got[b.Partition] = append(got[b.Partition], fmt.Sprintf("%d@%d", ids.Value(i), b.Offsets[i]))
		}
	})
	for p := range want {
		if g, w := strings.Join(got[p], " "), strings.Join(want[p], " "); g != w {
			t.Errorf("partition %d:\n got %s\nwant %s", p, g, w)
		}
	}
	if covered[1] != end1 {
		t.Errorf("partition 1 covered up to %d, want %d", covered[1], end1)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeaks(t)
}

// TestSourceIsolationLevel produces, with franz-go's transactional
// client through kfake, a committed, an aborted and another committed
// transaction. By default (properties.isolation.level read_committed,
// as librdkafka) the source reads the committed records only; with
// read_uncommitted (the Java client's default) it reads all of them.
// Either way it covers every offset, markers included.
func TestSourceIsolationLevel(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(1, "events"))
	ctx := testCtx(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.TransactionalID("tocsin-isolation"),
		kgo.DefaultProduceTopic("events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var committed, all []string
	id := 0
	for txn, commit := range []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort, kgo.TryCommit} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			id++
			r := &kgo.Record{Value: fmt.Appendf(nil, `{"id": %d, "name": "txn%d"}`, id, txn)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
			all = append(all, fmt.Sprint(id))
			if commit == kgo.TryCommit {
				committed = append(committed, fmt.Sprint(id))
			}
		}
		if err := cl.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := PartitionEnds(ctx, brokers, "events")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level string
		want  []string
	}{
		{"", committed},
		{"read_committed", committed},
		{"read_uncommitted", all},
	} {
		var extra map[string]string
		if tc.level != "" {
			extra = map[string]string{"properties.isolation.level": tc.level}
		}
		s := newTestSource(t, testSpec(brokers, "events", extra), testConfig(t, nil))
		if err := s.Open(ctx, connectors.Start{}); err != nil {
			t.Fatal(err)
		}
		var got []string
		collect(t, s, map[int32]int64{0: ends[0]}, func(b *connectors.Batch) {
			ids := b.Rec.Column(0).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				got = append(got, fmt.Sprint(ids.Value(i)))
			}
		})
		if g, w := strings.Join(got, " "), strings.Join(tc.want, " "); g != w {
			t.Errorf("isolation level %q: got %s, want %s", tc.level, g, w)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = parseOptions(testSpec(brokers, "events", map[string]string{"properties.isolation.level": "snapshot"}))
	if err == nil || !strings.Contains(err.Error(), "isolation.level") {
		t.Errorf("bad isolation level: %v", err)
	}
	assertNoLeaks(t)
}
