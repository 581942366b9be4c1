package engine

import (
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// LISTEN / NOTIFY: the engine keeps a registry of listening sessions by
// channel (listenHub). NOTIFY and the sinks' alert changes (channel
// tocsin_alerts, alertnotify.go) publish to it; each listening session
// has one bounded queue (listener) that its client connection drains
// (Session.Notifications). Publishing never blocks: when a queue is
// full its oldest notification is dropped, counted, logged, and
// reported to the session as a WARNING with its next statement.
//
// Unlike PostgreSQL, LISTEN, UNLISTEN and NOTIFY take effect at once,
// not when the transaction block commits.

// AlertsChannel is the channel on which every alert state change of
// every sink is published.
const AlertsChannel = "tocsin_alerts"

// listenQueue bounds a session's undelivered notifications.
const listenQueue = 1024

// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload.
const maxNotifyPayload = 8000

// Notification is one asynchronous notification for a listening
// session: its channel, its payload and the process ID of the session
// that sent it (0 for the engine's own, such as alert changes).
type Notification struct {
	Channel string
	Payload string
	PID     uint32
}

// listenHub maps channels to their listeners.
type listenHub struct {
	log *slog.Logger
	now func() time.Time
	mu  sync.RWMutex
	by  map[string]map[*listener]struct{}
	// alerts counts the listeners of AlertsChannel, so sinks skip
	// computing alert changes nobody listens to; since is when the
	// count last rose from zero (Unix nanoseconds).
	alerts atomic.Int64
	since  atomic.Int64
}

func newListenHub(log *slog.Logger, now func() time.Time) *listenHub {
	return &listenHub{log: log, now: now, by: map[string]map[*listener]struct{}{}}
}

func (h *listenHub) add(channel string, l *listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.by[channel]
	if set == nil {
		set = map[*listener]struct{}{}
		h.by[channel] = set
	}
	if _, ok := set[l]; ok {
		return
	}
	set[l] = struct{}{}
	if channel == AlertsChannel {
		if h.alerts.Load() == 0 { // h.mu serialises the count's writers
			h.since.Store(h.now().UnixNano())
		}
		h.alerts.Add(1)
	}
}

func (h *listenHub) remove(channel string, l *listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.by[channel]
	if _, ok := set[l]; !ok {
		return
	}
	delete(set, l)
	if len(set) == 0 {
		delete(h.by, channel)
	}
	if channel == AlertsChannel {
		h.alerts.Add(-1)
	}
}

// alertsWanted reports whether anyone listens to the alerts channel.
func (h *listenHub) alertsWanted() bool { return h.alerts.Load() > 0 }

// alertsSince returns when the alerts channel's listeners last went
// from none to some.
func (h *listenHub) alertsSince() time.Time { return time.Unix(0, h.since.Load()) }

// publish delivers n to every listener of its channel without blocking.
func (h *listenHub) publish(n Notification) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for l := range h.by[n.Channel] {
		if dropped := l.deliver(n); dropped > 0 && bits.OnesCount64(uint64(dropped)) == 1 {
			// Logged at 1, 2, 4, 8, ... drops per session.
			h.log.Warn("listening session is not reading its notifications; dropped the oldest",
				"channel", n.Channel, "pid", l.pid.Load(), "dropped", dropped)
		}
	}
}

// listener is one session's notification queue and channel set.
type listener struct {
	pid atomic.Uint32
	// mu serialises deliveries, so that dropping the oldest and
	// queueing the newest is one step.
	mu      sync.Mutex
	ch      chan Notification
	dropped atomic.Int64
	// reported is the drop count last reported to the session (owned
	// by the session's goroutine).
	reported int64
	// channels are the channels listened to (owned by the session's
	// goroutine).
	channels map[string]bool
}

func newListener() *listener {
	return &listener{ch: make(chan Notification, listenQueue), channels: map[string]bool{}}
}

// deliver queues n, dropping the oldest queued notification while the
// queue is full. It returns the total dropped if it dropped one now, 0
// otherwise.
func (l *listener) deliver(n Notification) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dropped int64
	for {
		select {
		case l.ch <- n:
			return dropped
		default:
		}
		select {
		case <-l.ch:
			dropped = l.dropped.Add(1)
		default:
		}
	}
}

// Notifications returns the channel on which the session receives the
// notifications of the channels it listens to, and records pid as the
// session's process ID (the PID its NOTIFYs carry). The client
// connection calls it once, after the session starts; the channel is
// never closed.
func (s *Session) Notifications(pid uint32) <-chan Notification {
	l := s.listenerFor()
	l.pid.Store(pid)
	return l.ch
}

func (s *Session) listenerFor() *listener {
	if s.listener == nil {
		s.listener = newListener()
	}
	return s.listener
}

func (s *Session) listen(st *ast.Listen, w ResultWriter) error {
	l := s.listenerFor()
	if !l.channels[st.Channel] {
		l.channels[st.Channel] = true
		s.e.hub.add(st.Channel, l)
	}
	return w.Complete("LISTEN")
}

func (s *Session) unlisten(st *ast.Unlisten, w ResultWriter) error {
	if l := s.listener; l != nil {
		for ch := range l.channels {
			if st.All || ch == st.Channel {
				s.e.hub.remove(ch, l)
				delete(l.channels, ch)
			}
		}
	}
	return w.Complete("UNLISTEN")
}

func (s *Session) notify(st *ast.Notify, w ResultWriter) error {
	if len(st.Payload) >= maxNotifyPayload {
		return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "payload string too long")
	}
	if st.Channel == AlertsChannel {
		return sqlerr.At(sqlerr.InsufficientPrivilege, st.Off, "channel %s is reserved for alert changes", AlertsChannel)
	}
	var pid uint32
	if s.listener != nil {
		pid = s.listener.pid.Load()
	}
	s.e.hub.publish(Notification{Channel: st.Channel, Payload: st.Payload, PID: pid})
	return w.Complete("NOTIFY")
}

// stopListening removes the session from every channel.
func (s *Session) stopListening() {
	if l := s.listener; l != nil {
		for ch := range l.channels {
			s.e.hub.remove(ch, l)
		}
		clear(l.channels)
	}
}

// reportDropped warns the client about notifications dropped since the
// last report.
func (s *Session) reportDropped(w ResultWriter) error {
	l := s.listener
	if l == nil {
		return nil
	}
	d := l.dropped.Load()
	if d == l.reported {
		return nil
	}
	n := d - l.reported
	l.reported = d
	return w.Notice("WARNING", fmt.Sprintf("%d notifications were dropped because the session did not read them fast enough", n))
}
