package alert

import (
	"sort"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

// managerVersion is the first byte of a Manager snapshot.
const managerVersion = 1

var _ state.Snapshotter = (*Manager)(nil)

// Snapshot appends the manager's whole state to dst: alerts, groups,
// timers (as absolute times, derived from the fields), counters, the
// rate-limit window and the notifications made by Observe that Advance
// has not returned yet. The configuration is not included: Restore runs
// against the sink's current Config.
func (m *Manager) Snapshot(dst []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := state.Writer{Buf: append(dst, managerVersion)}
	w.Varint(m.lastID)
	w.Uvarint(uint64(len(m.byID)))
	for _, a := range m.order {
		if a.dead {
			continue
		}
		w.Varint(a.id)
		writeLabels(&w, a.labels)
		writeLabels(&w, a.annotations)
		w.Uvarint(uint64(a.sev))
		w.Uvarint(uint64(a.state))
		w.Bool(a.active)
		w.Uvarint(uint64(a.episode))
		w.Uvarint(uint64(a.notified))
		for _, t := range []time.Time{a.pendingSince, a.startedAt, a.firedAt, a.resolvedAt,
			a.lastActive, a.inactiveAt, a.ackAt, a.nextEsc} {
			writeTime(&w, t)
		}
		w.Bytes([]byte(a.ackBy))
		w.Uvarint(uint64(a.escLevel))
		w.Bool(a.flapping)
		w.Bool(a.flapNotified)
		w.Uvarint(uint64(len(a.flips)))
		for _, t := range a.flips {
			writeTime(&w, t)
		}
		w.Bool(a.silenced)
		w.Bool(a.inhibited)
		w.Uvarint(uint64(a.deliveries))
		w.Bytes([]byte(a.lastError))
		w.Bool(a.group != nil)
	}
	keys := make([]string, 0, len(m.groups))
	for k := range m.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.Uvarint(uint64(len(keys)))
	for _, k := range keys {
		g := m.groups[k]
		w.Bytes([]byte(g.key))
		for _, t := range []time.Time{g.createdAt, g.lastFlush, g.nextFlush} {
			writeTime(&w, t)
		}
		w.Bool(g.flushed)
		chans := make([]string, 0, len(g.chans))
		for ch := range g.chans {
			chans = append(chans, ch)
		}
		sort.Strings(chans)
		w.Uvarint(uint64(len(chans)))
		for _, ch := range chans {
			w.Bytes([]byte(ch))
			writeTime(&w, g.chans[ch].lastSent)
			w.Uvarint(uint64(g.chans[ch].repeats))
		}
	}
	writeTime(&w, m.rate.start)
	w.Uvarint(uint64(m.rate.count))
	w.Uvarint(uint64(len(m.rate.folded)))
	for _, f := range m.rate.folded {
		w.Bytes([]byte(f.channel))
		w.Uvarint(uint64(f.n))
		w.Uvarint(f.keys)
		w.Uvarint(uint64(len(f.alerts)))
		for i := range f.alerts {
			writeWireAlert(&w, &f.alerts[i])
		}
	}
	w.Uvarint(uint64(len(m.held)))
	for _, n := range m.held {
		writeNotification(&w, n)
	}
	return w.Buf, nil
}

// Restore replaces the manager's state with one written by Snapshot and
// re-registers its firing alerts in the FiringIndex. Call Advance(now)
// next: timers missed while down run at their own times. Bytes that do
// not decode (or decode to an inconsistent state) return
// state.ErrCorrupt and leave the manager unchanged.
func (m *Manager) Restore(src []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(src) == 0 || src[0] != managerVersion {
		return state.ErrCorrupt
	}
	r := state.Reader{Buf: src[1:]}
	n := &Manager{cfg: m.cfg, alerts: map[uint64]*alert{}, byID: map[int64]*alert{}, groups: map[string]*group{}}
	n.lastID = r.Varint()
	var grouped []*alert
	count := readCount(&r)
	for i := 0; i < count && r.Err == nil; i++ {
		a := &alert{id: r.Varint()}
		a.labels = readLabels(&r)
		a.annotations = readLabels(&r)
		a.sev = Severity(r.Uvarint())
		a.state = alertState(r.Uvarint())
		a.active = r.Bool()
		a.episode = int(r.Uvarint() & 0xffffffff)
		a.notified = connectors.AlertStatus(r.Uvarint())
		for _, p := range []*time.Time{&a.pendingSince, &a.startedAt, &a.firedAt, &a.resolvedAt,
			&a.lastActive, &a.inactiveAt, &a.ackAt, &a.nextEsc} {
			*p = readTime(&r)
		}
		a.ackBy = string(r.Bytes())
		a.escLevel = int(r.Uvarint())
		a.flapping = r.Bool()
		a.flapNotified = r.Bool()
		nf := readCount(&r)
		for j := 0; j < nf && r.Err == nil; j++ {
			a.flips = append(a.flips, readTime(&r))
		}
		if extra := len(a.flips) - m.cfg.FlapCount; extra > 0 {
			a.flips = a.flips[extra:] // flap_threshold was lowered
		}
		a.silenced = r.Bool()
		a.inhibited = r.Bool()
		a.deliveries = int(r.Uvarint() & 0xffffffff)
		a.lastError = string(r.Bytes())
		inGroup := r.Bool()
		if r.Err != nil {
			break
		}
		if a.flapping && len(a.flips) == 0 {
			a.flapping, a.flapNotified = false, false // flapping was turned off
		}
		if a.sev >= numSeverities || a.state == stateNew || a.state >= numStates ||
			a.notified > connectors.AlertResolved || a.escLevel > int(P3) ||
			a.state == statePending && !a.active || a.state == stateResolved && a.active ||
			inGroup != (a.state == stateFiring || a.notified == connectors.AlertFiring) {
			return state.ErrCorrupt
		}
		a.fp = fingerprint(m.cfg.Sink, a.labels)
		a.fpHex = fingerprintHex(a.fp)
		a.match = n.matchLabels(a.labels, a.sev)
		if n.alerts[a.fp] != nil || n.byID[a.id] != nil || len(n.order) > 0 && n.order[len(n.order)-1].id >= a.id {
			return state.ErrCorrupt
		}
		n.alerts[a.fp], n.byID[a.id] = a, a
		n.order = append(n.order, a)
		if inGroup {
			grouped = append(grouped, a)
		}
	}
	ng := readCount(&r)
	for i := 0; i < ng && r.Err == nil; i++ {
		g := &group{key: string(r.Bytes()), chans: map[string]*chanState{}}
		g.createdAt, g.lastFlush, g.nextFlush = readTime(&r), readTime(&r), readTime(&r)
		g.flushed = r.Bool()
		nc := readCount(&r)
		for j := 0; j < nc && r.Err == nil; j++ {
			ch := string(r.Bytes())
			g.chans[ch] = &chanState{lastSent: readTime(&r), repeats: int(r.Uvarint() & 0xffffffff)}
		}
		n.groups[g.key] = g
	}
	n.rate.start = readTime(&r)
	n.rate.count = int(r.Uvarint() & 0xffffffff)
	nr := readCount(&r)
	for i := 0; i < nr && r.Err == nil; i++ {
		f := &foldedChan{channel: string(r.Bytes()), n: int(r.Uvarint() & 0xffffffff), keys: r.Uvarint()}
		na := readCount(&r)
		for j := 0; j < na && r.Err == nil; j++ {
			f.alerts = append(f.alerts, readWireAlert(&r))
		}
		if len(n.rate.folded) > 0 && n.rate.folded[len(n.rate.folded)-1].channel >= f.channel {
			return state.ErrCorrupt
		}
		n.rate.folded = append(n.rate.folded, f)
	}
	nh := readCount(&r)
	for i := 0; i < nh && r.Err == nil; i++ {
		n.held = append(n.held, readNotification(&r))
	}
	if r.Err != nil {
		return r.Err
	}
	if len(r.Buf) != 0 {
		return state.ErrCorrupt
	}
	for _, a := range grouped {
		key, labels := n.groupOf(a.labels)
		g := n.groups[key]
		if g == nil {
			// group_by changed since the snapshot: regroup, flushing the
			// new group at once.
			g = &group{key: key, createdAt: a.firedAt, nextFlush: a.firedAt, chans: map[string]*chanState{}}
			n.groups[key] = g
		}
		g.labels = labels
		g.members = append(g.members, a) // alerts are in id order
		a.group = g
	}
	for k, g := range n.groups {
		if len(g.members) == 0 {
			delete(n.groups, k)
		}
	}
	m.lastID, m.alerts, m.byID, m.order, m.ndead = n.lastID, n.alerts, n.byID, n.order, 0
	m.groups, m.rate, m.held = n.groups, n.rate, n.held
	m.initQueues()
	for _, g := range m.groups {
		m.scheduleGroup(g)
	}
	for _, a := range m.order {
		m.reschedule(a)
	}
	if m.firing != nil {
		m.firing.DeleteSink(m.cfg.Sink)
		for _, a := range m.order {
			if a.state == stateFiring {
				m.firing.Set(m.cfg.Sink, a.fpHex, a.match)
			}
		}
	}
	return nil
}

// writeTime writes t as Unix nanoseconds; the zero time as 0.
func writeTime(w *state.Writer, t time.Time) {
	if t.IsZero() {
		w.Varint(0)
		return
	}
	w.Varint(t.UnixNano())
}

func readTime(r *state.Reader) time.Time {
	ns := r.Varint()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// readCount reads an element count, failing when it exceeds the bytes
// left (every element takes at least one byte), so corrupt input cannot
// force a huge allocation.
func readCount(r *state.Reader) int {
	n := r.Uvarint()
	if r.Err == nil && n > uint64(len(r.Buf)) {
		r.Err = state.ErrCorrupt
		r.Buf = nil
	}
	if r.Err != nil {
		return 0
	}
	return int(n)
}

func writeLabels(w *state.Writer, ls []connectors.Label) {
	w.Uvarint(uint64(len(ls)))
	for _, l := range ls {
		w.Bytes([]byte(l.Name))
		w.Bytes([]byte(l.Value))
	}
}

func readLabels(r *state.Reader) []connectors.Label {
	n := readCount(r)
	var out []connectors.Label
	for i := 0; i < n && r.Err == nil; i++ {
		out = append(out, connectors.Label{Name: string(r.Bytes()), Value: string(r.Bytes())})
	}
	return out
}

func writeWireAlert(w *state.Writer, a *connectors.Alert) {
	w.Varint(a.ID)
	w.Bytes([]byte(a.Fingerprint))
	writeLabels(w, a.Labels)
	writeLabels(w, a.Annotations)
	w.Uvarint(uint64(a.Status))
	w.Bytes([]byte(a.Severity))
	writeTime(w, a.StartsAt)
	writeTime(w, a.FiredAt)
	writeTime(w, a.EndsAt)
	w.Bool(a.Flapping)
	w.Uvarint(uint64(a.Duplicates))
}

func readWireAlert(r *state.Reader) connectors.Alert {
	var a connectors.Alert
	a.ID = r.Varint()
	a.Fingerprint = string(r.Bytes())
	a.Labels = readLabels(r)
	a.Annotations = readLabels(r)
	a.Status = connectors.AlertStatus(r.Uvarint() & 0xff)
	a.Severity = string(r.Bytes())
	a.StartsAt, a.FiredAt, a.EndsAt = readTime(r), readTime(r), readTime(r)
	a.Flapping = r.Bool()
	a.Duplicates = int(r.Uvarint() & 0xffffffff)
	return a
}

func writeNotification(w *state.Writer, n *connectors.Notification) {
	for _, s := range []string{n.Sink, n.Channel, n.Key, n.GroupKey, n.Summary} {
		w.Bytes([]byte(s))
	}
	writeLabels(w, n.GroupLabels)
	w.Uvarint(uint64(n.Status))
	w.Uvarint(uint64(len(n.Alerts)))
	for i := range n.Alerts {
		writeWireAlert(w, &n.Alerts[i])
	}
	w.Uvarint(uint64(n.Escalation))
	writeTime(w, n.CreatedAt)
}

func readNotification(r *state.Reader) *connectors.Notification {
	n := &connectors.Notification{}
	for _, p := range []*string{&n.Sink, &n.Channel, &n.Key, &n.GroupKey, &n.Summary} {
		*p = string(r.Bytes())
	}
	n.GroupLabels = readLabels(r)
	n.Status = connectors.AlertStatus(r.Uvarint() & 0xff)
	na := readCount(r)
	for i := 0; i < na && r.Err == nil; i++ {
		n.Alerts = append(n.Alerts, readWireAlert(r))
	}
	n.Escalation = int(r.Uvarint() & 0xff)
	n.CreatedAt = readTime(r)
	return n
}
