package kafka

import (
	"context"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"
)

// LogBounds returns, for every partition of the source's topic, its first
// offset and its log end offset (the offset the next record will get).
// The engine calls it right after Open to know how far a reader starting
// from the earliest offset (or an old checkpoint) has to catch up, for
// backfill progress. It uses a private admin client (one ListOffsets
// request routed to the partitions' leaders) and does not touch the
// readers, so it may be called at any time, from any goroutine.
func (s *Source) LogBounds(ctx context.Context) (first, end map[int32]int64, err error) {
	client, done := adminClient(s.opts.brokers, s.opts.topic)
	defer done()
	parts, err := topicPartitions(ctx, client, s.opts.topic)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka source %q: log bounds: %w", s.spec.Name, err)
	}
	reqs := make([]kafkago.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	resp, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{s.opts.topic: reqs}})
	if err != nil {
		return nil, nil, fmt.Errorf("kafka source %q: log bounds: %w", s.spec.Name, err)
	}
	first, end = make(map[int32]int64, len(parts)), make(map[int32]int64, len(parts))
	for _, po := range resp.Topics[s.opts.topic] {
		if po.Error != nil {
			return nil, nil, fmt.Errorf("kafka source %q: log bounds of partition %d: %w", s.spec.Name, po.Partition, po.Error)
		}
		first[int32(po.Partition)], end[int32(po.Partition)] = po.FirstOffset, po.LastOffset
	}
	return first, end, nil
}
