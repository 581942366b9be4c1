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
	DefaultMaxInFlight    = 4
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
	// MaxInFlight bounds the Sends in flight at once on one channel,
	// across its alert groups (0 means DefaultMaxInFlight). A slot is
	// held for one attempt only, not for the wait before a retry.
	MaxInFlight int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Log receives retries (debug) and failures (warn); nil discards
	// them.
	Log *slog.Logger
	// OnResult, when set, is called once per finished notification
	// (delivered or failed), after Outbox.Done. It runs on the
	// goroutine of the notification's group, concurrently for different
	// groups and channels.
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

// Dispatcher sends a sink's notifications to its channels: per channel
// one unbounded FIFO per alert group, each drained by its own goroutine
// while it is not empty, at most MaxInFlight Sends in flight per channel,
// retries with backoff until a per-notification deadline, per-channel
// health and an errors table. See the package comment for the lifecycle.
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

// channelQueue is one channel's group queues, send slots and health.
type channelQueue struct {
	name string
	ch   connectors.Channel
	// slots holds one token per Send in flight; its capacity is
	// Options.MaxInFlight.
	slots chan struct{}

	mu sync.Mutex // guards the fields below
	// ctx is Start's context (nil before Start); stopped is set by Close.
	// A group goroutine is started only while ctx is set, not done, and
	// stopped is false, which keeps every wg.Go before Close's wg.Wait.
	ctx     context.Context
	stopped bool
	// groups holds the non-empty group queues by Notification.GroupKey;
	// a group is deleted when its queue empties.
	groups map[string]*groupQueue
	// depth is the number of entries in all groups.
	depth  int
	health health
}

// groupQueue is one alert group's FIFO on one channel. The entry at the
// front is the one being sent; it is popped only when it finishes.
type groupQueue struct {
	key   string
	queue []Entry
	// running is set while a goroutine drains the queue.
	running bool
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
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
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
		d.queues[name] = &channelQueue{
			name:   name,
			ch:     ch,
			slots:  make(chan struct{}, o.MaxInFlight),
			groups: map[string]*groupQueue{},
		}
		d.names = append(d.names, name)
	}
	sort.Strings(d.names)
	return d
}

// Outbox returns the dispatcher's outbox.
func (d *Dispatcher) Outbox() *Outbox { return d.opts.Outbox }

// Start starts one goroutine per non-empty group queue (in the order of
// their oldest entries); later Enqueues start the goroutines of groups
// that had none. They stop when ctx is cancelled or Close is called.
// Start after Start or Close does nothing.
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
		q.mu.Lock()
		q.ctx = ctx
		groups := make([]*groupQueue, 0, len(q.groups))
		for _, g := range q.groups {
			groups = append(groups, g)
		}
		sort.Slice(groups, func(i, j int) bool { return groups[i].queue[0].Seq < groups[j].queue[0].Seq })
		for _, g := range groups {
			d.spawnLocked(q, g)
		}
		q.mu.Unlock()
	}
}

// Enqueue queues the outbox entry seq for its channel (n.Channel) and
// group (n.GroupKey), behind the group's earlier entries, and starts the
// group's goroutine if it has none. It never blocks on a channel. A
// notification for an unknown channel fails at once: an errors-table
// row, Outbox.Done and OnResult, on the caller's goroutine. Enqueue
// before Start queues for Start; after Close the entry only stays in the
// outbox.
func (d *Dispatcher) Enqueue(seq uint64, n *connectors.Notification) {
	q, ok := d.queues[n.Channel]
	if !ok {
		err := fmt.Errorf("unknown channel %q", n.Channel)
		d.finish(nil, Entry{Seq: seq, N: n}, 0, err, d.opts.Now())
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.groups[n.GroupKey]
	if g == nil {
		g = &groupQueue{key: n.GroupKey}
		q.groups[n.GroupKey] = g
	}
	g.queue = append(g.queue, Entry{Seq: seq, N: n})
	q.depth++
	d.spawnLocked(q, g)
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
	for _, q := range d.queues {
		q.mu.Lock()
		q.stopped = true
		q.mu.Unlock()
	}
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
			QueueDepth:  q.depth,
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

// spawnLocked starts g's goroutine unless it runs already or the
// dispatcher is not running. q.mu must be held.
func (d *Dispatcher) spawnLocked(q *channelQueue, g *groupQueue) {
	if g.running || q.ctx == nil || q.stopped || q.ctx.Err() != nil {
		return
	}
	g.running = true
	ctx := q.ctx
	d.wg.Go(func() { d.run(ctx, q, g) })
}

// run is a group's goroutine: it sends the group's front until the
// queue is empty, when it deletes the group and exits, or until ctx is
// done.
func (d *Dispatcher) run(ctx context.Context, q *channelQueue, g *groupQueue) {
	for {
		q.mu.Lock()
		e := g.queue[0]
		q.mu.Unlock()
		if !q.advance(g, d.deliver(ctx, q, e)) {
			return
		}
	}
}

// advance pops g's front if it was finished and reports whether g's
// goroutine goes on: not when the front was left unfinished (stopping)
// or the queue is now empty, in which case g leaves the channel's groups.
func (q *channelQueue) advance(g *groupQueue, finished bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !finished {
		g.running = false
		return false
	}
	g.queue[0] = Entry{}
	g.queue = g.queue[1:]
	q.depth--
	if len(g.queue) == 0 {
		g.running = false
		delete(q.groups, g.key)
		return false
	}
	return true
}
