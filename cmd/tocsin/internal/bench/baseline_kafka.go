package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// runKafkaBaseline times the baseline reading workload 2's topic with
// kafka-go's Reader: one reader and one map per partition (as a plain
// program would parallelise), merged at the end. The fetch sizes are the
// Tocsin Kafka source's defaults, so both read the broker the same way.
func runKafkaBaseline(ctx context.Context, spec Spec) (*Result, error) {
	ends, err := kafka.PartitionEnds(ctx, []string{spec.Broker}, spec.Topic)
	if err != nil {
		return nil, err
	}
	res := &Result{Events: int64(spec.Events), PeakRSSReset: resetPeakRSS()}
	stop, err := startProfile(spec.CPUProfile)
	if err != nil {
		return nil, err
	}
	var iv interval
	iv.start()
	tables := make([]*baselineTable, 0, len(ends))
	errs := make([]error, 0, len(ends))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for p, end := range ends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := readPartition(ctx, spec.Broker, spec.Topic, int(p), end)
			mu.Lock()
			tables, errs = append(tables, t), append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	all := newBaselineTable()
	for _, t := range tables {
		if t != nil {
			all.merge(t)
		}
	}
	all.finish()
	iv.stop()
	stop()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if all.events != int64(spec.Events) {
		return nil, fmt.Errorf("kafka baseline aggregated %d of %d events", all.events, spec.Events)
	}
	iv.record(res)
	res.ViewRows = int64(len(all.groups))
	return res, nil
}

// readPartition reads a partition from its start to end and aggregates
// it.
func readPartition(ctx context.Context, broker, topic string, partition int, end int64) (*baselineTable, error) {
	t := newBaselineTable()
	if end == 0 {
		return t, nil
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   []string{broker},
		Topic:     topic,
		Partition: partition,
		MinBytes:  64 << 10,
		MaxBytes:  1 << 20,
		MaxWait:   20 * time.Millisecond,
	})
	defer r.Close()
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("kafka baseline: partition %d: %w", partition, err)
		}
		if err := t.add(m.Value); err != nil {
			return nil, err
		}
		if m.Offset+1 >= end {
			return t, nil
		}
	}
}
