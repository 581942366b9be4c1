package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// group is an aggregation group: the firing alerts (and the resolved
// ones whose resolution is still to be sent) that share the GroupBy
// labels' values. A group exists while it has members.
type group struct {
	key     string
	labels  []connectors.Label
	members []*alert // by id
	// createdAt starts GroupWait; flushed says the first flush happened;
	// nextFlush is zero when nothing is scheduled.
	createdAt, lastFlush, nextFlush time.Time
	flushed                         bool
	// chans remembers, per channel, the last send and the repeat count.
	chans map[string]*chanState
	// queuePos places the group in the manager's flush queue.
	queuePos int
}

type chanState struct {
	lastSent time.Time
	repeats  int
}

// groupOf returns the group key and labels of an alert's labels.
func (m *Manager) groupOf(labels []connectors.Label) (string, []connectors.Label) {
	var gl []connectors.Label
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range m.cfg.GroupBy {
		v, _ := labelValue(labels, name)
		gl = append(gl, connectors.Label{Name: name, Value: v})
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(v))
	}
	b.WriteByte('}')
	return b.String(), gl
}

// join puts a firing alert into its group, creating the group (and its
// GroupWait timer) if needed, and marks the group changed.
func (m *Manager) join(a *alert, t time.Time) {
	if a.group == nil {
		key, labels := m.groupOf(a.labels)
		g := m.groups[key]
		if g == nil {
			g = &group{key: key, labels: labels, createdAt: t, chans: map[string]*chanState{}}
			m.groups[key] = g
		}
		i := sort.Search(len(g.members), func(i int) bool { return g.members[i].id >= a.id })
		g.members = append(g.members, nil)
		copy(g.members[i+1:], g.members[i:])
		g.members[i] = a
		a.group = g
	}
	m.markChanged(a.group, t)
}

// leave takes a out of its group, dropping the group when it empties.
func (m *Manager) leave(a *alert) {
	g := a.group
	a.group = nil
	for i, x := range g.members {
		if x == a {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
	if len(g.members) == 0 {
		m.dropGroup(g)
	}
}

// dropGroup forgets an empty group.
func (m *Manager) dropGroup(g *group) {
	delete(m.groups, g.key)
	m.gq.remove(g)
}

// scheduleGroup re-queues g after its nextFlush changed.
func (m *Manager) scheduleGroup(g *group) {
	if g.nextFlush.IsZero() {
		m.gq.remove(g)
		return
	}
	m.gq.fix(g)
}

// markChanged schedules a flush for news: at the end of GroupWait for a
// group never flushed, else GroupInterval after the last flush (or at t
// if that has passed).
func (m *Manager) markChanged(g *group, t time.Time) {
	var due time.Time
	if !g.flushed {
		due = g.createdAt.Add(m.cfg.GroupWait)
	} else {
		due = g.lastFlush.Add(m.cfg.GroupInterval)
		if due.Before(t) {
			due = t
		}
	}
	if g.nextFlush.IsZero() || due.Before(g.nextFlush) {
		g.nextFlush = due
		m.scheduleGroup(g)
	}
}

// pick is one member's part in a flush.
type pick struct {
	a       *alert
	status  connectors.AlertStatus
	changed bool
}

// flush sends, per channel, the group's firing (unmuted, not held) and
// newly resolved alerts when any of them is news to that channel or the
// channel's repeat is due, and schedules the next flush.
func (m *Manager) flush(g *group, t time.Time, out *[]*connectors.Notification) {
	var picks []pick
	var nextFlush time.Time // earliest re-check for muted alerts or repeat
	for _, a := range g.members {
		if a.state == stateFiring {
			mu := m.muteOf(a, t)
			if mu.Kind != NotMuted {
				nextFlush = earliest(nextFlush, m.catchUp(m.recheckAt(t, mu)))
				continue
			}
			if a.flapping && a.flapNotified {
				continue
			}
			changed := a.notified != connectors.AlertFiring || a.flapping && !a.flapNotified
			picks = append(picks, pick{a, connectors.AlertFiring, changed})
			continue
		}
		// Resolved (or pending again) with its firing notified: the
		// resolution is owed. Muting never holds a resolution.
		a.silenced, a.inhibited = false, false
		if a.flapping && a.flapNotified {
			continue
		}
		picks = append(picks, pick{a, connectors.AlertResolved, true})
	}

	// Channels in name order, each with its alerts in id order.
	byChan := map[string][]int{}
	var chans []string
	for i, p := range picks {
		for _, ch := range m.route(p.a.sev) {
			if _, ok := byChan[ch]; !ok {
				chans = append(chans, ch)
			}
			byChan[ch] = append(byChan[ch], i)
		}
	}
	sort.Strings(chans)
	for _, ch := range chans {
		idx := byChan[ch]
		cs := g.chans[ch]
		if cs == nil {
			cs = &chanState{}
			g.chans[ch] = cs
		}
		changed, firing := false, false
		for _, i := range idx {
			changed = changed || picks[i].changed
			firing = firing || picks[i].status == connectors.AlertFiring
		}
		// A channel that never heard from this group gets its firing
		// alerts (after a restore under another group_by or routes).
		changed = changed || firing && cs.lastSent.IsZero()
		repeat := !changed && firing && m.cfg.RepeatInterval > 0 && !cs.lastSent.IsZero() &&
			!t.Before(cs.lastSent.Add(m.cfg.RepeatInterval))
		if changed || repeat {
			if repeat {
				cs.repeats++
			}
			cs.lastSent = t
			m.emit(m.groupNotification(g, ch, cs.repeats, picks, idx, t), t, out)
		}
		if firing && m.cfg.RepeatInterval > 0 && !cs.lastSent.IsZero() {
			// After t: either sent now or not yet due. Repeats missed
			// while catching up collapse into the one just sent: the
			// next is the first one after the horizon.
			next := cs.lastSent.Add(m.cfg.RepeatInterval)
			if !next.After(m.horizon) {
				k := m.horizon.Sub(cs.lastSent)/m.cfg.RepeatInterval + 1
				next = cs.lastSent.Add(k * m.cfg.RepeatInterval)
			}
			nextFlush = earliest(nextFlush, next)
		}
	}

	// Record what was sent; resolved alerts leave the group.
	for _, p := range picks {
		if p.a.flapping {
			p.a.flapNotified = true
		}
		p.a.notified = p.status
		if p.status == connectors.AlertResolved {
			m.leave(p.a)
			m.reschedule(p.a) // its retention timer starts
		}
	}
	g.flushed, g.lastFlush = true, t
	g.nextFlush = nextFlush
	if len(g.members) == 0 {
		m.dropGroup(g)
		return
	}
	m.scheduleGroup(g)
}

// recheckAt is when a muted alert's group looks again: at a
// NotifyOnExpiry silence's end, else at the first GroupInterval tick at
// or after the mute's end (the next tick when the end is unknown).
func (m *Manager) recheckAt(t time.Time, mu Mute) time.Time {
	gi := m.cfg.GroupInterval
	if mu.Until.IsZero() || !mu.Until.After(t) {
		return t.Add(gi)
	}
	if mu.FlushOnEnd {
		return mu.Until
	}
	ticks := (mu.Until.Sub(t) + gi - 1) / gi
	return t.Add(ticks * gi)
}

func (m *Manager) groupNotification(g *group, ch string, repeat int, picks []pick, idx []int, t time.Time) *connectors.Notification {
	n := &connectors.Notification{
		Sink: m.cfg.Sink, Channel: ch, GroupKey: g.key, GroupLabels: g.labels,
		Status: connectors.AlertResolved, CreatedAt: t,
		Alerts: make([]connectors.Alert, 0, len(idx)),
	}
	tuples := make([]keyTuple, 0, len(idx))
	for _, i := range idx {
		p := picks[i]
		if p.status == connectors.AlertFiring {
			n.Status = connectors.AlertFiring
		}
		n.Alerts = append(n.Alerts, m.wireAlert(p.a, p.status))
		tuples = append(tuples, keyTuple{p.a.fpHex, p.a.episode, p.status, 0, repeat})
	}
	n.Key = m.notificationKey(ch, g.key, tuples)
	if m.cfg.DedupDistance > 0 {
		n.Alerts = foldDuplicates(n.Alerts, m.cfg.DedupDistance)
	}
	return n
}

// keyTuple is one alert's contribution to a notification key.
type keyTuple struct {
	fp         string
	episode    int
	status     connectors.AlertStatus
	escalation int
	repeat     int
}

// notificationKey derives the idempotency key from the sink, channel,
// group key and the sorted alert tuples: stable across a restart that
// replays the same events, and unique per distinct send (a change
// always carries a new (fingerprint, episode, status) and a repeat a new
// repeat number).
func (m *Manager) notificationKey(ch, gkey string, tuples []keyTuple) string {
	sort.Slice(tuples, func(i, j int) bool {
		a, b := tuples[i], tuples[j]
		if a.fp != b.fp {
			return a.fp < b.fp
		}
		if a.episode != b.episode {
			return a.episode < b.episode
		}
		return a.status < b.status
	})
	h := sha256.New()
	var buf []byte
	for _, s := range []string{m.cfg.Sink, ch, gkey} {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
		h.Write(buf)
	}
	for _, tp := range tuples {
		buf = append(buf[:0], tp.fp...)
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(tp.episode), 10)
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(tp.status), 10)
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(tp.escalation), 10)
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(tp.repeat), 10)
		buf = append(buf, ';')
		h.Write(buf)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
