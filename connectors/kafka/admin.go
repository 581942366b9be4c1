package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// unknownTopicError says a topic is not in the cluster's metadata.
type unknownTopicError struct{ topic string }

func (e *unknownTopicError) Error() string { return fmt.Sprintf("topic %q does not exist", e.topic) }

// topicPartitions returns topic's partitions, sorted by id, from the
// client's (cached) metadata. It never creates the topic.
func topicPartitions(ctx context.Context, client *kafkago.Client, topic string) ([]kafkago.Partition, error) {
	resp, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	for _, t := range resp.Topics {
		if t.Name != topic {
			continue
		}
		if errors.Is(t.Error, kafkago.UnknownTopicOrPartition) {
			return nil, &unknownTopicError{topic: topic}
		}
		if t.Error != nil {
			return nil, t.Error
		}
		if len(t.Partitions) == 0 {
			return nil, &unknownTopicError{topic: topic}
		}
		parts := slices.Clone(t.Partitions)
		slices.SortFunc(parts, func(a, b kafkago.Partition) int { return a.ID - b.ID })
		return parts, nil
	}
	return nil, &unknownTopicError{topic: topic}
}

// adminClient returns a client over a private transport and the function
// that tears both down.
func adminClient(brokers []string, topic string) (*kafkago.Client, func()) {
	cfg := Config{}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	tr := newTransport(ctx, cfg, topic)
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: cfg.RequestTimeout, Transport: tr}
	return client, func() {
		cancel()
		tr.CloseIdleConnections()
	}
}

// CreateTopic creates topic with the given number of partitions and the
// cluster's default replication. It succeeds if the topic already exists,
// whatever its partition count.
func CreateTopic(ctx context.Context, brokers []string, topic string, partitions int) error {
	client, done := adminClient(brokers, topic)
	defer done()
	resp, err := client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: -1}},
	})
	if err != nil {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	return nil
}

// PartitionEnds returns the log end offset (the offset the next record
// will get) of every partition of topic.
func PartitionEnds(ctx context.Context, brokers []string, topic string) (map[int32]int64, error) {
	client, done := adminClient(brokers, topic)
	defer done()
	parts, err := topicPartitions(ctx, client, topic)
	if err != nil {
		return nil, fmt.Errorf("partition ends of %q: %w", topic, err)
	}
	dialer := &kafkago.Dialer{ClientID: defaultClientID, Timeout: Config{}.withDefaults().RequestTimeout}
	ends := make(map[int32]int64, len(parts))
	for _, p := range parts {
		end, err := partitionEnd(ctx, dialer, p)
		if err != nil {
			return nil, fmt.Errorf("partition ends of %q: partition %d: %w", topic, p.ID, err)
		}
		ends[int32(p.ID)] = end
	}
	return ends, nil
}

func partitionEnd(ctx context.Context, dialer *kafkago.Dialer, p kafkago.Partition) (int64, error) {
	conn, err := dialer.DialPartition(ctx, "tcp", "", p)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(dialer.Timeout)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, err
	}
	return conn.ReadLastOffset()
}

// CommittedOffsets returns the offsets group has committed for topic
// (partitions without a commit are absent).
func CommittedOffsets(ctx context.Context, brokers []string, group, topic string) (map[int32]int64, error) {
	client, done := adminClient(brokers, topic)
	defer done()
	parts, err := topicPartitions(ctx, client, topic)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %q: %w", group, err)
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	resp, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %q: %w", group, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("committed offsets of %q: %w", group, resp.Error)
	}
	out := map[int32]int64{}
	for _, p := range resp.Topics[topic] {
		if p.Error == nil && p.CommittedOffset >= 0 {
			out[int32(p.Partition)] = p.CommittedOffset
		}
	}
	return out, nil
}
