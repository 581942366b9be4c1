package connectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Sinks: the engine turns a view's rows into Notifications (alerts
// grouped the way Alertmanager groups them, or plain row records) and a
// sink's dispatcher hands each one to a Channel. The dispatcher owns
// retries, deadlines, the errors table and channel health; a Channel
// only renders its payload, sends it once and classifies the outcome.

// Label is a name and its value, rendered as text. Labels identify an
// alert (they are the sink's key columns); annotations describe it.
type Label struct {
	Name, Value string
}

// AlertStatus is an alert's state as a notification reports it.
type AlertStatus uint8

// The statuses a notification carries (pending alerts are never sent).
const (
	AlertFiring AlertStatus = iota + 1
	AlertResolved
)

func (s AlertStatus) String() string {
	switch s {
	case AlertFiring:
		return "firing"
	case AlertResolved:
		return "resolved"
	}
	return "unknown"
}

// Alert is one alert as a notification carries it.
type Alert struct {
	// ID is the alert's row id in tocsin_alerts.
	ID int64
	// Fingerprint identifies the alert for its life: a hex hash of the
	// sink name and the labels. PagerDuty's dedup_key is this value.
	Fingerprint string
	// Labels are the key columns in declared order; Annotations the
	// other columns and the rendered summary/description, in order.
	Labels      []Label
	Annotations []Label
	Status      AlertStatus
	// Severity is "P0".."P3", or "" when the sink declares none.
	Severity string
	// StartsAt is when the condition started to hold, FiredAt when the
	// alert fired and EndsAt when it resolved (zero while firing).
	StartsAt, FiredAt, EndsAt time.Time
	// Flapping is set on the one notification sent for a flapping key.
	Flapping bool
	// Duplicates counts near-duplicate alerts folded into this one.
	Duplicates int
}

// Label returns the value of the label or annotation name, and whether
// the alert has it.
func (a *Alert) Label(name string) (string, bool) {
	for _, l := range a.Labels {
		if l.Name == name {
			return l.Value, true
		}
	}
	for _, l := range a.Annotations {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}

// Record is one row sent by a row sink: a deterministic key and a JSON
// value.
type Record struct {
	Key, Value []byte
}

// Notification is one message to one channel: either a group of alerts
// (Alerts set) or a batch of rows (Records set).
type Notification struct {
	// Sink is the sink's name, Channel the name of the channel within
	// it ("default" unless the sink routes severities to channels).
	Sink, Channel string
	// Key is the idempotency key: stable across retries and restarts,
	// derived from the fingerprints and state transitions it reports.
	Key string
	// GroupKey identifies the alert group; GroupLabels are its group_by
	// labels.
	GroupKey    string
	GroupLabels []Label
	// Status is firing when any alert in Alerts fires, else resolved.
	Status AlertStatus
	Alerts []Alert
	// Escalation is 0 for the first routing, n after n escalations.
	Escalation int
	// Summary, when set, replaces per-alert detail (storm control: "37
	// notifications folded while the rate limit held").
	Summary string
	Records []Record
	// CreatedAt is when the notification was made.
	CreatedAt time.Time
}

// Channel delivers notifications to one endpoint. Send makes one attempt
// and returns nil, a *SendError describing the failure, or ctx's error.
// Send may be called concurrently for different notifications (the
// dispatcher runs up to its MaxInFlight Sends per channel at once, one
// per alert group; the notifications of one group are sent one at a
// time, in order).
type Channel interface {
	Send(ctx context.Context, n *Notification) error
	Close() error
}

// SendError is a failed delivery attempt.
type SendError struct {
	// Permanent failures (HTTP 4xx other than 408/429, a rejected
	// template, SMTP 5xx) are not retried; the rest are.
	Permanent bool
	// Status is the HTTP status or SMTP reply code, 0 if none.
	Status int
	// RetryAfter is the delay the endpoint asked for (429 Retry-After).
	RetryAfter time.Duration
	// Response is the start of the endpoint's reply body, for the errors
	// table.
	Response string
	Err      error
}

func (e *SendError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("status %d: %v", e.Status, e.Err)
	}
	return e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a SendError that must not be
// retried.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// ChannelSpec is what a channel factory gets.
type ChannelSpec struct {
	// Sink is the sink's name; Name the channel's name within it.
	Sink, Name string
	// Options are the channel's WITH options, keys lower-cased, with
	// any "channel.<name>." prefix removed (connector, url, ...).
	Options map[string]string
}

// ChannelFactory validates the options (a *sqlerr.Error with SQLSTATE
// 22023 for bad ones) and builds a Channel without connecting.
type ChannelFactory func(spec ChannelSpec) (Channel, error)

// ChannelRegistry maps connector names to channel factories. It is a
// plain value built by the binary; nothing registers itself.
type ChannelRegistry struct {
	channels map[string]ChannelFactory
}

// NewChannelRegistry returns an empty registry.
func NewChannelRegistry() *ChannelRegistry {
	return &ChannelRegistry{channels: map[string]ChannelFactory{}}
}

// Register adds a channel connector under name (lower-case).
func (r *ChannelRegistry) Register(name string, f ChannelFactory) {
	r.channels[strings.ToLower(name)] = f
}

// Channel returns the factory for name.
func (r *ChannelRegistry) Channel(name string) (ChannelFactory, bool) {
	f, ok := r.channels[strings.ToLower(name)]
	return f, ok
}

// Names lists the registered channel connectors, sorted.
func (r *ChannelRegistry) Names() []string {
	names := make([]string, 0, len(r.channels))
	for n := range r.channels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
