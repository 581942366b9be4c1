package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/batch"
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
// SHOW.
type jobStats struct {
	records   atomic.Int64
	bytes     atomic.Int64
	rows      atomic.Int64
	malformed atomic.Int64
	late      atomic.Int64
	watermark atomic.Int64
	lag       atomic.Int64
	batches   atomic.Int64
}

// job maintains one materialized view.
type job struct {
	view   *catalog.Object
	source *catalog.Object
	pipe   *physical.Pipeline
	store  *view.Store
	conn   connectors.Source
	wmExpr *expr.Evaluator
	idle   time.Duration
	now    func() time.Time
	log    *slog.Logger

	stats  jobStats
	mu     sync.Mutex
	status string
	err    error

	cancel context.CancelFunc
	done   chan struct{}
}

func (j *job) setStatus(s string, err error) {
	j.mu.Lock()
	j.status, j.err = s, err
	j.mu.Unlock()
}

// Status returns the job's state and its error, if it failed.
func (j *job) Status() (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status, j.err
}

func (j *job) start(ctx context.Context, start connectors.Start) {
	ctx, j.cancel = context.WithCancel(ctx)
	j.done = make(chan struct{})
	j.stats.watermark.Store(window.NoWatermark)
	j.setStatus("starting", nil)
	go func() {
		defer close(j.done)
		err := j.run(ctx, start)
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

// open opens the source, retrying while the broker is unreachable or the
// topic does not exist yet (the view shows "waiting" with the reason);
// other errors fail the view.
func (j *job) open(ctx context.Context, start connectors.Start) error {
	backoff := minOpenBackoff
	for {
		err := j.conn.Open(ctx, start)
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
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxOpenBackoff)
	}
}

func (j *job) run(ctx context.Context, start connectors.Start) error {
	defer j.conn.Close()
	if err := j.open(ctx, start); err != nil {
		return err
	}
	j.setStatus("running", nil)
	fctx := &functions.Context{}
	sink := func(c batch.Chunk) error { return j.store.Apply(c) }
	chain := ops.NewChain(fctx, sink, j.pipe.Ops...)
	tracker := window.NewTracker(j.conn.Partitions(), j.idle, j.now())

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
		case <-tick.C:
			// Idle partitions stop holding the watermark back even when
			// no data arrives.
			if err := j.advance(chain, tracker); err != nil {
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
			if err := j.apply(fctx, chain, tracker, r.b); err != nil {
				return err
			}
		}
	}
}

// apply processes one source batch: counters, watermark observation,
// the dataflow, the watermark advance, and publication.
func (j *job) apply(fctx *functions.Context, chain *ops.Chain, tracker *window.Tracker, b *connectors.Batch) error {
	now := j.now()
	fctx.Now = now.UnixMicro()
	j.stats.records.Add(b.Records())
	j.stats.bytes.Add(b.Bytes)
	j.stats.malformed.Add(int64(len(b.Rejects)))
	j.stats.batches.Add(1)
	if b.HighWatermark >= 0 {
		j.stats.lag.Store(b.HighWatermark - b.NextOffset)
	}
	for _, r := range b.Rejects {
		j.log.Debug("record rejected", "source", j.source.Name, "partition", r.Partition, "offset", r.Offset, "class", r.Class, "err", r.Err)
	}
	maxWM := int64(window.NoWatermark)
	if b.Rec != nil && b.Rec.NumRows() > 0 {
		defer b.Rec.Release()
		j.stats.rows.Add(b.Rec.NumRows())
		if j.wmExpr != nil {
			arr, err := j.wmExpr.EvalArray(fctx, b.Rec)
			if err != nil {
				return fmt.Errorf("watermark expression: %w", err)
			}
			vals := vec.Values[int64](arr)
			for i, v := range vals {
				if v > maxWM && arr.IsValid(i) {
					maxWM = v
				}
			}
		}
		if err := chain.Push(batch.Chunk{Rec: b.Rec}); err != nil {
			return err
		}
	}
	tracker.Observe(b.Partition, maxWM, now)
	if err := j.advance(chain, tracker); err != nil {
		return err
	}
	j.store.Publish()
	return nil
}

func (j *job) advance(chain *ops.Chain, tracker *window.Tracker) error {
	if j.wmExpr == nil {
		return nil
	}
	wm, moved := tracker.Advance(j.now())
	if moved {
		j.stats.watermark.Store(wm)
		if err := chain.Watermark(wm); err != nil {
			return err
		}
	}
	var late int64
	for _, a := range j.pipe.Aggs {
		late += a.Late()
	}
	j.stats.late.Store(late)
	return nil
}

// watermarkTime renders a watermark for SHOW (empty before the first).
func watermarkTime(wm int64) (int64, bool) {
	if wm == window.NoWatermark || wm == math.MinInt64 {
		return 0, false
	}
	return wm, true
}
