package engine

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// Backfill progress. A reader that starts behind its log (from the
// earliest offset, or from a checkpoint made long ago) is backfilling
// until it has read what the log held when it started. Per partition,
// the target is the log end offset at start minus the offset the reader
// started at; consumed is the offsets read since, capped at the target.
// Both are summed over partitions. A partition's start and target come
// from its first batch (FirstOffset, HighWatermark) or, for sources that
// can report their logs' bounds (logBounder), from a probe right after
// Open, whichever comes first.

// logBounder is implemented by sources that can report their
// partitions' first offsets and log end offsets (connectors/kafka).
type logBounder interface {
	LogBounds(ctx context.Context) (first, end map[int32]int64, err error)
}

// backfill tracks one reader's progress. observe runs on the job's
// goroutine once per batch; snapshot on any goroutine.
type backfill struct {
	mu    sync.Mutex
	parts map[int32]partProgress
	rate  rateMeter
}

// partProgress is one partition's start offset, target end and next
// offset to read.
type partProgress struct {
	start, end, next int64
}

// observe records a batch of partition p covering [first, next) of a
// log whose end was high (-1 if unknown).
func (b *backfill) observe(p int32, first, next, high int64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.parts == nil {
		b.parts = map[int32]partProgress{}
	}
	pp, ok := b.parts[p]
	if !ok {
		if high < 0 {
			high = first
		}
		pp = partProgress{start: first, end: max(high, first)}
	}
	pp.next = max(pp.next, next)
	b.parts[p] = pp
	b.rate.add(next-first, now)
}

// setBounds records where partitions start and end when the reader
// opens, for partitions no batch has reported yet. resumed are the
// offsets the reader resumed from (a checkpoint's); latest says other
// partitions start at their end.
func (b *backfill) setBounds(first, end map[int32]int64, resumed connectors.Offsets, latest bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.parts == nil {
		b.parts = map[int32]partProgress{}
	}
	for p, e := range end {
		if _, ok := b.parts[p]; ok {
			continue
		}
		start, ok := resumed[p]
		switch {
		case ok:
		case latest:
			start = e
		default:
			start = first[p]
		}
		b.parts[p] = partProgress{start: start, end: max(e, start), next: start}
	}
}

// progress is a snapshot of a backfill.
type progress struct {
	consumed, target int64
	rate             float64
}

func (b *backfill) snapshot(now time.Time) progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	var p progress
	for _, pp := range b.parts {
		t := pp.end - pp.start
		p.target += t
		p.consumed += min(max(pp.next-pp.start, 0), t)
	}
	b.rate.tick(now)
	p.rate = b.rate.rate
	return p
}

// rateMeter is an exponentially weighted moving average of a rate in
// events per second, sampled at most once per rateSample, with time
// constant rateTau; a sample with no events decays it.
type rateMeter struct {
	last   time.Time
	count  int64
	rate   float64
	primed bool
}

const (
	rateSample = time.Second
	rateTau    = 5 * time.Second
)

func (r *rateMeter) add(n int64, now time.Time) {
	if r.last.IsZero() {
		r.last = now
	}
	r.count += n
	r.tick(now)
}

func (r *rateMeter) tick(now time.Time) {
	if r.last.IsZero() {
		return
	}
	dt := now.Sub(r.last)
	if dt < rateSample {
		return
	}
	inst := float64(r.count) / dt.Seconds()
	if r.primed {
		r.rate += (1 - math.Exp(-dt.Seconds()/rateTau.Seconds())) * (inst - r.rate)
	} else {
		r.rate, r.primed = inst, true
	}
	r.count, r.last = 0, now
}

// probeBounds asks a source that can report its logs' bounds for them,
// in the background, right after it opened. in.offsets are the offsets
// the reader resumed from.
func (j *job) probeBounds(ctx context.Context, in *input) {
	lb, ok := in.conn.(logBounder)
	if !ok {
		return
	}
	resumed := in.offsets.Clone()
	latest := strings.EqualFold(in.obj.Source.Options["scan.startup.mode"], "latest")
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		first, end, err := lb.LogBounds(ctx)
		if err != nil {
			j.log.Debug("backfill progress: read the log bounds", "view", j.view.Name, "source", in.obj.Name, "err", err)
			return
		}
		in.progress.setBounds(first, end, resumed, latest)
	}()
}

// Backfill is a source's backfill progress: how far its slowest reader
// has caught up with the log as it was when the reader started.
type Backfill struct {
	// Known is true when some partition was behind at start; the other
	// fields are meaningful only then.
	Known bool
	// Active is true while the reader has not caught up.
	Active bool
	// Consumed and Target are offsets summed over partitions; Percent
	// is 100 × Consumed / Target.
	Consumed, Target int64
	Percent          float64
	// Rate is the reader's events per second (a moving average over
	// about five seconds).
	Rate float64
	// ETA estimates the time left at Rate; negative when unknown (no
	// rate yet), zero once caught up.
	ETA time.Duration
}

// backfillOf turns a reader's progress into a Backfill.
func backfillOf(p progress) Backfill {
	if p.target <= 0 {
		return Backfill{ETA: -1}
	}
	b := Backfill{Known: true, Active: p.consumed < p.target, Consumed: p.consumed, Target: p.target, Rate: p.rate}
	b.Percent = 100 * float64(p.consumed) / float64(p.target)
	switch {
	case !b.Active:
	case p.rate > 0:
		b.ETA = time.Duration(float64(p.target-p.consumed) / p.rate * float64(time.Second)).Round(time.Second)
	default:
		b.ETA = -1
	}
	return b
}

// sourceBackfill is the backfill of source src's slowest reader (e.mu
// held).
func (e *Engine) sourceBackfill(src uint32, now time.Time) Backfill {
	worst := Backfill{ETA: -1}
	for _, j := range e.jobs {
		for _, in := range j.inputs {
			if b := backfillOf(in.progress.snapshot(now)); in.obj.ID == src && slower(b, worst) {
				worst = b
			}
		}
	}
	return worst
}

// slower reports whether a is further from caught up than b.
func slower(a, b Backfill) bool {
	if a.Known != b.Known {
		return a.Known
	}
	return a.Target-a.Consumed > b.Target-b.Consumed
}
