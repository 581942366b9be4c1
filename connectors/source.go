package connectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/sql/types"
)

// ErrEndOfInput is returned by ReadBatch when a bounded source has no more
// data; the engine stops reading it gracefully.
var ErrEndOfInput = errors.New("end of input")

// ErrNotConnected is returned when the source lost its connection; the
// engine may call Open again.
var ErrNotConnected = errors.New("not connected")

// ErrClosed is returned by ReadBatch and Open after Close.
var ErrClosed = errors.New("source closed")

// StartMode says where a source starts reading when no checkpoint holds
// offsets for a partition.
type StartMode uint8

// The start modes (scan.startup.mode).
const (
	StartEarliest StartMode = iota + 1
	StartLatest
)

// Start says where to begin: Offsets (the next offset to read per
// partition, from a checkpoint) win; partitions absent from Offsets start
// according to Mode, and a zero Mode means the connector's own
// startup-mode option (scan.startup.mode), earliest if unset.
type Start struct {
	Mode    StartMode
	Offsets Offsets
}

// Offsets maps a partition to the next offset to read in it.
type Offsets map[int32]int64

// Clone returns a copy of o.
func (o Offsets) Clone() Offsets {
	c := make(Offsets, len(o))
	for p, off := range o {
		c[p] = off
	}
	return c
}

// String renders o as "0:12,1:40", partitions in order.
func (o Offsets) String() string {
	parts := make([]int32, 0, len(o))
	for p := range o {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", p, o[p])
	}
	return b.String()
}

// ErrorClass classifies a rejected record.
type ErrorClass uint8

// The reject classes.
const (
	// RejectMalformed: the bytes are not a valid record of the format
	// (truncated or invalid JSON, invalid UTF-8, not an object).
	RejectMalformed ErrorClass = iota + 1
	// RejectConversion: a field could not be converted to its declared
	// type (wrong JSON type, out of range, unparseable timestamp).
	RejectConversion
	// RejectOversized: the record exceeds the source's size limit.
	RejectOversized
	// RejectMissing: a NOT NULL column is absent or null.
	RejectMissing
)

func (c ErrorClass) String() string {
	switch c {
	case RejectMalformed:
		return "malformed"
	case RejectConversion:
		return "conversion"
	case RejectOversized:
		return "oversized"
	case RejectMissing:
		return "missing_field"
	}
	return "unknown"
}

// Reject is a record that could not be decoded. Raw holds at most the
// source's dead-letter byte limit of the record's value.
type Reject struct {
	Partition int32
	Offset    int64
	Class     ErrorClass
	Err       string
	Raw       []byte
	// Truncated is true when Raw is shorter than the record.
	Truncated bool
}

// Batch is what a Source yields: the records of one partition at offsets
// in [FirstOffset, NextOffset), every one of them either decoded into a
// row of Rec or listed in Rejects. On compacted topics some offsets in
// the range hold no record.
type Batch struct {
	Partition int32
	// Rec holds the decoded rows in offset order, with the source's
	// declared schema. It may have zero rows. The receiver owns it and
	// must Release it.
	Rec arrow.RecordBatch
	// Offsets[i] is the offset of row i of Rec.
	Offsets     []int64
	FirstOffset int64
	NextOffset  int64
	Rejects     []Reject
	// Bytes is the total size of the records' values.
	Bytes int64
	// HighWatermark is the partition's log end offset as of the fetch
	// (for lag), or -1 if unknown.
	HighWatermark int64
}

// Records returns the number of records the batch covers.
func (b *Batch) Records() int64 { return b.NextOffset - b.FirstOffset }

// Source reads a partitioned stream.
//
// Open is called once before ReadBatch; Close may be called at any time,
// also concurrently with a blocked ReadBatch, and must make it return.
// ReadBatch is called from one goroutine at a time. Batches from one
// partition arrive in offset order; batches of different partitions
// interleave.
type Source interface {
	// Open connects and positions every partition according to start.
	Open(ctx context.Context, start Start) error
	// ReadBatch blocks until a batch is available or ctx is done.
	ReadBatch(ctx context.Context) (*Batch, error)
	// Partitions returns the partitions being read (valid after Open).
	Partitions() []int32
	// Commit records offsets a checkpoint made durable, for monitoring;
	// failure is not fatal to the caller.
	Commit(ctx context.Context, offsets Offsets) error
	// Close releases the source.
	Close() error
}

// SourceSpec is what a factory gets to build a Source.
type SourceSpec struct {
	// Name is the source's name in the catalog.
	Name string
	// Schema is the declared columns, in order.
	Schema types.Schema
	// Options is the WITH (...) clause, keys lower-cased.
	Options map[string]string
	// Format and Encode are from FORMAT ... ENCODE ... ("plain", "json").
	Format, Encode string
	// GroupID is the consumer group the source reports committed offsets
	// under (monitoring only).
	GroupID string
	// MaxRecordBytes rejects larger records as RejectOversized (0 means
	// the default, 1 MiB); DeadLetterBytes bounds Reject.Raw (0 means
	// 4 KiB).
	MaxRecordBytes  int
	DeadLetterBytes int
}

// SourceFactory builds a Source. It validates the options and returns a
// *sqlerr.Error (22023 invalid parameter) for bad ones, without
// connecting.
type SourceFactory func(spec SourceSpec) (Source, error)

// Registry maps connector names to factories. It is a plain value built by
// the binary; nothing registers itself.
type Registry struct {
	sources map[string]SourceFactory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{sources: map[string]SourceFactory{}}
}

// RegisterSource adds a source connector under name (lower-case).
func (r *Registry) RegisterSource(name string, f SourceFactory) {
	r.sources[strings.ToLower(name)] = f
}

// Source returns the factory for name.
func (r *Registry) Source(name string) (SourceFactory, bool) {
	f, ok := r.sources[strings.ToLower(name)]
	return f, ok
}

// SourceNames lists the registered source connectors, sorted.
func (r *Registry) SourceNames() []string {
	names := make([]string, 0, len(r.sources))
	for n := range r.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
