package engine

import (
	"encoding/json"
	"time"

	"github.com/tocsin-db/tocsin/engine/alert"
)

// Alert changes for LISTEN tocsin_alerts. The alert manager is pure and
// reports no events, so a sink finds the changes by comparing its
// manager's alerts after each advance (which runs after every batch the
// sink observes, every timer, acknowledgement and silence change) with
// what it saw the time before. It does so only while some session
// listens. When listening starts, alerts whose current state began at or
// after the first LISTEN count as changes; older ones are the baseline.
//
// The states published are pending, firing and resolved (the alert's
// lifecycle), acknowledged (ACKNOWLEDGE ALERT), escalated (the
// escalation level rose), silenced and inhibited (a notification was
// held). A pending alert that resolves without firing disappears
// without a notification, as it does from tocsin_alerts.

// alertSeen is what an alert looked like at the last comparison.
type alertSeen struct {
	state               string
	episode             int
	acked               bool
	esc                 int
	silenced, inhibited bool
}

// alertWatch is a sink's view of its alerts for the comparison; it is
// guarded by sinkRuntime.mu.
type alertWatch struct {
	// known is nil while nobody listens.
	known map[int64]alertSeen
}

// alertPayload is the JSON payload of a tocsin_alerts notification.
type alertPayload struct {
	ID          int64             `json:"id"`
	Sink        string            `json:"sink"`
	State       string            `json:"state"`
	Severity    string            `json:"severity"`
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
	At          string            `json:"at"`
}

// publishAlertChanges compares the manager's alerts with the last
// comparison and publishes the changes (s.mu held).
func (s *sinkRuntime) publishAlertChanges(now time.Time) {
	if s.hub == nil || s.mgr == nil {
		return
	}
	if !s.hub.alertsWanted() {
		s.watch.known = nil
		return
	}
	since, first := s.hub.alertsSince(), s.watch.known == nil
	known := make(map[int64]alertSeen, len(s.watch.known))
	for _, a := range s.mgr.Alerts() {
		seen := alertSeen{state: a.State, episode: a.Episode, acked: !a.AcknowledgedAt.IsZero(),
			esc: a.EscalationLevel, silenced: a.Silenced, inhibited: a.Inhibited}
		known[a.ID] = seen
		if first {
			if at := stateSince(a); !at.Before(since) {
				s.publishAlert(a, a.State, at)
			}
			if seen.acked && !a.AcknowledgedAt.Before(since) {
				s.publishAlert(a, "acknowledged", a.AcknowledgedAt)
			}
			continue
		}
		old, ok := s.watch.known[a.ID]
		if !ok || old.state != seen.state || old.episode != seen.episode {
			s.publishAlert(a, a.State, orNow(stateSince(a), now))
		}
		if seen.acked && (!ok || !old.acked) {
			s.publishAlert(a, "acknowledged", a.AcknowledgedAt)
		}
		if ok && seen.esc > old.esc {
			s.publishAlert(a, "escalated", now)
		}
		if seen.silenced && (!ok || !old.silenced) {
			s.publishAlert(a, "silenced", now)
		}
		if seen.inhibited && (!ok || !old.inhibited) {
			s.publishAlert(a, "inhibited", now)
		}
	}
	s.watch.known = known
}

// stateSince returns when the alert entered its current state.
func stateSince(a alert.AlertRow) time.Time {
	switch a.State {
	case "firing":
		return a.FiredAt
	case "resolved":
		return a.ResolvedAt
	}
	return a.StartedAt
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func (s *sinkRuntime) publishAlert(a alert.AlertRow, state string, at time.Time) {
	p := alertPayload{ID: a.ID, Sink: a.Sink, State: state, Severity: a.Severity.String(),
		Labels: make(map[string]string, len(a.Labels)), Fingerprint: a.Fingerprint,
		At: at.UTC().Format(time.RFC3339Nano)}
	for _, l := range a.Labels {
		p.Labels[l.Name] = l.Value
	}
	b, err := json.Marshal(p)
	if err != nil {
		s.log.Error("BUG: alert notification payload", "err", err)
		return
	}
	s.hub.publish(Notification{Channel: AlertsChannel, Payload: string(b)})
}
