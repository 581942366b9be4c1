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
	// One table per partition, each filled by its partition's reader.
	tables := make(map[int32]*baselineTable, len(ends))
	for p := range ends {
		tables[p] = newBaselineTable()
	}
	err = readPartitions(ctx, spec.Broker, spec.Topic, ends, func(p int32, value []byte) error {
		return tables[p].add(value)
	})
	all := newBaselineTable()
	for _, t := range tables {
		all.merge(t)
	}
	all.finish()
	iv.stop()
	stop()
	if err != nil {
		return nil, fmt.Errorf("kafka baseline: %w", err)
	}
	if all.events != int64(spec.Events) {
		return nil, fmt.Errorf("kafka baseline aggregated %d of %d events", all.events, spec.Events)
	}
	iv.record(res)
	res.ViewRows = int64(len(all.groups))
	return res, nil
}

// readPartitions reads every partition of topic from its start to its
// end offset in ends, a goroutine and a kafka-go Reader per partition,
// handing fn each record's partition and value. The fetch sizes are the
// Tocsin Kafka source's defaults.
func readPartitions(ctx context.Context, broker, topic string, ends map[int32]int64, fn func(p int32, value []byte) error) error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for p, end := range ends {
		if end == 0 {
			continue
		}
		wg.Go(func() {
			if err := readPartition(ctx, broker, topic, p, end, fn); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("partition %d: %w", p, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readPartition reads partition p from its start to end.
func readPartition(ctx context.Context, broker, topic string, p int32, end int64, fn func(p int32, value []byte) error) error {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   []string{broker},
		Topic:     topic,
		Partition: int(p),
		MinBytes:  64 << 10,
		MaxBytes:  1 << 20,
		MaxWait:   20 * time.Millisecond,
	})
	defer r.Close()
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return err
		}
		if err := fn(p, m.Value); err != nil {
			return err
		}
		if m.Offset+1 >= end {
			return nil
		}
	}
}
