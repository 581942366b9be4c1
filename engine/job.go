package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

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

type arrowRecord = arrow.RecordBatch

// jobStats are a view's counters, updated by its job and read by SHOW.
// They are restored from checkpoints, so after a crash they count every
// record exactly once.
type jobStats struct {
	records   atomic.Int64 // source records covered (rows + rejects), or changelog rows read from a view
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

// job maintains one materialized view. It reads either a source (conn)
// or another view (upstream, through inbox).
type job struct {
	view     *catalog.Object
	source   *catalog.Object // the source or view it reads
	pipe     *physical.Pipeline
	chain    *ops.Chain
	fctx     *functions.Context
	store    *view.Store
	conn     connectors.Source
	upstream *job
	inbox    *subscription
	wmExpr   *expr.Evaluator
	idle     time.Duration
	now      func() time.Time
	log      *slog.Logger
	late     *lateRows
	// restoredState is true when the view's state came from a checkpoint.
	restoredState bool

	stats  jobStats
	mu     sync.Mutex
	status string
	err    error

	rounds  chan *round       // checkpoint rounds, for jobs that read a source
	subReqs chan subscribeReq // new downstream views
	runCtx  context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	// Owned by the job's goroutine.
	offsets     connectors.Offsets
	tracker     *window.Tracker
	restored    *trackerState
	deadLetters []connectors.Reject
	subs        []*subscription
}

// trackerState is the watermark state a checkpoint keeps.
type trackerState struct {
	parts   map[int32]int64
	current int64
}

// barrier asks a job to write its state changes into a checkpoint batch
// between two batches: the cut at which the checkpoint records the job's
// position.
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

// readsSource reports whether the job reads a source (and so receives
// checkpoint rounds from the coordinator rather than from an upstream).
func (j *job) readsSource() bool { return j.conn != nil }

func (j *job) start(ctx context.Context) {
	ctx, j.cancel = context.WithCancel(ctx)
	j.runCtx = ctx
	j.done = make(chan struct{})
	j.setStatus("starting", nil)
	go func() {
		defer close(j.done)
		var err error
		if j.readsSource() {
			err = j.runSource(ctx)
		} else {
			err = j.runView(ctx)
		}
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
	if j.inbox != nil {
		select {
		case <-j.inbox.done:
		default:
			close(j.inbox.done)
		}
	}
	if j.cancel != nil {
		j.cancel()
		<-j.done
	}
}

// takeRound writes this job's part of a checkpoint and passes the round
// on to the views that read this one, behind every change sent so far.
func (j *job) takeRound(ctx context.Context, r *round) error {
	if b := r.barriers[j.view.ID]; b != nil {
		b.reply <- j.checkpoint(b)
	}
	return j.forward(ctx, message{kind: msgRound, round: r})
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
// "waiting" with the reason); other errors fail the view. Checkpoint
// rounds and subscriptions arriving meanwhile are served: the job's state
// has not changed.
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
			case r := <-j.rounds:
				if err := j.takeRound(ctx, r); err != nil {
					return err
				}
			case req := <-j.subReqs:
				j.addSubscriber(ctx, req)
			case <-t.C:
				break wait
			}
		}
		backoff = min(2*backoff, maxOpenBackoff)
	}
}

// runSource is the loop of a job that reads a source.
func (j *job) runSource(ctx context.Context) error {
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
		case r := <-j.rounds:
			if err := j.takeRound(ctx, r); err != nil {
				return err
			}
		case req := <-j.subReqs:
			j.addSubscriber(ctx, req)
		case <-tick.C:
			// Idle partitions stop holding the watermark back even when
			// no data arrives.
			if err := j.advance(ctx); err != nil {
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
			if err := j.apply(ctx, r.b); err != nil {
				return err
			}
		}
	}
}

// apply processes one source batch: counters, watermark observation,
// the dataflow, the watermark advance, retention, and publication.
func (j *job) apply(ctx context.Context, b *connectors.Batch) error {
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
	if err := j.advance(ctx); err != nil {
		return err
	}
	j.store.Publish()
	return nil
}

// advance moves a source job's watermark if its partitions allow.
func (j *job) advance(ctx context.Context) error {
	if j.wmExpr == nil {
		return nil
	}
	wm, moved := j.tracker.Advance(j.now())
	if !moved {
		return nil
	}
	return j.watermark(ctx, wm)
}

// watermark applies a new watermark: windows close (their rows flow to
// the store and downstream first), old rows expire, and the watermark is
// passed on.
func (j *job) watermark(ctx context.Context, wm int64) error {
	if wm <= j.stats.watermark.Load() {
		return nil
	}
	j.stats.watermark.Store(wm)
	if err := j.chain.Watermark(wm); err != nil {
		return err
	}
	if _, err := j.store.Expire(wm); err != nil {
		return err
	}
	j.stats.late.Store(j.lateCount())
	return j.forward(ctx, message{kind: msgWatermark, wm: wm})
}

func (j *job) lateCount() int64 {
	var late int64
	for _, w := range j.pipe.Windows {
		late += w.Late()
	}
	for _, a := range j.pipe.Aggs {
		late += a.Late()
	}
	return late
}

// runView is the loop of a job that reads another view.
func (j *job) runView(ctx context.Context) error {
	j.setStatus("running", nil)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case req := <-j.subReqs:
			j.addSubscriber(ctx, req)
		case <-j.upstream.done:
			st, err := j.upstream.Status()
			if err == nil {
				return nil
			}
			return fmt.Errorf("upstream view %s %s: %w", j.upstream.view.Name, st, err)
		case m := <-j.inbox.ch:
			switch m.kind {
			case msgData:
				j.fctx.Now = j.now().UnixMicro()
				j.stats.records.Add(int64(m.chunk.Len()))
				j.stats.rows.Add(int64(m.chunk.Len()))
				j.stats.batches.Add(1)
				if err := j.chain.Push(m.chunk); err != nil {
					return err
				}
				j.stats.late.Store(j.lateCount())
				j.store.Publish()
			case msgWatermark:
				if err := j.watermark(ctx, m.wm); err != nil {
					return err
				}
				j.store.Publish()
			case msgRound:
				if err := j.takeRound(ctx, m.round); err != nil {
					return err
				}
			}
		}
	}
}
