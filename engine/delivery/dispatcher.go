package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// Defaults for the zero fields of Options.
const (
	DefaultDeadline       = time.Hour
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = time.Minute
	DefaultAttemptTimeout = 30 * time.Second
)

// Options configure a Dispatcher. Zero durations take the defaults above.
type Options struct {
	// Sink is the sink's name, for health rows, errors and logs.
	Sink string
	// Channels are the sink's channels by name. The caller keeps owning
	// them: it closes them after Close returns (no Send is in flight
	// then).
	Channels map[string]connectors.Channel
	// Outbox holds the notifications; nil means a new empty one.
	Outbox *Outbox
	// Deadline bounds one notification's delivery, measured from its
	// first attempt: a retry that would start past it fails the
	// notification instead.
	Deadline time.Duration
	// InitialBackoff and MaxBackoff shape the exponential backoff between
	// attempts (multiplier 1.5, randomization factor 0.5, so a wait is
	// within ±50% of the current interval); a SendError's RetryAfter
	// lengthens a wait, never shortens it.
	InitialBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one Send (its context's deadline), and is cut
	// to what is left of Deadline.
	AttemptTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Log receives retries (debug) and failures (warn); nil discards
	// them.
	Log *slog.Logger
	// OnResult, when set, is called once per finished notification
	// (delivered or failed), after Outbox.Done. It runs on the channel's
	// goroutine, concurrently for different channels.
	OnResult func(Result)
}

// Result is how a notification finished.
type Result struct {
	Seq uint64
	N   *connectors.Notification
	// Attempts is the number of Sends made (0 for an unknown channel).
	Attempts int
	// Err is nil when the notification was delivered.
	Err error
	// Status and Response come from the last attempt's
	// *connectors.SendError, if it returned one.
	Status   int
	Response string
}

// Dispatcher sends a sink's notifications to its channels: one goroutine
// and one unbounded FIFO per channel, retries with backoff until a
// per-notification deadline, per-channel health and an errors table. See
// the package comment for the lifecycle.
type Dispatcher struct {
	opts   Options
	log    *slog.Logger
	queues map[string]*channelQueue // fixed at NewDispatcher
	names  []string                 // sorted keys of queues
	errs   errorLog
	wg     sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	started bool
	closed  bool
	cancel  context.CancelFunc
}

// channelQueue is one channel's FIFO and health. The entry at the front
// is the one being sent; it is popped only when it finishes.
type channelQueue struct {
	name string
	ch   connectors.Channel
	wake chan struct{} // capacity 1: "the queue may have grown"

	mu     sync.Mutex // guards queue and health
	queue  []Entry
	health health
}

// NewDispatcher returns a dispatcher for o.Channels; call Start to begin
// sending.
func NewDispatcher(o Options) *Dispatcher {
	if o.Outbox == nil {
		o.Outbox = NewOutbox()
	}
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = DefaultInitialBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.InitialBackoff {
		o.MaxBackoff = o.InitialBackoff
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{
		opts:   o,
		log:    log.With("sink", o.Sink),
		queues: make(map[string]*channelQueue, len(o.Channels)),
	}
	for name, ch := range o.Channels {
		if ch == nil {
			panic(fmt.Sprintf("BUG: delivery: sink %q: nil channel %q", o.Sink, name))
		}
		d.queues[name] = &channelQueue{name: name, ch: ch, wake: make(chan struct{}, 1)}
		d.names = append(d.names, name)
	}
	sort.Strings(d.names)
	return d
}

// Outbox returns the dispatcher's outbox.
func (d *Dispatcher) Outbox() *Outbox { return d.opts.Outbox }

// Start starts one goroutine per channel. They stop when ctx is cancelled
// or Close is called. Start after Start or Close does nothing.
func (d *Dispatcher) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return
	}
	d.started = true
	ctx, d.cancel = context.WithCancel(ctx)
	for _, name := range d.names {
		q := d.queues[name]
		d.wg.Go(func() { d.run(ctx, q) })
	}
}

// Enqueue queues the outbox entry seq for its channel (n.Channel). It
// never blocks on a channel. A notification for an unknown channel fails
// at once: an errors-table row, Outbox.Done and OnResult, on the caller's
// goroutine. Enqueue before Start queues for Start; after Close the entry
// only stays in the outbox.
func (d *Dispatcher) Enqueue(seq uint64, n *connectors.Notification) {
	q, ok := d.queues[n.Channel]
	if !ok {
		err := fmt.Errorf("unknown channel %q", n.Channel)
		d.finish(nil, Entry{Seq: seq, N: n}, 0, err, d.opts.Now())
		return
	}
	q.mu.Lock()
	q.queue = append(q.queue, Entry{Seq: seq, N: n})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Submit adds n to the outbox and enqueues it; it returns the sequence
// number.
func (d *Dispatcher) Submit(n *connectors.Notification) uint64 {
	seq := d.opts.Outbox.Add(n)
	d.Enqueue(seq, n)
	return seq
}

// EnqueuePending enqueues every entry of the outbox, in order: call it
// once after Outbox.Restore, before submitting anything new.
func (d *Dispatcher) EnqueuePending() {
	for _, e := range d.opts.Outbox.Pending() {
		d.Enqueue(e.Seq, e.N)
	}
}

// Close stops the goroutines and waits for an attempt in flight to return
// (Send must honour its context). It does not close the channels: the
// caller does, after Close. Entries not finished stay in the outbox.
// Close is idempotent.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	cancel := d.cancel
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	d.wg.Wait()
}

// Health returns one row per channel, sorted by channel name.
func (d *Dispatcher) Health() []ChannelHealth {
	out := make([]ChannelHealth, 0, len(d.names))
	for _, name := range d.names {
		q := d.queues[name]
		q.mu.Lock()
		h := &q.health
		out = append(out, ChannelHealth{
			Sink:        d.opts.Sink,
			Channel:     name,
			State:       h.state().String(),
			Sent:        h.sent,
			Failed:      h.failed,
			Retried:     h.retried,
			QueueDepth:  len(q.queue),
			LastError:   h.lastError,
			LastSuccess: h.lastSuccess,
			LastFailure: h.lastFailure,
		})
		q.mu.Unlock()
	}
	return out
}

// Errors returns the last 1000 failed notifications, newest last.
func (d *Dispatcher) Errors() []SinkError { return d.errs.rows() }

// run is a channel's goroutine: it sends the queue's front until ctx is
// done.
func (d *Dispatcher) run(ctx context.Context, q *channelQueue) {
	for {
		e, ok := q.front()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		if !d.deliver(ctx, q, e) {
			return
		}
		q.pop()
	}
}

func (q *channelQueue) front() (Entry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return Entry{}, false
	}
	return q.queue[0], true
}

func (q *channelQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue[0] = Entry{}
	q.queue = q.queue[1:]
	if len(q.queue) == 0 {
		q.queue = nil
	}
}
