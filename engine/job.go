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
	"github.com/tocsin-db/tocsin/engine/state"
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

// input is one source a job reads: its connector, its watermark tracker
// and its position, and the chain its batches enter.
type input struct {
	obj      *catalog.Object
	conn     connectors.Source
	wmExpr   *expr.Evaluator
	chain    *ops.Chain
	tracker  *window.Tracker
	restored *trackerState
	offsets  connectors.Offsets
	stats    jobStats
	// wm is the input's watermark as last applied.
	wm          int64
	deadLetters []connectors.Reject
	// progress tracks the backfill (stats_backfill.go).
	progress backfill
}

// job maintains one materialized view. It reads one or two sources
// (inputs), or another view (upstream, through inbox).
type job struct {
	view     *catalog.Object
	source   *catalog.Object // the first source, or the view it reads
	pipe     *physical.Pipeline
	chain    *ops.Chain // the operators after the join, or all of them
	fctx     *functions.Context
	store    *view.Store
	inputs   []*input
	upstream *job
	inbox    *subscription
	idle     time.Duration
	now      func() time.Time
	log      *slog.Logger
	late     *lateRows
	// restoredState is true when the view's state came from a checkpoint.
	restoredState bool
	// sink is set when the job maintains a sink rather than a view.
	sink *sinkRuntime

	stats  jobStats
	mu     sync.Mutex
	status string
	err    error
	// meters count each operator's work (stats_ops.go); set by newJob.
	meters *jobMeters
	// ckptBytes is the size of the job's last checkpoint batch, which
	// sizes the next one (read and written by Engine.Checkpoint under
	// e.ckptMu).
	ckptBytes int64

	rounds  chan *round       // checkpoint rounds, for jobs that read a source
	subReqs chan subscribeReq // new downstream views
	runCtx  context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	// Owned by the job's goroutine.
	subs []*subscription
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
	id    uint64
	full  bool
	batch *durable.Batch
	reply chan error
	// offsets are each input's checkpointed offsets.
	offsets []connectors.Offsets
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

// readsSource reports whether the job reads sources (and so receives
// checkpoint rounds from the coordinator rather than from an upstream).
func (j *job) readsSource() bool { return len(j.inputs) > 0 }

func (j *job) start(ctx context.Context) {
	ctx, j.cancel = context.WithCancel(ctx)
	j.runCtx = ctx
	j.done = make(chan struct{})
	j.setStatus("starting", nil)
	if j.sink != nil {
		j.sink.start(ctx)
	}
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
	j.sink.close()
}

// takeRound writes this job's part of a checkpoint and passes the round
// on to the views that read this one, behind every change sent so far.
func (j *job) takeRound(ctx context.Context, r *round) error {
	if b := r.barriers[j.view.ID]; b != nil {
		b.reply <- j.checkpoint(b)
	}
	return j.forward(ctx, message{kind: msgRound, round: r})
}

// openBackoff bounds the delay between attempts to open a source whose
// broker or topic is not available yet.
const (
	minOpenBackoff = 200 * time.Millisecond
	maxOpenBackoff = 5 * time.Second
)

// open opens an input's source from its offsets, retrying while the
// broker is unreachable or the topic does not exist yet (the view shows
// "waiting" with the reason); other errors fail the view. Checkpoint
// rounds and subscriptions arriving meanwhile are served: the job's state
// has not changed.
func (j *job) open(ctx context.Context, in *input) error {
	backoff := minOpenBackoff
	for {
		err := in.conn.Open(ctx, connectors.Start{Offsets: in.offsets.Clone()})
		if err == nil {
			j.probeBounds(ctx, in)
			return nil
		}
		retry := errors.Is(err, connectors.ErrNotConnected) || sqlerr.CodeOf(err) == sqlerr.UndefinedObject
		if !retry || ctx.Err() != nil {
			return fmt.Errorf("open source %s: %w", in.obj.Name, err)
		}
		j.setStatus("waiting", err)
		j.log.Warn("source not available yet; retrying", "view", j.view.Name, "source", in.obj.Name, "err", err, "in", backoff)
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

// taggedRead is a ReadBatch result of input i.
type taggedRead struct {
	i   int
	b   *connectors.Batch
	err error
}

// runSource is the loop of a job that reads sources.
func (j *job) runSource(ctx context.Context) error {
	for _, in := range j.inputs {
		defer in.conn.Close()
		if err := j.open(ctx, in); err != nil {
			return err
		}
		in.tracker = window.NewTracker(in.conn.Partitions(), j.idle, j.now())
		if r := in.restored; r != nil {
			in.tracker.Restore(r.parts, r.current, j.now())
		}
	}
	j.setStatus("running", nil)

	// Readers are bounded: each holds at most one batch in this channel,
	// and its source a few more; a slow view slows its reads.
	reads := make(chan taggedRead, len(j.inputs))
	for i, in := range j.inputs {
		go func() {
			for {
				b, err := in.conn.ReadBatch(ctx)
				select {
				case reads <- taggedRead{i, b, err}:
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
	}
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
			for i := range j.inputs {
				if err := j.advance(ctx, i); err != nil {
					return err
				}
			}
			j.store.Publish()
		case r := <-reads:
			if r.err != nil {
				if errors.Is(r.err, connectors.ErrEndOfInput) {
					continue
				}
				return r.err
			}
			if err := j.apply(ctx, r.i, r.b); err != nil {
				return err
			}
		}
	}
}

// apply processes one batch of input i: counters, watermark observation,
// the dataflow, the watermark advance, retention, and publication.
func (j *job) apply(ctx context.Context, i int, b *connectors.Batch) error {
	in := j.inputs[i]
	now := j.now()
	j.fctx.Now = now.UnixMicro()
	in.deadLetters = append(in.deadLetters, b.Rejects...)
	maxWM := int64(window.NoWatermark)
	if b.Rec != nil && b.Rec.NumRows() > 0 {
		defer b.Rec.Release()
		if in.wmExpr != nil {
			arr, err := in.wmExpr.EvalArray(j.fctx, b.Rec)
			if err != nil {
				return fmt.Errorf("watermark expression: %w", err)
			}
			for k, v := range vec.Values[int64](arr) {
				if v > maxWM && arr.IsValid(k) {
					maxWM = v
				}
			}
		}
		origin := &batch.Origin{Partition: b.Partition, Offsets: b.Offsets}
		if err := in.chain.Push(batch.Chunk{Rec: b.Rec, Origin: origin}); err != nil {
			return err
		}
	}
	in.offsets[b.Partition] = b.NextOffset
	in.stats.setOffset(b.Partition, b.NextOffset, b.HighWatermark)
	in.progress.observe(b.Partition, b.FirstOffset, b.NextOffset, b.HighWatermark, now)
	// The counters move after the batch's rows, offsets and progress, so
	// a reader that sees every record counted also sees them applied.
	if b.Rec != nil {
		in.stats.rows.Add(b.Rec.NumRows())
	}
	in.stats.malformed.Add(int64(len(b.Rejects)))
	in.stats.bytes.Add(b.Bytes)
	in.stats.batches.Add(1)
	in.stats.records.Add(b.Records())
	in.tracker.Observe(b.Partition, maxWM, now)
	if err := j.advance(ctx, i); err != nil {
		return err
	}
	j.setLate()
	j.store.Publish()
	return nil
}

// advance moves input i's watermark if its partitions allow, and the
// view's watermark (the lowest of its inputs') with it.
func (j *job) advance(ctx context.Context, i int) error {
	in := j.inputs[i]
	if in.wmExpr == nil {
		return nil
	}
	wm, moved := in.tracker.Advance(j.now())
	if !moved {
		return nil
	}
	in.wm = wm
	in.stats.watermark.Store(wm)
	if j.pipe.Join == nil {
		return j.watermark(ctx, wm)
	}
	// Two inputs: the side's operators and the join see the side's
	// watermark; what follows the join sees the lowest of the two.
	if err := in.chain.Watermark(wm); err != nil {
		return err
	}
	j.pipe.Join.WatermarkSide(i, wm)
	low := wm
	for _, other := range j.inputs {
		low = min(low, other.wm)
	}
	return j.watermark(ctx, low)
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
	j.setLate()
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
	for _, o := range j.pipe.Overs {
		late += o.Late()
	}
	if j.pipe.Join != nil {
		late += j.pipe.Join.Late()
	}
	return late
}

// states lists the state of every operator of the job in a fixed order
// (each side's, the join, then the rest), for checkpoints.
func (j *job) states() []state.Snapshotter {
	var all []state.Snapshotter
	for _, side := range j.pipe.Sides {
		for _, op := range side {
			all = append(all, op)
		}
	}
	if j.pipe.Join != nil {
		all = append(all, j.pipe.Join)
	}
	for _, op := range j.pipe.Ops {
		all = append(all, op)
	}
	return all
}

// closeInputs closes the connectors of a job that never started.
func (j *job) closeInputs() {
	for _, in := range j.inputs {
		_ = in.conn.Close()
	}
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
				j.setLate()
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

// setLate publishes the late counts. A two-input job counts each side's
// late rows on its source; windows after the join count on the first.
func (j *job) setLate() {
	late := j.lateCount()
	j.stats.late.Store(late)
	if len(j.inputs) == 0 {
		return
	}
	side := make([]int64, len(j.inputs))
	if j.pipe.Join != nil {
		for i := range j.inputs {
			side[i] = j.pipe.Join.LateSide(i)
			late -= side[i]
		}
	}
	side[0] += late
	for i, in := range j.inputs {
		in.stats.late.Store(side[i])
	}
}
