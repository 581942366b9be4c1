package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

	conn *kafkago.Conn
	// unwatch stops the context hook that closes conn on cancellation.
	unwatch func() bool
	// offset is the next offset to fetch.
	offset int64
	// outOfRange says offset fell outside the log and must be reset.
	outOfRange bool
	failures   int
}

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
	r.conn = conn
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

// watch makes cancellation of ctx close the current connection, which
// unblocks an in-flight fetch.
func (r *partitionReader) watch(ctx context.Context) {
	conn := r.conn
	r.unwatch = context.AfterFunc(ctx, func() { _ = conn.Close() })
}

func (r *partitionReader) closeConn() {
	if r.unwatch != nil {
		r.unwatch()
		r.unwatch = nil
	}
	if r.conn != nil {
		_ = r.conn.Close()
		r.conn = nil
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
			// kafka-go leaves the rest of an errored fetch response
			// unread, so the connection cannot be reused.
			r.closeConn()
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
func (r *partitionReader) fetch() (*connectors.Batch, error) {
	cfg := &r.src.cfg
	if err := r.conn.SetReadDeadline(time.Now().Add(cfg.MaxWait + cfg.RequestTimeout)); err != nil {
		return nil, err
	}
	if _, err := r.conn.Seek(r.offset, kafkago.SeekAbsolute|kafkago.SeekDontCheck); err != nil {
		return nil, err
	}
	kb := r.conn.ReadBatchWith(kafkago.ReadBatchConfig{
		MinBytes: cfg.FetchMinBytes,
		MaxBytes: cfg.FetchMaxBytes,
		MaxWait:  cfg.MaxWait,
	})
	b := &connectors.Batch{Partition: r.partition, FirstOffset: r.offset, HighWatermark: kb.HighWaterMark()}
	var readErr error
	for n := 0; n < cfg.MaxBatchRows; n++ {
		msg, err := kb.ReadMessage()
		if err != nil {
			readErr = err
			break
		}
		r.decode(b, &msg)
	}
	next := kb.Offset()
	err := kb.Close()
	if err == nil && readErr != nil && !errors.Is(readErr, io.EOF) {
		err = readErr
	}
	if errors.Is(err, kafkago.RequestTimedOut) {
		err = nil // nothing arrived within MaxWait
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

// decode appends one record to the decoder or to b's rejects.
func (r *partitionReader) decode(b *connectors.Batch, msg *kafkago.Message) {
	value := msg.Value
	b.Bytes += int64(len(value))
	if len(value) > r.src.maxRecord {
		r.reject(b, msg, connectors.RejectOversized,
			fmt.Sprintf("record of %d bytes exceeds the limit of %d bytes", len(value), r.src.maxRecord))
		return
	}
	if err := r.dec.Append(value); err != nil {
		cls, text := connectors.RejectMalformed, err.Error()
		var de *format.DecodeError
		if errors.As(err, &de) {
			cls, text = de.Class, de.Msg
		}
		r.reject(b, msg, cls, text)
		return
	}
	b.Offsets = append(b.Offsets, msg.Offset)
}

func (r *partitionReader) reject(b *connectors.Batch, msg *kafkago.Message, cls connectors.ErrorClass, text string) {
	raw := msg.Value
	truncated := len(raw) > r.src.deadLetter
	if truncated {
		// Copy so the batch does not pin the whole record.
		raw = bytes.Clone(raw[:r.src.deadLetter])
	}
	b.Rejects = append(b.Rejects, connectors.Reject{
		Partition: r.partition,
		Offset:    msg.Offset,
		Class:     cls,
		Err:       text,
		Raw:       raw,
		Truncated: truncated,
	})
}
