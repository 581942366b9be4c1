package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/format"
)

// partitionReader fetches one partition. It is confined to its goroutine
// once run starts; before that, Open's goroutine sets it up.
type partitionReader struct {
	src       *Source
	partition int32
	mode      connectors.StartMode
	client    *kafkago.Client
	dialer    *kafkago.Dialer
	dec       *format.JSONDecoder

	// conn is kafka-go's connection to the partition's leader, for
	// offsets; fc is the reader's own connection to it, for fetches
	// (fetchconn.go).
	conn *kafkago.Conn
	fc   *fetchConn
	walk recordWalker
	// unwatch stops the context hook that closes the connections on
	// cancellation.
	unwatch func() bool
	// offset is the next offset to fetch.
	offset int64
	// outOfRange says offset fell outside the log and must be reset.
	outOfRange bool
	failures   int

	// avgRecord is the average size of the records of the last fetch
	// that returned any (value plus wireOverhead), sizing the next fetch
	// (0: unknown, fetch FetchMaxBytes).
	avgRecord int
	// lastRecords is how many records the last fetch read: the next
	// batch's offsets are sized for as many.
	lastRecords int
}

// wireOverhead approximates what a record costs on the wire beyond its
// key and value: its varint framing, attributes and deltas, and its share
// of the record batch header.
const wireOverhead = 24

func (s *Source) newReader(partition int, mode connectors.StartMode, client *kafkago.Client) (*partitionReader, error) {
	dec, err := format.NewJSONDecoder(s.cfg.Allocator, s.spec.Schema, format.JSONOptions{})
	if err != nil {
		return nil, err
	}
	return &partitionReader{
		src:       s,
		partition: int32(partition),
		mode:      mode,
		client:    client,
		dialer:    &kafkago.Dialer{ClientID: defaultClientID, Timeout: s.cfg.RequestTimeout},
		dec:       dec,
	}, nil
}

// dial connects to the leader described by p.
func (r *partitionReader) dial(ctx context.Context, p *kafkago.Partition) error {
	conn, err := r.dialer.DialPartition(ctx, "tcp", "", *p)
	if err != nil {
		return err
	}
	fc, err := dialFetch(ctx, net.JoinHostPort(p.Leader.Host, strconv.Itoa(p.Leader.Port)))
	if err != nil {
		_ = conn.Close()
		return err
	}
	r.conn, r.fc = conn, fc
	return nil
}

// resolve returns the first or the next-to-be-written offset of the
// partition, per mode.
func (r *partitionReader) resolve(mode connectors.StartMode) (int64, error) {
	if err := r.conn.SetDeadline(time.Now().Add(r.src.cfg.RequestTimeout)); err != nil {
		return 0, err
	}
	defer func() { _ = r.conn.SetDeadline(time.Time{}) }()
	if mode == connectors.StartLatest {
		return r.conn.ReadLastOffset()
	}
	return r.conn.ReadFirstOffset()
}

// watch makes cancellation of ctx close the current connections, which
// unblocks an in-flight fetch.
func (r *partitionReader) watch(ctx context.Context) {
	conn, fc := r.conn, r.fc
	r.unwatch = context.AfterFunc(ctx, func() { _ = conn.Close(); _ = fc.Close() })
}

func (r *partitionReader) closeConn() {
	if r.unwatch != nil {
		r.unwatch()
		r.unwatch = nil
	}
	if r.conn != nil {
		_ = r.conn.Close()
		_ = r.fc.Close()
		r.conn, r.fc = nil, nil
	}
}

// release frees everything the reader holds.
func (r *partitionReader) release() {
	r.closeConn()
	r.dec.Release()
}

// run fetches until ctx is done, sending batches to out.
func (r *partitionReader) run(ctx context.Context, out chan<- *connectors.Batch) {
	defer r.release()
	if r.conn != nil {
		r.watch(ctx)
	}
	for ctx.Err() == nil {
		if r.conn == nil {
			if err := r.reconnect(ctx); err != nil {
				r.backoff(ctx, "connect", err)
				continue
			}
		}
		if r.outOfRange {
			if err := r.resetOffset(); err != nil {
				r.closeConn()
				r.backoff(ctx, "reset offset", err)
				continue
			}
			r.outOfRange = false
		}
		b, err := r.fetch()
		if b != nil {
			r.src.fetched.Add(b.Records())
			select {
			case out <- b:
			case <-ctx.Done():
				b.Rec.Release()
				return
			}
		}
		switch {
		case err == nil:
			r.failures = 0
		case ctx.Err() != nil:
			return
		case errors.Is(err, kafkago.OffsetOutOfRange):
			r.outOfRange = true
		default:
			r.closeConn()
			r.backoff(ctx, "fetch", err)
		}
	}
}

// reconnect looks the partition's leader up again and dials it.
func (r *partitionReader) reconnect(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, r.src.cfg.RequestTimeout)
	defer cancel()
	parts, err := topicPartitions(dctx, r.client, r.src.opts.topic)
	if err != nil {
		return err
	}
	for i := range parts {
		if parts[i].ID == int(r.partition) {
			if err := r.dial(dctx, &parts[i]); err != nil {
				return err
			}
			r.watch(ctx)
			return nil
		}
	}
	return fmt.Errorf("partition %d is not in the topic's metadata", r.partition)
}

// backoff logs a failure and waits, doubling the delay per consecutive
// failure up to MaxBackoff.
func (r *partitionReader) backoff(ctx context.Context, op string, err error) {
	cfg := &r.src.cfg
	r.failures++
	d := cfg.MinBackoff
	for i := 1; i < r.failures && d < cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, cfg.MaxBackoff)
	r.src.log.Warn("kafka partition reader failed; retrying",
		"partition", r.partition, "op", op, "err", err, "attempt", r.failures, "retry_in", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// resetOffset moves an offset that fell outside the log to its start or
// end, per the start mode (Kafka's auto.offset.reset).
func (r *partitionReader) resetOffset() error {
	if err := r.conn.SetDeadline(time.Now().Add(r.src.cfg.RequestTimeout)); err != nil {
		return err
	}
	first, last, err := r.conn.ReadOffsets()
	_ = r.conn.SetDeadline(time.Time{})
	if err != nil {
		return err
	}
	to := first
	if r.mode == connectors.StartLatest {
		to = last
	}
	r.src.log.Warn("kafka offset out of range; resetting",
		"partition", r.partition, "offset", r.offset, "log_start", first, "log_end", last, "reset_to", to)
	r.offset = to
	return nil
}

// fetch issues one fetch at r.offset and decodes what it returns into a
// batch (nil if it returned nothing).
//
// A fetch asks for about MaxBatchRows records' worth of bytes
// (fetchBytes): what a batch leaves unread is fetched again, so a 1 MiB
// fetch of small records cut at MaxBatchRows would transfer most of its
// bytes twice. Values are decoded straight from the response buffer: the
// decoder does not retain them.
func (r *partitionReader) fetch() (*connectors.Batch, error) {
	cfg := &r.src.cfg
	if err := r.fc.conn.SetDeadline(time.Now().Add(cfg.MaxWait + cfg.RequestTimeout)); err != nil {
		return nil, err
	}
	maxBytes := r.fetchBytes()
	res, err := r.fc.fetch(r.src.opts.topic, r.partition, r.offset, min(cfg.FetchMinBytes, maxBytes), maxBytes, cfg.MaxWait, r.src.opts.readCommitted)
	if err != nil {
		return nil, err
	}
	b := &connectors.Batch{Partition: r.partition, FirstOffset: r.offset, HighWatermark: res.highWatermark,
		Offsets: make([]int64, 0, min(max(r.lastRecords, 64), cfg.MaxBatchRows))}
	var records, wire int
	w := &r.walk
	w.readCommitted = r.src.opts.readCommitted
	w.reset(res.batches, r.offset, res.aborted)
	for records < cfg.MaxBatchRows {
		off, value, ok, werr := w.next()
		if werr != nil {
			err = werr
			break
		}
		if !ok {
			break
		}
		// A fetch may start before the requested offset (the broker
		// returns whole record batches): skip those records.
		if off < r.offset {
			continue
		}
		records++
		wire += len(value) + wireOverhead
		r.decode(b, off, value)
	}
	next := w.resume
	w.reset(nil, 0, nil) // drop the references to the response
	r.avgRecord, r.lastRecords = 0, records
	if records > 0 {
		r.avgRecord = wire / records
	}
	if next <= r.offset {
		if r.dec.Len() > 0 {
			panic("BUG: kafka reader decoded rows without advancing")
		}
		return nil, err
	}
	b.NextOffset = next
	b.Rec = r.dec.Flush()
	r.offset = next
	return b, err
}

// fetchBytes returns the MaxBytes of the next fetch: about MaxBatchRows
// records at the size the last fetch saw, plus an eighth, within
// [minFetchBytes, FetchMaxBytes]. With no estimate (the first fetch, or
// one that returned nothing, perhaps because a record was larger than
// the estimate) it is FetchMaxBytes.
func (r *partitionReader) fetchBytes() int {
	cfg := &r.src.cfg
	if r.avgRecord <= 0 {
		return cfg.FetchMaxBytes
	}
	want := r.avgRecord * cfg.MaxBatchRows
	want += want / 8
	return max(min(want, cfg.FetchMaxBytes), min(minFetchBytes, cfg.FetchMaxBytes))
}

// minFetchBytes is the smallest fetch fetchBytes asks for.
const minFetchBytes = 16 << 10

// decode appends one record (value, at offset) to the decoder or to b's
// rejects. value is not retained: a reject copies what it keeps.
func (r *partitionReader) decode(b *connectors.Batch, offset int64, value []byte) {
	b.Bytes += int64(len(value))
	if len(value) > r.src.maxRecord {
		r.reject(b, offset, value, connectors.RejectOversized,
			fmt.Sprintf("record of %d bytes exceeds the limit of %d bytes", len(value), r.src.maxRecord))
		return
	}
	if err := r.dec.Append(value); err != nil {
		cls, text := connectors.RejectMalformed, err.Error()
		var de *format.DecodeError
		if errors.As(err, &de) {
			cls, text = de.Class, de.Msg
		}
		r.reject(b, offset, value, cls, text)
		return
	}
	b.Offsets = append(b.Offsets, offset)
}

func (r *partitionReader) reject(b *connectors.Batch, offset int64, value []byte, cls connectors.ErrorClass, text string) {
	truncated := len(value) > r.src.deadLetter
	if truncated {
		value = value[:r.src.deadLetter]
	}
	b.Rejects = append(b.Rejects, connectors.Reject{
		Partition: r.partition,
		Offset:    offset,
		Class:     cls,
		Err:       text,
		Raw:       bytes.Clone(value),
		Truncated: truncated,
	})
}
