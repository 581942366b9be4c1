package engine

import (
	"context"
	"fmt"

	"github.com/tocsin-db/tocsin/engine/batch"
)

// Views read other views through subscriptions: the upstream view's job
// sends, in order, the changelog of its rows (retractions then
// insertions, as its store derived them), the watermarks it reached
// (after the rows those watermarks produced), and the checkpoint rounds
// it took part in, so a downstream job snapshots at exactly the cut its
// upstream did. Channels are bounded: a slow downstream view slows its
// upstream, which slows its source.

// msgKind is the kind of a flow message.
type msgKind uint8

const (
	msgData msgKind = iota + 1
	msgWatermark
	msgRound
)

// message is one item of a view's output flow.
type message struct {
	kind  msgKind
	chunk batch.Chunk
	wm    int64
	round *round
}

// subscription is a downstream view's inbox from its upstream view.
type subscription struct {
	view uint32
	ch   chan message
	// done is closed when the downstream view stops reading (DROP), so
	// the upstream never blocks on it.
	done chan struct{}
}

const subscriptionBuffer = 8

func newSubscription(view uint32) *subscription {
	return &subscription{view: view, ch: make(chan message, subscriptionBuffer), done: make(chan struct{})}
}

// subscribeReq asks a running upstream job to add a subscriber, first
// sending it the view's current rows (backfill) when it starts empty.
type subscribeReq struct {
	sub      *subscription
	backfill bool
	reply    chan error
}

// round is one checkpoint, carried through the flow: every job finds its
// own barrier in it.
type round struct {
	id       uint64
	barriers map[uint32]*barrier
}

// forward sends m to every subscriber, dropping subscribers that have
// gone away (at once, even when their buffer has room). It blocks while
// a subscriber's buffer is full.
func (j *job) forward(ctx context.Context, m message) error {
	kept := j.subs[:0]
	var err error
	for _, s := range j.subs {
		select {
		case <-s.done:
			continue
		default:
		}
		select {
		case s.ch <- m:
			kept = append(kept, s)
		case <-s.done:
		case <-ctx.Done():
			kept = append(kept, s)
			err = ctx.Err()
		}
	}
	clear(j.subs[len(kept):])
	j.subs = kept
	return err
}

// addSubscriber serves a subscribe request between two batches: the
// current rows as insertions (if asked), then the current watermark, then
// every later change.
func (j *job) addSubscriber(ctx context.Context, req subscribeReq) {
	if req.backfill {
		err := j.store.Read().Scan(1024, func(rec arrowRecord) error {
			select {
			case req.sub.ch <- message{kind: msgData, chunk: batch.Chunk{Rec: rec}}:
				return nil
			case <-req.sub.done:
				return fmt.Errorf("subscriber went away")
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			req.reply <- err
			return
		}
		if wm := j.stats.watermark.Load(); wm != noWatermark {
			select {
			case req.sub.ch <- message{kind: msgWatermark, wm: wm}:
			case <-req.sub.done:
			case <-ctx.Done():
			}
		}
	}
	j.subs = append(j.subs, req.sub)
	req.reply <- nil
}

// output applies the operators' output to the view's store and, when
// views read this one, sends them the changelog. It runs on the job's
// goroutine, after start.
func (j *job) output(c batch.Chunk) error {
	if j.sink != nil {
		diff, err := j.store.ApplyDiff(c)
		if err != nil || diff.Len() == 0 {
			return err
		}
		return j.sink.apply(diff)
	}
	if len(j.subs) == 0 {
		return j.store.Apply(c)
	}
	diff, err := j.store.ApplyDiff(c)
	if err != nil || diff.Len() == 0 {
		return err
	}
	return j.forward(j.runCtx, message{kind: msgData, chunk: diff})
}
