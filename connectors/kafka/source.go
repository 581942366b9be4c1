package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/format"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Source reads one Kafka topic. See the package documentation for the
// reading model, shutdown and offsets.
type Source struct {
	spec       connectors.SourceSpec
	opts       sourceOptions
	cfg        Config
	log        *slog.Logger
	maxRecord  int
	deadLetter int

	mu        sync.Mutex
	opening   bool
	closed    bool
	parts     []int32
	transport *kafkago.Transport
	client    *kafkago.Client
	cancel    context.CancelFunc
	out       chan *connectors.Batch
	// fetched counts the records read from the brokers (tests of
	// backpressure compare it with what was delivered).
	fetched atomic.Int64
	wg      sync.WaitGroup
	// done is closed by Close; it unblocks ReadBatch.
	done chan struct{}
}

var _ connectors.Source = (*Source)(nil)

// ErrClosed is returned by a Source's methods after Close (wrapped with
// the source's name).
var ErrClosed = connectors.ErrClosed

// NewFactory returns a connectors.SourceFactory building sources tuned by
// cfg.
func NewFactory(cfg Config) connectors.SourceFactory {
	cfg = cfg.withDefaults()
	return func(spec connectors.SourceSpec) (connectors.Source, error) {
		return newSource(spec, cfg)
	}
}

// NewSource builds a source with the default Config; it is a
// connectors.SourceFactory. It validates the options and the schema
// without connecting.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	return newSource(spec, Config{}.withDefaults())
}

func newSource(spec connectors.SourceSpec, cfg Config) (*Source, error) {
	opts, err := parseOptions(spec)
	if err != nil {
		return nil, err
	}
	// Build a decoder once so that an undecodable schema fails here, at
	// CREATE SOURCE, rather than in the readers.
	dec, err := format.NewJSONDecoder(cfg.Allocator, spec.Schema, format.JSONOptions{})
	if err != nil {
		return nil, err
	}
	dec.Release()
	s := &Source{
		spec:       spec,
		opts:       opts,
		cfg:        cfg,
		log:        cfg.Logger.With("source", spec.Name, "topic", opts.topic),
		maxRecord:  spec.MaxRecordBytes,
		deadLetter: spec.DeadLetterBytes,
		done:       make(chan struct{}),
	}
	if s.maxRecord <= 0 {
		s.maxRecord = defaultRecordBytes
	}
	if s.deadLetter <= 0 {
		s.deadLetter = defaultDeadLetter
	}
	if s.cfg.FetchMaxBytes < s.maxRecord+1024 {
		s.cfg.FetchMaxBytes = s.maxRecord + 1024
	}
	s.cfg.FetchMinBytes = min(s.cfg.FetchMinBytes, s.cfg.FetchMaxBytes)
	return s, nil
}

func (s *Source) errorf(code sqlerr.Code, cause error, format string, args ...any) error {
	return sqlerr.Wrap(cause, code, "kafka source %q: %s", s.spec.Name, fmt.Sprintf(format, args...))
}

// Open looks up the topic, connects to every partition's leader, resolves
// the start offsets and starts the readers. Offsets in start win; other
// partitions start per start.Mode, or per the scan.startup.mode option
// when start.Mode is zero (earliest if neither is set). A connection
// failure wraps connectors.ErrNotConnected, so Open may be retried.
func (s *Source) Open(ctx context.Context, start connectors.Start) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return fmt.Errorf("kafka source %q: %w", s.spec.Name, ErrClosed)
	case s.opening || s.out != nil:
		s.mu.Unlock()
		return fmt.Errorf("kafka source %q: already open", s.spec.Name)
	}
	s.opening = true
	s.mu.Unlock()

	runCtx, cancel := context.WithCancel(context.Background())
	transport := newTransport(runCtx, s.cfg, s.opts.topic)
	client := &kafkago.Client{Addr: kafkago.TCP(s.opts.brokers...), Timeout: s.cfg.RequestTimeout, Transport: transport}
	readers, err := s.connectAll(ctx, client, start)
	if err == nil {
		err = s.start(runCtx, cancel, transport, client, readers)
	}
	defer func() {
		if err != nil {
			releaseAll(readers)
			cancel()
			transport.CloseIdleConnections()
			s.mu.Lock()
			s.opening = false
			s.mu.Unlock()
		}
	}()
	return err
}

// start installs the connections and starts the readers, unless Close
// came first.
func (s *Source) start(ctx context.Context, cancel context.CancelFunc, tr *kafkago.Transport, client *kafkago.Client, readers []*partitionReader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("kafka source %q: %w", s.spec.Name, ErrClosed)
	}
	s.opening = false
	s.transport, s.client, s.cancel = tr, client, cancel
	s.out = make(chan *connectors.Batch, s.cfg.BufferedBatches)
	for _, r := range readers {
		s.parts = append(s.parts, r.partition)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			r.run(ctx, s.out)
		}()
	}
	return nil
}

// connectAll builds a connected, positioned reader per partition.
func (s *Source) connectAll(ctx context.Context, client *kafkago.Client, start connectors.Start) ([]*partitionReader, error) {
	parts, err := topicPartitions(ctx, client, s.opts.topic)
	if err != nil {
		var ue *unknownTopicError
		if errors.As(err, &ue) {
			e := sqlerr.New(sqlerr.UndefinedObject, "kafka source %q: topic %q does not exist on %s",
				s.spec.Name, s.opts.topic, strings.Join(s.opts.brokers, ","))
			e.Err = err
			return nil, e.WithHint("Create the topic first, or check the options topic and %s.", optBootstrap)
		}
		return nil, s.errorf(sqlerr.ConnectionException, notConnected(err), "look up topic %q on %s", s.opts.topic, strings.Join(s.opts.brokers, ","))
	}
	mode := start.Mode
	if mode == 0 {
		mode = s.opts.mode
	}
	if mode == 0 {
		mode = connectors.StartEarliest
	}
	readers := make([]*partitionReader, 0, len(parts))
	for _, p := range parts {
		r, err := s.newReader(p.ID, mode, client)
		if err != nil {
			releaseAll(readers)
			return nil, err
		}
		readers = append(readers, r)
		if err := r.dial(ctx, &p); err != nil {
			releaseAll(readers)
			return nil, s.errorf(sqlerr.ConnectionException, notConnected(err), "connect to the leader of partition %d", p.ID)
		}
		if off, ok := start.Offsets[int32(p.ID)]; ok {
			r.offset = off
		} else if r.offset, err = r.resolve(mode); err != nil {
			releaseAll(readers)
			return nil, s.errorf(sqlerr.ConnectionException, notConnected(err), "resolve the start offset of partition %d", p.ID)
		}
	}
	return readers, nil
}

func releaseAll(rs []*partitionReader) {
	for _, r := range rs {
		r.release()
	}
}

func notConnected(err error) error {
	return fmt.Errorf("%w: %w", connectors.ErrNotConnected, err)
}

// ReadBatch returns the next decoded batch of any partition. It blocks
// until one is ready, ctx is done, or the source is closed.
func (s *Source) ReadBatch(ctx context.Context) (*connectors.Batch, error) {
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	if out == nil {
		select {
		case <-s.done:
			return nil, fmt.Errorf("kafka source %q: %w", s.spec.Name, ErrClosed)
		default:
			return nil, fmt.Errorf("kafka source %q: ReadBatch before Open", s.spec.Name)
		}
	}
	select {
	case b := <-out:
		return b, nil
	case <-s.done:
		return nil, fmt.Errorf("kafka source %q: %w", s.spec.Name, ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Partitions returns the partitions being read, in order.
func (s *Source) Partitions() []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.parts)
}

// Commit stores offsets (the next offset to read per partition) as the
// committed offsets of SourceSpec.GroupID, as a simple consumer that
// never joins the group. It does nothing without a group id.
func (s *Source) Commit(ctx context.Context, offsets connectors.Offsets) error {
	if s.spec.GroupID == "" || len(offsets) == 0 {
		return nil
	}
	s.mu.Lock()
	client, closed := s.client, s.closed
	s.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("kafka source %q: commit: %w", s.spec.Name, ErrClosed)
	case client == nil:
		return fmt.Errorf("kafka source %q: commit before Open", s.spec.Name)
	}
	commits := make([]kafkago.OffsetCommit, 0, len(offsets))
	for p, off := range offsets {
		commits = append(commits, kafkago.OffsetCommit{Partition: int(p), Offset: off})
	}
	resp, err := client.OffsetCommit(ctx, &kafkago.OffsetCommitRequest{
		GroupID:      s.spec.GroupID,
		GenerationID: -1,
		Topics:       map[string][]kafkago.OffsetCommit{s.opts.topic: commits},
	})
	if err != nil {
		return fmt.Errorf("kafka source %q: commit offsets: %w", s.spec.Name, err)
	}
	for _, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return fmt.Errorf("kafka source %q: commit offset of partition %d: %w", s.spec.Name, p.Partition, p.Error)
			}
		}
	}
	return nil
}

// Close stops the readers, waits for them, releases batches nobody
// received and makes a blocked ReadBatch return. It is idempotent.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	cancel, transport, out := s.cancel, s.transport, s.out
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	s.wg.Wait()
	for {
		select {
		case b := <-out:
			b.Rec.Release()
			continue
		default:
		}
		break
	}
	transport.CloseIdleConnections()
	return nil
}

// metadataTTL bounds how stale a transport's cached leaders may be.
const metadataTTL = 2 * time.Second

// newTransport returns a transport whose background goroutines stop with
// ctx. Metadata is cached briefly so that leader changes are seen soon.
func newTransport(ctx context.Context, cfg Config, topics ...string) *kafkago.Transport {
	return &kafkago.Transport{
		Dial:           (&net.Dialer{Timeout: cfg.RequestTimeout}).DialContext,
		DialTimeout:    cfg.RequestTimeout,
		MetadataTTL:    metadataTTL,
		MetadataTopics: topics,
		ClientID:       defaultClientID,
		Context:        ctx,
	}
}
