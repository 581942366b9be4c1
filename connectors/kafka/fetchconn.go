package kafka

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The fetch path. A CPU profile of `tocsin bench --mode kafka --workload 2`
// showed kafka-go's Batch.Read at 0.37 µs per record (28 % of the
// process): it reads a record a varint at a time through bufio Peek and
// Discard under the connection's mutex, and copies every value. So a
// partition reader sends its Fetch requests itself, on a connection of its
// own, and walks the returned record batches in the response buffer
// (records.go): values reach the JSON decoder as slices of that buffer.
// Requests and responses are encoded and decoded with franz-go's kmsg
// (the protocol types the embedded broker is built on); kafka-go still
// does metadata, offsets, commits and the sink.

// fetchVersion is the Fetch version the reader speaks: v4 is the first
// with read isolation and the last without fetch sessions or tagged
// fields, and Kafka 4 still serves it (KIP-896 removed v0-v3). Kafka
// answers it without an ApiVersions exchange.
const fetchVersion = 4

// maxFetchResponse bounds the response size a reader accepts. A broker
// may exceed the request's MaxBytes by one record batch (KIP-74), and a
// batch is bounded by the topic's max.message.bytes (1 MiB by default),
// so a larger size means a broken stream, not a big fetch.
const maxFetchResponse = 256 << 20

// fetchConn is one partition reader's connection for Fetch requests,
// confined to the reader's goroutine.
type fetchConn struct {
	conn net.Conn
	r    *bufio.Reader
	enc  *kmsg.RequestFormatter
	// req and resp are reused across fetches; a fetch's record batches
	// are slices of resp, valid until the next fetch.
	req, resp []byte
	corr      int32
	parsed    kmsg.FetchResponse
	aborted   []abortedTxn
}

// fetchReadBuffer is the read buffer of a fetch connection: without one
// as large, a 1 MiB response takes hundreds of read system calls.
const fetchReadBuffer = 256 << 10

func dialFetch(ctx context.Context, addr string) (*fetchConn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &fetchConn{
		conn: conn,
		r:    bufio.NewReaderSize(conn, fetchReadBuffer),
		enc:  kmsg.NewRequestFormatter(kmsg.FormatterClientID(defaultClientID)),
	}, nil
}

func (c *fetchConn) Close() error { return c.conn.Close() }

// fetchResult is one partition's part of a Fetch response.
type fetchResult struct {
	highWatermark int64
	// aborted are the aborted transactions in the fetched range (read
	// committed only; valid until the next fetch).
	aborted []abortedTxn
	// batches holds the record batches, the last possibly truncated (a
	// slice of the connection's buffer, valid until the next fetch).
	batches []byte
}

// fetch asks for topic's partition from offset: at least minBytes (or
// whatever arrived after maxWait), at most about maxBytes. A broker
// error for the partition is returned as kafka-go's Error, so callers
// test it with errors.Is(err, kafkago.OffsetOutOfRange) and the like.
// The caller sets the connection's deadline.
func (c *fetchConn) fetch(topic string, partition int32, offset int64, minBytes, maxBytes int, maxWait time.Duration, readCommitted bool) (fetchResult, error) {
	req := kmsg.NewPtrFetchRequest()
	req.Version = fetchVersion
	req.ReplicaID = -1
	if readCommitted {
		req.IsolationLevel = 1
	}
	req.MaxWaitMillis = int32(max(maxWait.Milliseconds(), 1))
	req.MinBytes = int32(minBytes)
	req.MaxBytes = int32(maxBytes)
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = int32(maxBytes)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)

	c.corr++
	c.req = c.enc.AppendRequest(c.req[:0], req, c.corr)
	if _, err := c.conn.Write(c.req); err != nil {
		return fetchResult{}, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return fetchResult{}, err
	}
	n := int(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > maxFetchResponse {
		return fetchResult{}, fmt.Errorf("kafka fetch: response of %d bytes", n)
	}
	c.resp = slices.Grow(c.resp[:0], n)[:n]
	if _, err := io.ReadFull(c.r, c.resp); err != nil {
		return fetchResult{}, err
	}
	if got := int32(binary.BigEndian.Uint32(c.resp)); got != c.corr {
		return fetchResult{}, fmt.Errorf("kafka fetch: response to request %d, want %d", got, c.corr)
	}
	p := &c.parsed
	p.Default()
	p.Version = fetchVersion
	if err := p.UnsafeReadFrom(c.resp[4:]); err != nil {
		return fetchResult{}, fmt.Errorf("kafka fetch: %w", err)
	}
	for i := range p.Topics {
		t := &p.Topics[i]
		if t.Topic != topic {
			continue
		}
		for j := range t.Partitions {
			tp := &t.Partitions[j]
			if tp.Partition != partition {
				continue
			}
			if tp.ErrorCode != 0 {
				return fetchResult{}, kafkago.Error(tp.ErrorCode)
			}
			c.aborted = c.aborted[:0]
			for _, a := range tp.AbortedTransactions {
				c.aborted = append(c.aborted, abortedTxn{producerID: a.ProducerID, firstOffset: a.FirstOffset})
			}
			return fetchResult{highWatermark: tp.HighWatermark, batches: tp.RecordBatches, aborted: c.aborted}, nil
		}
	}
	return fetchResult{}, fmt.Errorf("kafka fetch: response without partition %d of %q", partition, topic)
}
