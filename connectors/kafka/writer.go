package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// HashPartition in Message.Partition asks the writer to pick the
// partition by hashing the key (murmur2, as the Java client does; a nil
// key picks a random partition).
const HashPartition int32 = -1

// Message is one record to produce. Partition is an explicit partition,
// or HashPartition. Note that the zero Message targets partition 0.
type Message struct {
	Key, Value []byte
	Partition  int32
}

// Writer produces to one topic. It is safe for concurrent use. Writes are
// synchronous and acknowledged by all in-sync replicas; a topic that does
// not exist is created with the broker's defaults if the broker allows
// it.
type Writer struct {
	topic  string
	w      *kafkago.Writer
	client *kafkago.Client
	tr     *kafkago.Transport
	cancel context.CancelFunc

	mu     sync.Mutex
	nparts int // cached partition count, 0 if unknown
}

// NewWriter returns a writer to topic on brokers. It does not connect
// until the first Write.
func NewWriter(brokers []string, topic string) *Writer {
	cfg := Config{}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	tr := newTransport(ctx, cfg, topic)
	addr := kafkago.TCP(brokers...)
	return &Writer{
		topic:  topic,
		tr:     tr,
		cancel: cancel,
		client: &kafkago.Client{Addr: addr, Timeout: cfg.RequestTimeout, Transport: tr},
		w: &kafkago.Writer{
			Addr:                   addr,
			Topic:                  topic,
			Balancer:               explicitBalancer{},
			BatchSize:              10000,
			BatchTimeout:           time.Millisecond,
			RequiredAcks:           kafkago.RequireAll,
			AllowAutoTopicCreation: true,
			Transport:              tr,
		},
	}
}

// Write produces msgs and returns when all are acknowledged, or the
// first error. An explicit partition the topic does not have is an error
// and nothing is written.
func (w *Writer) Write(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	kms := make([]kafkago.Message, len(msgs))
	highest := int32(-1)
	for i, m := range msgs {
		p := m.Partition
		if p < 0 {
			p = HashPartition
		}
		highest = max(highest, p)
		kms[i] = kafkago.Message{Key: m.Key, Value: m.Value, Partition: int(p)}
	}
	if highest >= 0 {
		n, err := w.partitions(ctx, highest)
		if err != nil {
			return err
		}
		if int(highest) >= n {
			return fmt.Errorf("write to %q: partition %d does not exist (the topic has %d)", w.topic, highest, n)
		}
	}
	if err := w.w.WriteMessages(ctx, kms...); err != nil {
		return fmt.Errorf("write to %q: %w", w.topic, err)
	}
	return nil
}

// partitions returns the topic's partition count, refreshing the cached
// count when it does not cover partition p.
func (w *Writer) partitions(ctx context.Context, p int32) (int, error) {
	w.mu.Lock()
	n := w.nparts
	w.mu.Unlock()
	if int(p) < n {
		return n, nil
	}
	parts, err := topicPartitions(ctx, w.client, w.topic)
	if err != nil {
		return 0, fmt.Errorf("write to %q: %w", w.topic, err)
	}
	w.mu.Lock()
	w.nparts = len(parts)
	w.mu.Unlock()
	return len(parts), nil
}

// Close flushes nothing (writes are synchronous) and releases the
// writer's connections.
func (w *Writer) Close() error {
	err := w.w.Close()
	w.cancel()
	w.tr.CloseIdleConnections()
	return err
}

// explicitBalancer honours Message.Partition when it is set and hashes
// the key otherwise.
type explicitBalancer struct{ hash kafkago.Murmur2Balancer }

func (b explicitBalancer) Balance(msg kafkago.Message, partitions ...int) int {
	if msg.Partition >= 0 {
		return msg.Partition
	}
	return b.hash.Balance(msg, partitions...)
}
