package alert

import (
	"strconv"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// alertState is an alert's lifecycle state. stateNew is an alert being
// created by its first active event.
type alertState uint8

const (
	stateNew alertState = iota
	statePending
	stateFiring
	stateResolved
	numStates
)

func (s alertState) String() string {
	switch s {
	case statePending, stateNew:
		return "pending"
	case stateFiring:
		return "firing"
	case stateResolved:
		return "resolved"
	}
	return "unknown"
}

// alert is one label set's state. Its timers are not stored: they are
// derived from the fields (see due), so a snapshot of the fields is a
// snapshot of the timers.
type alert struct {
	id    int64
	fp    uint64
	fpHex string
	// labels are immutable once set; annotations are replaced, never
	// modified in place, so notifications may share both.
	labels, annotations []connectors.Label
	// match is labels plus alertname and severity, for muting.
	match []connectors.Label
	sev   Severity
	state alertState
	// active: the condition holds (false while keep_firing_for runs).
	active bool
	// episode counts firings; notified is the status last sent for the
	// current episode (0: none).
	episode  int
	notified connectors.AlertStatus

	pendingSince, startedAt, firedAt, resolvedAt time.Time
	lastActive, inactiveAt                       time.Time
	ackAt                                        time.Time
	ackBy                                        string

	escLevel int
	nextEsc  time.Time

	flapping, flapNotified bool
	flips                  []time.Time // at most FlapCount, oldest first

	silenced, inhibited bool
	deliveries          int
	lastError           string

	group *group
	dead  bool
	// queuePos and queueAt place the alert in the manager's timer queue
	// (queueAt is the cached earliest timer).
	queuePos int
	queueAt  time.Time
}

// timerKind names an alert's timers in tie-break order.
type timerKind uint8

const (
	timerNone timerKind = iota
	timerFire
	timerResolveTimeout
	timerKeepFiring
	timerEscalate
	timerFlapClear
	timerExpire
)

// due returns the alert's earliest timer.
func (m *Manager) due(a *alert) (time.Time, timerKind) {
	var at time.Time
	kind := timerNone
	consider := func(t time.Time, k timerKind) {
		if kind == timerNone || t.Before(at) {
			at, kind = t, k
		}
	}
	switch a.state {
	case statePending:
		if a.active {
			consider(a.pendingSince.Add(m.cfg.For), timerFire)
		}
	case stateFiring:
		if !a.active {
			consider(a.inactiveAt.Add(m.cfg.KeepFiringFor), timerKeepFiring)
		}
		if !a.nextEsc.IsZero() {
			consider(a.nextEsc, timerEscalate)
		}
	case stateResolved:
		if a.group == nil {
			consider(a.resolvedAt.Add(m.cfg.Retention), timerExpire)
		}
	}
	if a.active && m.cfg.ResolveTimeout > 0 {
		consider(a.lastActive.Add(m.cfg.ResolveTimeout), timerResolveTimeout)
	}
	if a.flapping && len(a.flips) > 0 {
		consider(a.flips[len(a.flips)-1].Add(m.cfg.FlapWindow), timerFlapClear)
	}
	return at, kind
}

// settle runs the alert's timers due at or before t, oldest first.
// Escalations append notifications to out.
func (m *Manager) settle(a *alert, t time.Time, out *[]*connectors.Notification) {
	for !a.dead {
		at, kind := m.due(a)
		if kind == timerNone || at.After(t) {
			return
		}
		switch kind {
		case timerFire:
			m.fire(a, at)
		case timerResolveTimeout:
			m.deactivate(a, at)
		case timerKeepFiring:
			m.resolve(a, at)
		case timerEscalate:
			m.escalate(a, at, out)
		case timerFlapClear:
			a.flapping, a.flapNotified = false, false
			if a.group != nil {
				m.markChanged(a.group, at)
			}
		case timerExpire:
			m.remove(a)
		}
	}
}

// activate applies an active event at t.
func (m *Manager) activate(a *alert, t time.Time, ev *Event) {
	a.lastActive = t
	if !sameLabels(a.annotations, ev.Annotations) {
		a.annotations = append([]connectors.Label(nil), ev.Annotations...)
	}
	switch a.state {
	case stateNew, stateResolved:
		a.state, a.active, a.pendingSince = statePending, true, t
		if a.sev != ev.Severity || a.match == nil {
			a.sev = ev.Severity
			a.match = m.matchLabels(a.labels, a.sev)
		}
		if m.cfg.For <= 0 {
			m.fire(a, t)
		}
	case stateFiring:
		if !a.active {
			a.active, a.inactiveAt = true, time.Time{}
		}
	}
}

// deactivate applies "the condition stopped holding" at t.
func (m *Manager) deactivate(a *alert, t time.Time) {
	switch a.state {
	case statePending:
		// A pending alert that never fires is dropped silently; one with
		// earlier episodes goes back to its last resolution.
		a.active, a.pendingSince = false, time.Time{}
		if a.episode == 0 && a.group == nil {
			m.remove(a)
			return
		}
		a.state = stateResolved
	case stateFiring:
		if !a.active {
			return
		}
		a.active, a.inactiveAt = false, t
		if m.cfg.KeepFiringFor <= 0 {
			m.resolve(a, t)
		}
	}
}

func (m *Manager) fire(a *alert, t time.Time) {
	a.state, a.active = stateFiring, true
	a.episode++
	a.notified = 0
	a.startedAt, a.pendingSince, a.firedAt, a.resolvedAt = a.pendingSince, time.Time{}, t, time.Time{}
	a.ackAt, a.ackBy = time.Time{}, ""
	a.escLevel, a.nextEsc = 0, time.Time{}
	if d := m.cfg.EscalateAfter[a.sev]; d > 0 && a.sev > P0 {
		a.nextEsc = t.Add(d)
	}
	m.flip(a, t)
	if m.firing != nil {
		m.firing.Set(m.cfg.Sink, a.fpHex, a.match)
	}
	m.muteOf(a, t) // for the Silenced/Inhibited columns
	m.join(a, t)
}

func (m *Manager) resolve(a *alert, t time.Time) {
	a.state, a.resolvedAt = stateResolved, t
	a.active, a.inactiveAt, a.nextEsc = false, time.Time{}, time.Time{}
	a.silenced, a.inhibited = false, false
	m.flip(a, t)
	if m.firing != nil {
		m.firing.Delete(m.cfg.Sink, a.fpHex)
	}
	if a.group == nil {
		return
	}
	if a.notified == connectors.AlertFiring {
		m.markChanged(a.group, t)
	} else {
		// Never notified as firing: its resolution is not news.
		m.leave(a)
	}
}

// flip records a firing/resolved change for flap detection.
func (m *Manager) flip(a *alert, t time.Time) {
	if m.cfg.FlapCount <= 0 {
		return
	}
	if len(a.flips) == m.cfg.FlapCount {
		copy(a.flips, a.flips[1:])
		a.flips = a.flips[:len(a.flips)-1]
	}
	a.flips = append(a.flips, t)
	if !a.flapping && len(a.flips) == m.cfg.FlapCount && t.Sub(a.flips[0]) <= m.cfg.FlapWindow {
		a.flapping, a.flapNotified = true, false
	}
}

// escalate re-sends a firing, unacknowledged alert to the next more
// urgent severity's channels.
func (m *Manager) escalate(a *alert, t time.Time, out *[]*connectors.Notification) {
	if !a.ackAt.IsZero() {
		a.nextEsc = time.Time{}
		return
	}
	cur, _ := a.sev.escalated(a.escLevel)
	target, ok := a.sev.escalated(a.escLevel + 1)
	if !ok {
		a.nextEsc = time.Time{}
		return
	}
	if mu := m.muteOf(a, t); mu.Kind != NotMuted || a.flapping {
		// Held: try again one interval later at the same level.
		a.nextEsc = time.Time{}
		if d := m.cfg.EscalateAfter[cur]; d > 0 {
			a.nextEsc = m.catchUp(t.Add(d))
		}
		return
	}
	a.escLevel++
	a.nextEsc = time.Time{}
	if d := m.cfg.EscalateAfter[target]; d > 0 && target > P0 {
		a.nextEsc = t.Add(d)
	}
	var gkey string
	var glabels []connectors.Label
	if a.group != nil {
		gkey, glabels = a.group.key, a.group.labels
	}
	for _, ch := range m.route(target) {
		n := &connectors.Notification{
			Sink: m.cfg.Sink, Channel: ch, GroupKey: gkey, GroupLabels: glabels,
			Status: connectors.AlertFiring, Escalation: a.escLevel, CreatedAt: t,
			Alerts: []connectors.Alert{m.wireAlert(a, connectors.AlertFiring)},
		}
		n.Key = m.notificationKey(ch, gkey, []keyTuple{{a.fpHex, a.episode, connectors.AlertFiring, a.escLevel, 0}})
		m.emit(n, t, out)
	}
}

// muteOf asks the Muter about a and records the answer on the alert.
func (m *Manager) muteOf(a *alert, t time.Time) Mute {
	var mu Mute
	switch {
	case m.detail != nil:
		mu = m.detail.Mute(t, a.match)
	case m.mute != nil:
		if reason, ok := m.mute.Muted(t, a.match); ok {
			mu = Mute{Kind: MutedBySilence, Reason: reason}
		}
	}
	a.silenced, a.inhibited = mu.Kind == MutedBySilence, mu.Kind == MutedByInhibition
	return mu
}

func (m *Manager) route(s Severity) []string {
	if r := m.cfg.Routes[s]; len(r) > 0 {
		return r
	}
	return m.cfg.DefaultRoute
}

// wireAlert renders a as a notification carries it.
func (m *Manager) wireAlert(a *alert, status connectors.AlertStatus) connectors.Alert {
	w := connectors.Alert{
		ID: a.id, Fingerprint: a.fpHex, Labels: a.labels, Annotations: a.annotations,
		Status: status, Severity: a.sev.String(), StartsAt: a.startedAt, FiredAt: a.firedAt,
		Flapping: a.flapping,
	}
	if status == connectors.AlertResolved {
		w.EndsAt = a.resolvedAt
	}
	return w
}

// matchLabels returns labels plus alertname and severity (unless the
// labels already carry them).
func (m *Manager) matchLabels(labels []connectors.Label, sev Severity) []connectors.Label {
	out := make([]connectors.Label, 0, len(labels)+2)
	out = append(out, labels...)
	if _, ok := labelValue(labels, "alertname"); !ok {
		out = append(out, connectors.Label{Name: "alertname", Value: m.cfg.Sink})
	}
	if _, ok := labelValue(labels, "severity"); !ok && sev != SeverityNone {
		out = append(out, connectors.Label{Name: "severity", Value: sev.String()})
	}
	return out
}

// fingerprint hashes the sink name and the labels sorted by name with
// 64-bit FNV-1a. It does not allocate for up to 16 labels.
func fingerprint(sink string, labels []connectors.Label) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	str := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= prime
		}
	}
	sep := func(b byte) { h ^= uint64(b); h *= prime }
	str(sink)
	sep(0xff)
	var buf [16]int
	idx := buf[:0]
	for i := range labels {
		idx = append(idx, i)
	}
	for i := 1; i < len(idx); i++ { // insertion sort: few labels, no allocation
		for j := i; j > 0 && labels[idx[j]].Name < labels[idx[j-1]].Name; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	for _, i := range idx {
		str(labels[i].Name)
		sep(0xfe)
		str(labels[i].Value)
		sep(0xff)
	}
	return h
}

func fingerprintHex(fp uint64) string {
	s := strconv.FormatUint(fp, 16)
	for len(s) < 16 {
		s = "0" + s
	}
	return s
}
