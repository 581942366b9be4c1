package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The producer's wire path. A Kafka client spends microseconds per record
// (partitioning, batching, encoding, promises): a CPU profile of the
// producer process with franz-go's kgo client at ~230k events/s showed
// it and the broker needing about 5 µs of CPU per event, a core and a
// half at the offered rate, on a machine whose other core and a half run
// Tocsin. So the producer does a client's work before the clock starts:
// planned events are cut into chunks of about a millisecond of the
// schedule, and each chunk is encoded into a complete Produce request
// (one v2 record batch per partition, CRC included). Sending a chunk is
// writing its bytes to the broker's connection; requests are pipelined
// on that one connection, which a broker (kfake included) processes in
// order, and a reader goroutine matches the responses by correlation id
// (the chunk's index). The broker does all of its usual work: it parses
// and validates each batch, appends it to the partition's log, and
// serves it to Tocsin's fetches.

// produceVersion is the Produce request version the producer speaks:
// record batches (v3+), and a header kfake and Kafka brokers accept
// without a prior ApiVersions exchange.
const produceVersion = 7

// produceTimeoutMs is the broker-side timeout of a Produce request.
const produceTimeoutMs = 30_000

// wireChunk is one pre-encoded Produce request: events [from, to).
type wireChunk struct {
	from, to int
	req      []byte
}

// encodeChunks cuts the plan into chunks of about one latencyTick of the
// schedule and encodes each as a Produce request to topic.
func encodeChunks(p *latencyPlan, topic string, rate float64, baseMs int64) []wireChunk {
	per := max(1, int(rate*latencyTick.Seconds()))
	total := len(p.recs)
	chunks := make([]wireChunk, 0, total/per+1)
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("tocsin-bench"))
	var batches [Partitions][]byte
	var idx [Partitions][]int
	for from := 0; from < total; from += per {
		to := min(total, from+per)
		for part := range idx {
			idx[part] = idx[part][:0]
		}
		for i := from; i < to; i++ {
			idx[p.parts[i]] = append(idx[p.parts[i]], i)
		}
		req := kmsg.NewPtrProduceRequest()
		req.Version = produceVersion
		req.Acks = 1
		req.TimeoutMillis = produceTimeoutMs
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		for part, events := range idx {
			if len(events) == 0 {
				continue
			}
			batches[part] = appendBatch(batches[part][:0], p, events, rate, baseMs)
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition = int32(part)
			rp.Records = batches[part]
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		chunks = append(chunks, wireChunk{from: from, to: to, req: f.AppendRequest(nil, req, int32(len(chunks)))})
	}
	return chunks
}

// batchHeaderLen is the length of a v2 record batch's header; crcStart
// is where the CRC-covered bytes start (the attributes).
const (
	batchHeaderLen = 61
	crcStart       = 21
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendBatch appends a v2 record batch (no compression, no producer id)
// holding the given events, timestamped with their planned event times.
func appendBatch(dst []byte, p *latencyPlan, events []int, rate float64, baseMs int64) []byte {
	ts := func(i int) int64 { return baseMs + int64(float64(i)*1000/rate) }
	first, last := ts(events[0]), ts(events[len(events)-1])
	start := len(dst)
	dst = kbin.AppendInt64(dst, 0)  // base offset: the broker assigns it
	dst = kbin.AppendInt32(dst, 0)  // batch length, set below
	dst = kbin.AppendInt32(dst, -1) // partition leader epoch
	dst = kbin.AppendInt8(dst, 2)   // magic
	dst = kbin.AppendInt32(dst, 0)  // CRC, set below
	dst = kbin.AppendInt16(dst, 0)  // attributes
	dst = kbin.AppendInt32(dst, int32(len(events)-1))
	dst = kbin.AppendInt64(dst, first)
	dst = kbin.AppendInt64(dst, last)
	dst = kbin.AppendInt64(dst, -1) // producer id
	dst = kbin.AppendInt16(dst, -1) // producer epoch
	dst = kbin.AppendInt32(dst, -1) // base sequence
	dst = kbin.AppendInt32(dst, int32(len(events)))
	var rec []byte
	for delta, i := range events {
		rec = rec[:0]
		rec = kbin.AppendInt8(rec, 0) // attributes
		rec = kbin.AppendVarlong(rec, ts(i)-first)
		rec = kbin.AppendVarint(rec, int32(delta))
		rec = kbin.AppendVarint(rec, -1) // null key
		rec = kbin.AppendVarintBytes(rec, p.recs[i])
		rec = kbin.AppendVarint(rec, 0) // no headers
		dst = kbin.AppendVarint(dst, int32(len(rec)))
		dst = append(dst, rec...)
	}
	b := dst[start:]
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[crcStart:], castagnoli))
	return dst
}

// wireProducer sends pre-encoded chunks on one connection and collects
// the broker's acknowledgements.
type wireProducer struct {
	conn   net.Conn
	chunks []wireChunk
	// sentNs is each chunk's send time (Unix ns), set before its bytes
	// are written and read by the response reader.
	sentNs []atomic.Int64
	// ackNs is each chunk's acknowledgement delay after its send time;
	// the reader writes it, and acked closes once every chunk has one.
	ackNs []int64
	acked chan struct{}

	mu  sync.Mutex
	err error
}

func dialWireProducer(ctx context.Context, addr string, chunks []wireChunk) (*wireProducer, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	wp := &wireProducer{conn: conn, chunks: chunks, sentNs: make([]atomic.Int64, len(chunks)),
		ackNs: make([]int64, len(chunks)), acked: make(chan struct{})}
	go wp.readResponses()
	return wp, nil
}

// send writes chunks [from, to), stamped now.
func (wp *wireProducer) send(from, to int, now time.Time) error {
	bufs := make(net.Buffers, 0, to-from)
	for k := from; k < to; k++ {
		wp.sentNs[k].Store(now.UnixNano())
		bufs = append(bufs, wp.chunks[k].req)
	}
	if _, err := bufs.WriteTo(wp.conn); err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	// The broker keeps its own copy: let the collector reuse this
	// memory for it rather than have the heap grow into fresh pages.
	for k := from; k < to; k++ {
		wp.chunks[k].req = nil
	}
	return nil
}

// readResponses reads one response per chunk, in order.
func (wp *wireProducer) readResponses() {
	r := bufio.NewReaderSize(wp.conn, 64<<10)
	var size [4]byte
	var body []byte
	for n := 0; n < len(wp.chunks); n++ {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			wp.fail(err)
			return
		}
		body = slices.Grow(body[:0], int(binary.BigEndian.Uint32(size[:])))[:binary.BigEndian.Uint32(size[:])]
		if _, err := io.ReadFull(r, body); err != nil || len(body) < 4 {
			wp.fail(fmt.Errorf("short response: %v", err))
			return
		}
		now := time.Now().UnixNano()
		k := int(int32(binary.BigEndian.Uint32(body)))
		if k < 0 || k >= len(wp.chunks) {
			wp.fail(fmt.Errorf("response to unknown request %d", k))
			return
		}
		resp := kmsg.NewPtrProduceResponse()
		resp.Version = produceVersion
		if err := resp.ReadFrom(body[4:]); err != nil {
			wp.fail(err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					wp.fail(fmt.Errorf("partition %d: error code %d", p.Partition, p.ErrorCode))
					return
				}
			}
		}
		wp.ackNs[k] = now - wp.sentNs[k].Load()
	}
	close(wp.acked)
}

func (wp *wireProducer) fail(err error) {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	if wp.err == nil {
		wp.err = fmt.Errorf("producer: reading the broker's responses: %w", err)
	}
	_ = wp.conn.Close()
}

func (wp *wireProducer) failed() error {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	return wp.err
}

// wait returns once every chunk is acknowledged, or the first error.
func (wp *wireProducer) wait(ctx context.Context) error {
	for {
		select {
		case <-wp.acked:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
			if err := wp.failed(); err != nil {
				return err
			}
		}
	}
}

// ackedAt returns chunk k's acknowledgement instant (Unix ns). Call it
// after wait.
func (wp *wireProducer) ackedAt(k int) int64 { return wp.sentNs[k].Load() + wp.ackNs[k] }

// ackPercentiles returns the p50, p99 and maximum acknowledgement delay
// over events (each chunk's delay weighs its event count), in ms. Call
// it after wait.
func (wp *wireProducer) ackPercentiles() (p50, p99, maxMs float64) {
	order := make([]int, len(wp.chunks))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return int(wp.ackNs[a] - wp.ackNs[b]) })
	total := 0
	for _, c := range wp.chunks {
		total += c.to - c.from
	}
	at := func(q float64) float64 {
		want, seen := int(q*float64(total)), 0
		for _, k := range order {
			if seen += wp.chunks[k].to - wp.chunks[k].from; seen > want {
				return float64(wp.ackNs[k]) / 1e6
			}
		}
		return float64(wp.ackNs[order[len(order)-1]]) / 1e6
	}
	if len(order) == 0 {
		return 0, 0, 0
	}
	return at(0.5), at(0.99), float64(wp.ackNs[order[len(order)-1]]) / 1e6
}

func (wp *wireProducer) close() error {
	err := wp.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
