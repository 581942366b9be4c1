package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// record i of partition p: mostly valid rows, with every reject class
// mixed in at fixed positions.
func testRecord(p int32, i int) (value []byte, cls connectors.ErrorClass) {
	id := int64(p)*1_000_000 + int64(i)
	switch i % 10 {
	case 3:
		return []byte(fmt.Sprintf(`{"id": %d, "name": "trunc`, id)), connectors.RejectMalformed
	case 5:
		return []byte(fmt.Sprintf(`{"id": "x%d"}`, id)), connectors.RejectConversion
	case 7:
		return []byte(`{"name": "no id"}`), connectors.RejectMissing
	}
	if i%25 == 24 {
		return []byte(fmt.Sprintf(`{"id": %d, "name": "%s"}`, id, strings.Repeat("z", 400))), connectors.RejectOversized
	}
	return []byte(fmt.Sprintf(`{"id": %d, "name": "n%d", "v": %d.5}`, id, i, i)), 0
}

func produce(t *testing.T, brokers []string, topic string, p int32, from, to int) {
	t.Helper()
	w := NewWriter(brokers, topic)
	defer w.Close()
	msgs := make([]Message, 0, to-from)
	for i := from; i < to; i++ {
		v, _ := testRecord(p, i)
		msgs = append(msgs, Message{Value: v, Partition: p})
	}
	if err := w.Write(testCtx(t), msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// TestSourceCoversEveryOffset is the main property: across four
// partitions with malformed, unconvertible, incomplete and oversized
// records, every offset is covered exactly once, as a row or a reject,
// in order, with the right values.
func TestSourceCoversEveryOffset(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(4, "events"))
	const n = 600
	for p := int32(0); p < 4; p++ {
		produce(t, brokers, "events", p, 0, n)
	}
	spec := testSpec(brokers, "events", nil)
	spec.MaxRecordBytes = 256
	spec.DeadLetterBytes = 64
	cfg := testConfig(t, nil)
	cfg.MaxBatchRows = 128
	s := newTestSource(t, spec, cfg)
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.Partitions()); got != "[0 1 2 3]" {
		t.Fatalf("partitions %s", got)
	}

	ends := map[int32]int64{0: n, 1: n, 2: n, 3: n}
	seen := map[int32]int{} // next record index expected per partition
	batches := 0
	collect(t, s, ends, func(b *connectors.Batch) {
		batches++
		if b.Records() > 128 || b.Records() <= 0 {
			t.Fatalf("batch of %d records", b.Records())
		}
		if b.HighWatermark < b.NextOffset {
			t.Fatalf("high watermark %d below %d", b.HighWatermark, b.NextOffset)
		}
		ids := b.Rec.Column(0).(*array.Int64)
		names := b.Rec.Column(1).(*array.String)
		row, rej := 0, 0
		var bytes int64
		for off := b.FirstOffset; off < b.NextOffset; off++ {
			i := seen[b.Partition]
			if int64(i) != off {
				t.Fatalf("partition %d: offset %d, expected record %d", b.Partition, off, i)
			}
			seen[b.Partition]++
			value, cls := testRecord(b.Partition, i)
			bytes += int64(len(value))
			if cls == 0 {
				if row >= ids.Len() || ids.Value(row) != int64(b.Partition)*1_000_000+int64(i) || names.Value(row) != fmt.Sprintf("n%d", i) {
					t.Fatalf("partition %d offset %d: row %d mismatch", b.Partition, off, row)
				}
				if b.Offsets[row] != off {
					t.Fatalf("partition %d: row %d has offset %d, want %d", b.Partition, row, b.Offsets[row], off)
				}
				row++
				continue
			}
			if rej >= len(b.Rejects) {
				t.Fatalf("partition %d offset %d: missing reject", b.Partition, off)
			}
			r := b.Rejects[rej]
			rej++
			if r.Offset != off || r.Partition != b.Partition || r.Class != cls || r.Err == "" {
				t.Fatalf("reject %+v, want offset %d class %v", r, off, cls)
			}
			wantRaw := value
			if len(value) > 64 {
				wantRaw = value[:64]
			}
			if string(r.Raw) != string(wantRaw) || r.Truncated != (len(value) > 64) {
				t.Fatalf("reject raw %q truncated %v", r.Raw, r.Truncated)
			}
		}
		if row != int(b.Rec.NumRows()) || rej != len(b.Rejects) || len(b.Offsets) != row {
			t.Fatalf("batch has %d rows %d rejects, covered %d and %d", b.Rec.NumRows(), len(b.Rejects), row, rej)
		}
		if b.Bytes != bytes {
			t.Fatalf("Bytes = %d, want %d", b.Bytes, bytes)
		}
	})
	if batches < 4*n/128 {
		t.Fatalf("only %d batches: MaxBatchRows not applied", batches)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeaks(t)
}

func TestSourceStartOffsetsAndModes(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(3, "events"))
	for p := int32(0); p < 3; p++ {
		produce(t, brokers, "events", p, 0, 10)
	}
	firsts := func(t *testing.T, s *Source, ends map[int32]int64) map[int32]int64 {
		got := map[int32]int64{}
		collect(t, s, ends, func(b *connectors.Batch) {
			if _, ok := got[b.Partition]; !ok {
				got[b.Partition] = b.FirstOffset
			}
		})
		return got
	}

	t.Run("checkpoint offsets win, others per mode", func(t *testing.T) {
		s := newTestSource(t, testSpec(brokers, "events", map[string]string{"scan.startup.mode": "latest"}), testConfig(t, nil))
		err := s.Open(testCtx(t), connectors.Start{Mode: connectors.StartEarliest, Offsets: connectors.Offsets{0: 7, 2: 10}})
		if err != nil {
			t.Fatal(err)
		}
		produce(t, brokers, "events", 2, 10, 11)
		got := firsts(t, s, map[int32]int64{0: 10, 1: 10, 2: 11})
		if got[0] != 7 || got[1] != 0 || got[2] != 10 {
			t.Fatalf("first offsets %v", got)
		}
	})

	t.Run("latest from the option", func(t *testing.T) {
		s := newTestSource(t, testSpec(brokers, "events", map[string]string{"scan.startup.mode": "latest"}), testConfig(t, nil))
		if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
			t.Fatal(err)
		}
		ends, err := PartitionEnds(testCtx(t), brokers, "events")
		if err != nil {
			t.Fatal(err)
		}
		for p := int32(0); p < 3; p++ {
			produce(t, brokers, "events", p, int(ends[p]), int(ends[p])+3)
		}
		want := map[int32]int64{}
		for p, e := range ends {
			want[p] = e + 3
		}
		got := firsts(t, s, want)
		for p, e := range ends {
			if got[p] != e {
				t.Fatalf("partition %d started at %d, want %d (latest)", p, got[p], e)
			}
		}
	})

	t.Run("offset beyond the log resets per mode", func(t *testing.T) {
		var logs logBuffer
		s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, &logs))
		if err := s.Open(testCtx(t), connectors.Start{Offsets: connectors.Offsets{0: 1000, 1: 10, 2: 11}}); err != nil {
			t.Fatal(err)
		}
		got := firsts(t, s, map[int32]int64{0: 10})
		if got[0] != 0 {
			t.Fatalf("reset to %d, want 0", got[0])
		}
		if !strings.Contains(logs.String(), "out of range") {
			t.Fatalf("no reset warning in logs:\n%s", logs.String())
		}
	})
}

func TestSourceOpenErrors(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(1, "events"))
	s := newTestSource(t, testSpec(brokers, "nope", nil), testConfig(t, nil))
	err := s.Open(testCtx(t), connectors.Start{})
	if sqlerr.CodeOf(err) != sqlerr.UndefinedObject || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing topic: %v", err)
	}

	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s = newTestSource(t, testSpec([]string{dead}, "events", nil), testConfig(t, nil))
	err = s.Open(testCtx(t), connectors.Start{})
	if !errors.Is(err, connectors.ErrNotConnected) || sqlerr.CodeOf(err) != sqlerr.ConnectionException {
		t.Fatalf("unreachable broker: %v", err)
	}
	assertNoLeaks(t)
}

func TestSourceCloseUnblocksReadBatch(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(2, "events"))
	s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, nil))

	if _, err := s.ReadBatch(context.Background()); err == nil {
		t.Fatal("ReadBatch before Open succeeded")
	}
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ReadBatch(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ReadBatch: %v", err)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := s.ReadBatch(context.Background())
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked ReadBatch returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock ReadBatch")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Open(testCtx(t), connectors.Start{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open after Close: %v", err)
	}
	assertNoLeaks(t)
}

// TestSourceCloseWithUndeliveredBatches closes a source whose readers
// are blocked on a full channel; the checked allocator proves the queued
// batches are released.
func TestSourceCloseWithUndeliveredBatches(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(2, "events"))
	produce(t, brokers, "events", 0, 0, 200)
	produce(t, brokers, "events", 1, 0, 200)
	cfg := testConfig(t, nil)
	cfg.MaxBatchRows = 10
	cfg.BufferedBatches = 2
	s := newTestSource(t, testSpec(brokers, "events", nil), cfg)
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.out) < cap(s.out) {
		if time.Now().After(deadline) {
			t.Fatal("channel never filled")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeaks(t)
}

func TestSourceReconnectsAfterBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port), kfake.DataDir(dir), kfake.SeedTopics(1, "events")}
	c1, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	brokers := c1.ListenAddrs()
	produce(t, brokers, "events", 0, 0, 20)

	var logs logBuffer
	s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, &logs))
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	collect(t, s, map[int32]int64{0: 20}, func(*connectors.Batch) {})

	c1.Close()
	c2, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer c2.Close()
	produce(t, brokers, "events", 0, 20, 40)
	var first int64 = -1
	collect(t, s, map[int32]int64{0: 40}, func(b *connectors.Batch) {
		if first < 0 {
			first = b.FirstOffset
		}
	})
	if first != 20 {
		t.Fatalf("after restart the first batch starts at %d, want 20", first)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("no reconnect in logs:\n%s", logs.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeaks(t)
}

func TestSourceCommitIsVisible(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(3, "events"))
	s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, nil))
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	fetch := func() map[int]int64 {
		client, done := adminClient(brokers, "events")
		defer done()
		resp, err := client.OffsetFetch(testCtx(t), &kafkago.OffsetFetchRequest{
			GroupID: "tocsin-events",
			Topics:  map[string][]int{"events": {0, 1, 2}},
		})
		if err != nil || resp.Error != nil {
			t.Fatalf("offset fetch: %v %v", err, resp.Error)
		}
		got := map[int]int64{}
		for _, p := range resp.Topics["events"] {
			if p.Error != nil {
				t.Fatalf("partition %d: %v", p.Partition, p.Error)
			}
			got[p.Partition] = p.CommittedOffset
		}
		return got
	}
	if err := s.Commit(testCtx(t), connectors.Offsets{0: 5, 1: 7}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got := fetch(); got[0] != 5 || got[1] != 7 || got[2] != -1 {
		t.Fatalf("committed %v", got)
	}
	if err := s.Commit(testCtx(t), connectors.Offsets{0: 9, 2: 1}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got := fetch(); got[0] != 9 || got[1] != 7 || got[2] != 1 {
		t.Fatalf("committed %v", got)
	}
}
