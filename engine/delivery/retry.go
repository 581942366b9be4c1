package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/tocsin-db/tocsin/connectors"
)

// deliver sends e until it is delivered, fails permanently or runs past
// the deadline, and finishes it. It returns false, leaving e unfinished,
// when ctx is done first.
//
// Each attempt first takes one of the channel's MaxInFlight send slots
// and gives it back when Send returns; the waits between attempts hold
// none, so a group that keeps failing never keeps another from sending.
//
// Retry rules: nil is delivered; a permanent *connectors.SendError fails
// at once; anything else is retried after max(next backoff, RetryAfter),
// unless that retry would start at or past first attempt + Deadline, in
// which case the notification fails with "deadline exceeded after N
// attempts: <last error>" (as it does when waiting for a slot took the
// retry past the deadline).
func (d *Dispatcher) deliver(ctx context.Context, q *channelQueue, e Entry) bool {
	bo := backoff.ExponentialBackOff{
		InitialInterval:     d.opts.InitialBackoff,
		RandomizationFactor: backoff.DefaultRandomizationFactor,
		Multiplier:          backoff.DefaultMultiplier,
		MaxInterval:         d.opts.MaxBackoff,
	}
	bo.Reset()
	var deadline time.Time // set at the first attempt
	var last error         // the previous attempt's error
	for attempts := 1; ; attempts++ {
		select {
		case q.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		if ctx.Err() != nil {
			// The slot came free as the dispatcher stopped.
			<-q.slots
			return false
		}
		now := d.opts.Now()
		if attempts == 1 {
			deadline = now.Add(d.opts.Deadline)
		} else if !now.Before(deadline) {
			<-q.slots
			err := fmt.Errorf("deadline exceeded after %d attempts: %w", attempts-1, last)
			d.finish(q, e, attempts-1, err, now)
			return true
		}
		timeout := d.opts.AttemptTimeout
		if left := deadline.Sub(now); left < timeout {
			timeout = left
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := q.ch.Send(actx, e.N)
		cancel()
		<-q.slots
		if err != nil && ctx.Err() != nil {
			// Stopping: the failure is ours, not the channel's.
			return false
		}
		now = d.opts.Now()
		q.attempt(now, err, attempts > 1)
		if err == nil {
			d.finish(q, e, attempts, nil, now)
			return true
		}
		var se *connectors.SendError
		errors.As(err, &se)
		if se != nil && se.Permanent {
			d.finish(q, e, attempts, err, now)
			return true
		}
		wait := bo.NextBackOff()
		if se != nil && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		if !now.Add(wait).Before(deadline) {
			err = fmt.Errorf("deadline exceeded after %d attempts: %w", attempts, err)
			d.finish(q, e, attempts, err, now)
			return true
		}
		last = err
		d.log.Debug("retry notification", "channel", q.name, "key", e.N.Key,
			"group", e.N.GroupKey, "attempt", attempts, "wait", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// attempt records one Send's outcome in the channel's health.
func (q *channelQueue) attempt(at time.Time, err error, retry bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.health.attempt(at, err)
	if retry {
		q.health.retried++
	}
}

// finish ends e: counters, errors table and log for a failure,
// Outbox.Done, then OnResult. q is nil for an unknown channel.
func (d *Dispatcher) finish(q *channelQueue, e Entry, attempts int, err error, now time.Time) {
	res := Result{Seq: e.Seq, N: e.N, Attempts: attempts, Err: err}
	var se *connectors.SendError
	if errors.As(err, &se) {
		res.Status, res.Response = se.Status, se.Response
	}
	if q != nil {
		q.mu.Lock()
		if err == nil {
			q.health.sent++
		} else {
			q.health.failed++
		}
		q.mu.Unlock()
	}
	if err != nil {
		d.errs.add(SinkError{
			Sink:     d.opts.Sink,
			Channel:  e.N.Channel,
			Key:      e.N.Key,
			At:       now,
			Status:   res.Status,
			Response: res.Response,
			Error:    err.Error(),
			Attempts: attempts,
		})
		d.log.Warn("notification failed", "channel", e.N.Channel, "key", e.N.Key,
			"attempts", attempts, "status", res.Status, "err", err)
	}
	d.opts.Outbox.Done(e.Seq)
	if d.opts.OnResult != nil {
		d.opts.OnResult(res)
	}
}

// sleep waits for d or ctx, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
