package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/engine/physical"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// jobStats are a view reader's counters, updated by the job and read by
// SHOW. The counters are restored from checkpoints, so after a crash
// they count every record exactly once.
type jobStats struct {
	records   atomic.Int64 // source records covered (rows + rejects)
	bytes     atomic.Int64
	rows      atomic.Int64 // records decoded into rows
	malformed atomic.Int64 // records dead-lettered
	late      atomic.Int64 // rows dropped as late
	watermark atomic.Int64
	batches   atomic.Int64

	mu      sync.Mutex
	offsets connectors.Offsets // next offset to apply, per partition
	highs   map[int32]int64    // log end offset per partition, last seen
}

func (s *jobStats) setOffset(p int32, next, high int64) {
	s.mu.Lock()
	s.offsets[p] = next
	if high >= 0 {
		s.highs[p] = high
	}
	s.mu.Unlock()
}

// progress returns copies of the offsets and the partitions' ends.
func (s *jobStats) progress() (connectors.Offsets, map[int32]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	highs := make(map[int32]int64, len(s.highs))
	for p, h := range s.highs {
		highs[p] = h
	}
	return s.offsets.Clone(), highs
}

// job maintains one materialized view.
type job struct {
	view   *catalog.Object
	source *catalog.Object
	pipe   *physical.Pipeline
	chain  *ops.Chain
	fctx   *functions.Context
	store  *view.Store
	conn   connectors.Source
	wmExpr *expr.Evaluator
	idle   time.Duration
	now    func() time.Time
	log    *slog.Logger
	late   *lateRows

	stats  jobStats
	mu     sync.Mutex
	status string
	err    error

	barriers chan *barrier
	cancel   context.CancelFunc
	done     chan struct{}

	// Owned by the job's goroutine.
	offsets     connectors.Offsets
	tracker     *window.Tracker
	restored    *trackerState
	deadLetters []connectors.Reject
}

// trackerState is the watermark state a checkpoint keeps.
type trackerState struct {
	parts   map[int32]int64
	current int64
}

// barrier asks a job to write its state changes into a checkpoint batch
// between two source batches: the cut at which the checkpoint records
// the job's offsets.
type barrier struct {
	id      uint64
	full    bool
	batch   *durable.Batch
	reply   chan error
	offsets connectors.Offsets
}

func (j *job) setStatus(s string, err error) {
	j.mu.Lock()
	j.status, j.err = s, err
	j.mu.Unlock()
}

// Status returns the job's state and its error, if any.
func (j *job) Status() (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status, j.err
}

func (j *job) start(ctx context.Context) {
	ctx, j.cancel = context.WithCancel(ctx)
	j.done = make(chan struct{})
	j.setStatus("starting", nil)
	go func() {
		defer close(j.done)
		err := j.run(ctx)
		switch {
		case err == nil || errors.Is(err, context.Canceled) && ctx.Err() != nil:
			j.setStatus("stopped", nil)
		default:
			j.log.Error("materialized view failed", "view", j.view.Name, "err", err)
			j.setStatus("failed", err)
		}
	}()
}

func (j *job) stop() {
	if j.cancel != nil {
		j.cancel()
		<-j.done
	}
}

// read is one ReadBatch result.
type read struct {
	b   *connectors.Batch
	err error
}

// openBackoff bounds the delay between attempts to open a source whose
// broker or topic is not available yet.
const (
	minOpenBackoff = 200 * time.Millisecond
	maxOpenBackoff = 5 * time.Second
)

// open opens the source from the job's offsets, retrying while the
// broker is unreachable or the topic does not exist yet (the view shows
// "waiting" with the reason); other errors fail the view. Barriers
// arriving meanwhile are answered: the job's state has not changed.
func (j *job) open(ctx context.Context) error {
	backoff := minOpenBackoff
	for {
		err := j.conn.Open(ctx, connectors.Start{Offsets: j.offsets.Clone()})
		if err == nil {
			return nil
		}
		retry := errors.Is(err, connectors.ErrNotConnected) || sqlerr.CodeOf(err) == sqlerr.UndefinedObject
		if !retry || ctx.Err() != nil {
			return fmt.Errorf("open source %s: %w", j.source.Name, err)
		}
		j.setStatus("waiting", err)
		j.log.Warn("source not available yet; retrying", "view", j.view.Name, "source", j.source.Name, "err", err, "in", backoff)
		t := time.NewTimer(backoff)
	wait:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case b := <-j.barriers:
				b.offsets = j.offsets.Clone()
				b.reply <- nil
			case <-t.C:
				break wait
			}
		}
		backoff = min(2*backoff, maxOpenBackoff)
	}
}

func (j *job) run(ctx context.Context) error {
	defer j.conn.Close()
	if err := j.open(ctx); err != nil {
		return err
	}
	j.tracker = window.NewTracker(j.conn.Partitions(), j.idle, j.now())
	if r := j.restored; r != nil {
		j.tracker.Restore(r.parts, r.current, j.now())
	}
	j.setStatus("running", nil)

	// The reader is bounded: it holds at most one batch here, and the
	// source holds a few more; a slow view slows its reads.
	reads := make(chan read, 1)
	go func() {
		for {
			b, err := j.conn.ReadBatch(ctx)
			select {
			case reads <- read{b, err}:
			case <-ctx.Done():
				if b != nil && b.Rec != nil {
					b.Rec.Release()
				}
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b := <-j.barriers:
			b.reply <- j.checkpoint(b)
		case <-tick.C:
			// Idle partitions stop holding the watermark back even when
			// no data arrives.
			if err := j.advance(); err != nil {
				return err
			}
			j.store.Publish()
		case r := <-reads:
			if r.err != nil {
				if errors.Is(r.err, connectors.ErrEndOfInput) {
					return nil
				}
				return r.err
			}
			if err := j.apply(r.b); err != nil {
				return err
			}
		}
	}
}

// apply processes one source batch: counters, watermark observation,
// the dataflow, the watermark advance, retention, and publication.
func (j *job) apply(b *connectors.Batch) error {
	now := j.now()
	j.fctx.Now = now.UnixMicro()
	j.stats.records.Add(b.Records())
	j.stats.bytes.Add(b.Bytes)
	j.stats.malformed.Add(int64(len(b.Rejects)))
	j.stats.batches.Add(1)
	j.deadLetters = append(j.deadLetters, b.Rejects...)
	maxWM := int64(window.NoWatermark)
	if b.Rec != nil && b.Rec.NumRows() > 0 {
		defer b.Rec.Release()
		j.stats.rows.Add(b.Rec.NumRows())
		if j.wmExpr != nil {
			arr, err := j.wmExpr.EvalArray(j.fctx, b.Rec)
			if err != nil {
				return fmt.Errorf("watermark expression: %w", err)
			}
			for i, v := range vec.Values[int64](arr) {
				if v > maxWM && arr.IsValid(i) {
					maxWM = v
				}
			}
		}
		origin := &batch.Origin{Partition: b.Partition, Offsets: b.Offsets}
		if err := j.chain.Push(batch.Chunk{Rec: b.Rec, Origin: origin}); err != nil {
			return err
		}
	}
	j.offsets[b.Partition] = b.NextOffset
	j.stats.setOffset(b.Partition, b.NextOffset, b.HighWatermark)
	j.tracker.Observe(b.Partition, maxWM, now)
	if err := j.advance(); err != nil {
		return err
	}
	j.store.Publish()
	return nil
}

func (j *job) advance() error {
	if j.wmExpr != nil {
		wm, moved := j.tracker.Advance(j.now())
		if moved {
			j.stats.watermark.Store(wm)
			if err := j.chain.Watermark(wm); err != nil {
				return err
			}
			if _, err := j.store.Expire(wm); err != nil {
				return err
			}
		}
	}
	var late int64
	for _, w := range j.pipe.Windows {
		late += w.Late()
	}
	for _, a := range j.pipe.Aggs {
		late += a.Late()
	}
	j.stats.late.Store(late)
	return nil
}
