package alert

import (
	"sort"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Event is what the sink job observes for one label set, after
// collapsing a batch. Active=true: the condition holds (a matching row);
// false: it stopped holding (a non-matching row for the same labels, or
// the row was retracted). The Manager copies what it keeps; the caller
// may reuse the slices after Observe returns.
type Event struct {
	// Labels are the key columns in declared order; Annotations the
	// other columns and rendered texts.
	Labels, Annotations []connectors.Label
	// Severity is read when an episode starts (the alert turns pending).
	Severity Severity
	Active   bool
}

// AlertRow is one row of the tocsin_alerts system table.
type AlertRow struct {
	ID          int64
	Sink        string
	Fingerprint string
	Labels      []connectors.Label
	Annotations []connectors.Label
	// State is "pending", "firing" or "resolved".
	State    string
	Severity Severity
	// Episode counts the alert's firings.
	Episode                        int
	Silenced, Inhibited, Flapping  bool
	StartedAt, FiredAt, ResolvedAt time.Time
	AcknowledgedAt                 time.Time
	AcknowledgedBy                 string
	Notifications                  int
	EscalationLevel                int
	LastError                      string
}

// Manager runs one sink's alert lifecycle. It is pure logic: it starts
// no goroutine, does no I/O and reads no clock; every method that
// depends on time takes now. All methods are safe for concurrent use
// (one internal mutex), though the sink job is expected to call
// Observe, Advance and Next from one goroutine.
type Manager struct {
	mu     sync.Mutex
	cfg    Config
	mute   Muter
	detail MuteDetailer
	firing *FiringIndex

	lastID int64 // ids handed out: IDBase+1 .. IDBase+lastID
	alerts map[uint64]*alert
	byID   map[int64]*alert
	order  []*alert // by id; may hold dead alerts until compaction
	ndead  int
	groups map[string]*group
	rate   rateLimiter
	// aq orders live alerts by their earliest timer, gq groups by their
	// next flush.
	aq timerQueue[*alert]
	gq timerQueue[*group]
	// held keeps the notifications made by timers that Observe ran, for
	// the next Advance.
	held []*connectors.Notification
	// horizon is the now of the running Advance or Observe: periodic
	// timers that fall before it while catching up are collapsed.
	horizon time.Time
}

// NewManager returns a manager for cfg (copied). mute (may be nil)
// decides which notifications are held; firing (may be nil) is told
// about every firing alert so other sinks' inhibition rules see it.
// A non-positive GroupInterval becomes DefaultGroupInterval and an empty
// DefaultRoute {"default"}.
func NewManager(cfg *Config, mute Muter, firing *FiringIndex) *Manager {
	m := &Manager{
		cfg: *cfg, mute: mute, firing: firing,
		alerts: map[uint64]*alert{}, byID: map[int64]*alert{}, groups: map[string]*group{},
	}
	m.initQueues()
	if d, ok := mute.(MuteDetailer); ok && mute != nil {
		m.detail = d
	}
	if m.cfg.GroupInterval <= 0 {
		m.cfg.GroupInterval = DefaultGroupInterval
	}
	if len(m.cfg.DefaultRoute) == 0 {
		m.cfg.DefaultRoute = []string{DefaultChannel}
	}
	if m.cfg.FlapCount > 0 && m.cfg.FlapCount < 2 {
		m.cfg.FlapCount = 2
	}
	if m.cfg.RateLimit > 0 && m.cfg.RateInterval <= 0 {
		m.cfg.RateLimit = 0
	}
	return m
}

// Observe applies one event at now. Timers due at or before now run
// first, at their own times, so events and timers stay in time order
// whichever of Observe and Advance the caller runs first; the
// notifications they make are kept for the next Advance (Observe never
// returns notifications).
func (m *Manager) Observe(now time.Time, ev Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.run(now, &m.held)
	fp := fingerprint(m.cfg.Sink, ev.Labels)
	a := m.alerts[fp]
	if a == nil {
		if !ev.Active {
			return
		}
		a = m.newAlert(fp, ev.Labels)
	}
	if ev.Active {
		m.activate(a, now, &ev)
	} else {
		m.deactivate(a, now)
	}
	if !a.dead {
		m.reschedule(a)
	}
}

func (m *Manager) initQueues() {
	m.aq = timerQueue[*alert]{
		less: func(a, b *alert) bool {
			return a.queueAt.Before(b.queueAt) || a.queueAt.Equal(b.queueAt) && a.id < b.id
		},
		pos: func(a *alert) *int { return &a.queuePos },
	}
	m.gq = timerQueue[*group]{
		less: func(a, b *group) bool {
			return a.nextFlush.Before(b.nextFlush) || a.nextFlush.Equal(b.nextFlush) && a.key < b.key
		},
		pos: func(g *group) *int { return &g.queuePos },
	}
}

// reschedule re-queues a after its timers changed.
func (m *Manager) reschedule(a *alert) {
	at, kind := m.due(a)
	if kind == timerNone || a.dead {
		m.aq.remove(a)
		return
	}
	a.queueAt = at
	m.aq.fix(a)
}

func (m *Manager) newAlert(fp uint64, labels []connectors.Label) *alert {
	m.lastID++
	a := &alert{
		id: m.cfg.IDBase + m.lastID, fp: fp, fpHex: fingerprintHex(fp),
		labels: append([]connectors.Label(nil), labels...),
	}
	m.alerts[fp] = a
	m.byID[a.id] = a
	m.order = append(m.order, a)
	return a
}

func (m *Manager) remove(a *alert) {
	if a.group != nil {
		m.leave(a)
	}
	if a.state == stateFiring && m.firing != nil {
		m.firing.Delete(m.cfg.Sink, a.fpHex)
	}
	delete(m.alerts, a.fp)
	delete(m.byID, a.id)
	m.aq.remove(a)
	a.dead = true
	m.ndead++
	if m.ndead > 64 && m.ndead*2 >= len(m.order) {
		live := m.order[:0]
		for _, x := range m.order {
			if !x.dead {
				live = append(live, x)
			}
		}
		clear(m.order[len(live):])
		m.order, m.ndead = live, 0
	}
}

// Advance runs every timer due at or before now, in time order, and
// returns the notifications to send now, in a deterministic order.
// Timers that fell due in the past run at their own time, so a restored
// manager catches up exactly (notifications carry that time in
// CreatedAt).
func (m *Manager) Advance(now time.Time) []*connectors.Notification {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.held
	m.held = nil
	m.run(now, &out)
	return out
}

// run steps through every timer due at or before now, in time order. A
// timer that a step set in the past (a resolved alert leaving its group
// after its retention already ran out) runs at the step's time.
// Periodic timers (repeats, re-checks of muted alerts, held
// escalations) that would fall due again before now are moved to now or
// later (see catchUp), so a long catch-up costs a few steps per group.
func (m *Manager) run(now time.Time, out *[]*connectors.Notification) {
	var last time.Time
	rounds := 0
	m.horizon = now
	for {
		t := m.nextLocked()
		if t.IsZero() || t.After(now) {
			return
		}
		if t.Before(last) {
			t = last
		}
		if t.Equal(last) {
			// Each extra round at one instant runs what the previous one
			// scheduled there; a cascade is a handful of rounds deep.
			if rounds++; rounds > maxRoundsPerInstant {
				panic("BUG: alert manager timers keep falling due at " + t.String())
			}
		} else {
			rounds = 0
		}
		last = t
		m.step(t, out)
	}
}

// maxRoundsPerInstant bounds the steps run at one instant.
const maxRoundsPerInstant = 100

// step runs everything due at or before t: the rate-limit window, then
// alert timers (by time, then id), then group flushes (by time, then
// group key).
func (m *Manager) step(t time.Time, out *[]*connectors.Notification) {
	if due := m.rate.due(&m.cfg); !due.IsZero() && !due.After(t) {
		m.flushRate(due, out)
	}
	for {
		a, ok := m.aq.peek()
		if !ok || a.queueAt.After(t) {
			break
		}
		m.aq.remove(a)
		m.settle(a, t, out)
		m.reschedule(a)
	}
	for {
		g, ok := m.gq.peek()
		if !ok || g.nextFlush.After(t) {
			break
		}
		m.gq.remove(g)
		m.flush(g, t, out)
	}
}

// Next is the earliest time Advance has something to do (zero time:
// nothing scheduled). When Observe made notifications that Advance has
// not returned yet, it is the time of the first of them (already past).
func (m *Manager) Next() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.nextLocked()
	if len(m.held) > 0 {
		next = earliest(next, m.held[0].CreatedAt)
	}
	return next
}

func (m *Manager) nextLocked() time.Time {
	next := m.rate.due(&m.cfg)
	if a, ok := m.aq.peek(); ok {
		next = earliest(next, a.queueAt)
	}
	if g, ok := m.gq.peek(); ok {
		next = earliest(next, g.nextFlush)
	}
	return next
}

// Acknowledge marks a pending or firing alert as acknowledged by by at
// now, which stops its escalation. An unknown id is a *sqlerr.Error
// with SQLSTATE 42704; a resolved alert one with 55000.
func (m *Manager) Acknowledge(now time.Time, id int64, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.byID[id]
	if a == nil {
		return sqlerr.New(sqlerr.UndefinedObject, "alert %d does not exist in sink %q", id, m.cfg.Sink)
	}
	if a.state == stateResolved {
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "alert %d is resolved", id)
	}
	a.ackAt, a.ackBy, a.nextEsc = now, by, time.Time{}
	m.reschedule(a)
	return nil
}

// Delivered records the outcome of a notification's delivery: each
// alert it carries counts one more notification on success, or records
// err as its last error (kept until the next error).
func (m *Manager) Delivered(n *connectors.Notification, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range n.Alerts {
		a := m.byID[n.Alerts[i].ID]
		if a == nil || a.fpHex != n.Alerts[i].Fingerprint {
			continue
		}
		if err == nil {
			a.deliveries++
		} else {
			a.lastError = err.Error()
		}
	}
}

// Alerts returns every known alert, by id. Resolved alerts stay listed
// for Config.Retention after their resolution was notified.
func (m *Manager) Alerts() []AlertRow {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]AlertRow, 0, len(m.byID))
	for _, a := range m.order {
		if a.dead {
			continue
		}
		r := AlertRow{
			ID: a.id, Sink: m.cfg.Sink, Fingerprint: a.fpHex, Labels: a.labels,
			Annotations: a.annotations, State: a.state.String(), Severity: a.sev,
			Episode: a.episode, Silenced: a.silenced, Inhibited: a.inhibited, Flapping: a.flapping,
			StartedAt: a.startedAt, FiredAt: a.firedAt, ResolvedAt: a.resolvedAt,
			AcknowledgedAt: a.ackAt, AcknowledgedBy: a.ackBy,
			Notifications: a.deliveries, EscalationLevel: a.escLevel, LastError: a.lastError,
		}
		if a.state == statePending {
			r.StartedAt = a.pendingSince
		}
		out = append(out, r)
	}
	return out
}

// catchUp returns c, or, when c is not after the horizon (the step runs
// behind now, catching up), the horizon: a periodic timer fires once
// for the whole missed stretch instead of once per period.
func (m *Manager) catchUp(c time.Time) time.Time {
	if !c.After(m.horizon) {
		return m.horizon
	}
	return c
}

// MutesChanged re-checks, at the groups' next GroupInterval tick (or at
// now if that has passed), every group holding a muted firing alert: a
// silence was dropped or an inhibition rule removed before its end, so
// the alerts it held may be notified.
func (m *Manager) MutesChanged(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.groups))
	for k := range m.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := m.groups[k]
		for _, a := range g.members {
			if a.state == stateFiring && (a.silenced || a.inhibited) {
				m.markChanged(g, now)
				break
			}
		}
	}
}
