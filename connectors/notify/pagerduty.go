package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tocsin-db/tocsin/connectors"
)

// PagerDuty options.
const (
	optRoutingKey = "routing_key"
	// defaultPagerDutyURL is the Events API v2 endpoint.
	defaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"
	// maxPagerDutySummary is the Events API's limit on payload.summary.
	maxPagerDutySummary = 1024
)

// PagerDuty sends one Events API v2 event per alert.
type PagerDuty struct {
	sender     *httpSender
	url        string
	routingKey string
}

var _ connectors.Channel = (*PagerDuty)(nil)

// NewPagerDuty is the ChannelFactory of the "pagerduty" connector.
func NewPagerDuty(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("pagerduty", spec)
	key, err := o.required(optRoutingKey)
	if err != nil {
		return nil, err
	}
	target, sender, err := httpEndpoint(o, defaultPagerDutyURL)
	if err != nil {
		return nil, err
	}
	return &PagerDuty{sender: sender, url: target, routingKey: key}, nil
}

// pdEvent is an Events API v2 event; Payload is nil for resolve events.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload,omitempty"`
}

type pdPayload struct {
	Summary       string          `json:"summary"`
	Source        string          `json:"source"`
	Severity      string          `json:"severity"`
	CustomDetails json.RawMessage `json:"custom_details"`
}

// pdSeverity maps a sink severity to PagerDuty's.
func pdSeverity(s string) string {
	switch s {
	case "P0":
		return "critical"
	case "P1":
		return "error"
	case "P2":
		return "warning"
	}
	return "info"
}

// event renders one alert's event.
func (p *PagerDuty) event(sink string, a *connectors.Alert) ([]byte, error) {
	ev := pdEvent{RoutingKey: p.routingKey, EventAction: "resolve", DedupKey: a.Fingerprint}
	if a.Status == connectors.AlertFiring {
		ev.EventAction = "trigger"
		pairs := make([]connectors.Label, 0, len(a.Labels)+len(a.Annotations))
		details := appendLabels(nil, append(append(pairs, a.Labels...), a.Annotations...))
		ev.Payload = &pdPayload{
			Summary:       truncate(alertSummary(a), maxPagerDutySummary),
			Source:        "tocsin/" + sink,
			Severity:      pdSeverity(a.Severity),
			CustomDetails: details,
		}
	}
	return json.Marshal(ev)
}

// Send posts one event per alert, stopping at the first failure (a retry
// resends them all; PagerDuty deduplicates on dedup_key). Each request's
// Idempotency-Key is n.Key + "/" + the alert's fingerprint.
func (p *PagerDuty) Send(ctx context.Context, n *connectors.Notification) error {
	if len(n.Records) > 0 {
		return &connectors.SendError{Permanent: true, Err: errors.New("pagerduty channel cannot deliver rows")}
	}
	for i := range n.Alerts {
		a := &n.Alerts[i]
		body, err := p.event(n.Sink, a)
		if err != nil {
			return &connectors.SendError{Permanent: true, Err: fmt.Errorf("pagerduty payload: %w", err)}
		}
		if err := p.sender.post(ctx, p.url, contentJSON, n.Key+"/"+a.Fingerprint, body, nil); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the channel's idle connections.
func (p *PagerDuty) Close() error {
	p.sender.close()
	return nil
}
