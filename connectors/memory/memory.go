package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/format"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Log is an in-memory partitioned log of records. Offsets are absolute:
// Trim drops a partition's old records without renumbering the rest.
type Log struct {
	mu      sync.Mutex
	parts   [][][]byte
	base    []int64       // offset of parts[p][0]
	changed chan struct{} // closed and replaced on every append
}

// NewLog returns an empty log with the given number of partitions.
func NewLog(partitions int) *Log {
	return &Log{parts: make([][][]byte, partitions), base: make([]int64, partitions), changed: make(chan struct{})}
}

// Append adds records to a partition.
func (l *Log) Append(partition int32, values ...[]byte) {
	l.mu.Lock()
	l.parts[partition] = append(l.parts[partition], values...)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// End returns the next offset of a partition.
func (l *Log) End(partition int32) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base[partition] + int64(len(l.parts[partition]))
}

// Trim discards a partition's records before offset (readers must be
// past it), so long tests hold only what is unread.
func (l *Log) Trim(partition int32, offset int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := offset - l.base[partition]
	if n <= 0 {
		return
	}
	n = min(n, int64(len(l.parts[partition])))
	l.parts[partition] = append([][]byte(nil), l.parts[partition][n:]...)
	l.base[partition] += n
}

// read returns up to max records of a partition from offset (or from
// the first record kept, if offset was trimmed), the offset of the first
// one, the partition's end, and a channel closed when more arrive.
func (l *Log) read(partition int32, offset int64, limit int) ([][]byte, int64, int64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, base := l.parts[partition], l.base[partition]
	end := base + int64(len(p))
	offset = max(offset, base)
	stop := min(end, offset+int64(limit))
	if offset >= stop {
		return nil, offset, end, l.changed
	}
	return p[offset-base : stop-base], offset, end, l.changed
}

// Broker holds named logs and builds sources over them.
type Broker struct {
	mu   sync.Mutex
	logs map[string]*Log
	// MaxBatchRows caps a batch (default 16384, as the Kafka source).
	MaxBatchRows int
}

// NewBroker returns a broker with no logs.
func NewBroker() *Broker { return &Broker{logs: map[string]*Log{}} }

// Add registers a log under a topic name.
func (b *Broker) Add(topic string, l *Log) {
	b.mu.Lock()
	b.logs[topic] = l
	b.mu.Unlock()
}

// Factory returns the SourceFactory for connector = 'memory'.
func (b *Broker) Factory() connectors.SourceFactory {
	return func(spec connectors.SourceSpec) (connectors.Source, error) {
		topic := spec.Options["topic"]
		b.mu.Lock()
		l, ok := b.logs[topic]
		b.mu.Unlock()
		if !ok {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "memory source %q: no log named %q", spec.Name, topic)
		}
		dec, err := format.NewJSONDecoder(memory.NewGoAllocator(), spec.Schema, format.JSONOptions{})
		if err != nil {
			return nil, err
		}
		rows := b.MaxBatchRows
		if rows <= 0 {
			rows = 16384
		}
		maxRec := spec.MaxRecordBytes
		if maxRec <= 0 {
			maxRec = 1 << 20
		}
		return &Source{log: l, dec: dec, maxRows: rows, maxRecord: maxRec, closed: make(chan struct{})}, nil
	}
}

// Source reads a Log.
type Source struct {
	log       *Log
	dec       *format.JSONDecoder
	maxRows   int
	maxRecord int
	offsets   []int64
	next      int
	closeOnce sync.Once
	closed    chan struct{}
}

var _ connectors.Source = (*Source)(nil)

// Open implements connectors.Source.
func (s *Source) Open(_ context.Context, start connectors.Start) error {
	s.offsets = make([]int64, len(s.log.parts))
	for p := range s.offsets {
		if off, ok := start.Offsets[int32(p)]; ok {
			s.offsets[p] = off
		} else if start.Mode == connectors.StartLatest {
			s.offsets[p] = s.log.End(int32(p))
		}
	}
	return nil
}

// Partitions implements connectors.Source.
func (s *Source) Partitions() []int32 {
	out := make([]int32, len(s.offsets))
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// ReadBatch implements connectors.Source: the next partition (round
// robin) with unread records, waiting for an append when all are read.
func (s *Source) ReadBatch(ctx context.Context) (*connectors.Batch, error) {
	for {
		var wait <-chan struct{}
		for i := 0; i < len(s.offsets); i++ {
			p := int32((s.next + i) % len(s.offsets))
			recs, from, end, changed := s.log.read(p, s.offsets[p], s.maxRows)
			wait = changed
			if len(recs) == 0 {
				continue
			}
			s.next = int(p) + 1
			return s.decode(p, from, recs, end), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.closed:
			return nil, connectors.ErrClosed
		case <-wait:
		}
	}
}

func (s *Source) decode(p int32, first int64, recs [][]byte, end int64) *connectors.Batch {
	b := &connectors.Batch{Partition: p, FirstOffset: first, NextOffset: first + int64(len(recs)), HighWatermark: end}
	for i, v := range recs {
		off := first + int64(i)
		b.Bytes += int64(len(v))
		if len(v) > s.maxRecord {
			b.Rejects = append(b.Rejects, connectors.Reject{Partition: p, Offset: off, Class: connectors.RejectOversized,
				Err: fmt.Sprintf("record of %d bytes exceeds the limit of %d bytes", len(v), s.maxRecord)})
			continue
		}
		if err := s.dec.Append(v); err != nil {
			r := connectors.Reject{Partition: p, Offset: off, Class: connectors.RejectMalformed, Err: err.Error(), Raw: v}
			if de, ok := err.(*format.DecodeError); ok {
				r.Class, r.Err = de.Class, de.Msg
			}
			b.Rejects = append(b.Rejects, r)
			continue
		}
		b.Offsets = append(b.Offsets, off)
	}
	b.Rec = s.dec.Flush()
	s.offsets[p] = b.NextOffset
	return b
}

// Commit implements connectors.Source (there is no group to report to).
func (s *Source) Commit(context.Context, connectors.Offsets) error { return nil }

// Close implements connectors.Source.
func (s *Source) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}
