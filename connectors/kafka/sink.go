package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/tocsin-db/tocsin/connectors"
)

// The sink channel ("connector = 'kafka'" on a CREATE SINK, or on one of
// its channels) produces a notification's records to a topic.
//
// Options: topic and properties.bootstrap.server (both required; other
// options are ignored, as a sink's default channel also gets the sink's
// own options). Send writes n.Records in order, each with its Key and
// Value, or, for an alert notification, one record per alert keyed by
// its fingerprint whose value is the alert object of the webhook payload
// plus "sink" and "idempotencyKey" (see connectors/notify). Every record
// carries the notification's idempotency key in the header
// "idempotency-key". Records are partitioned by murmur2 of the key (as
// the Java client does), so one key's records stay in order.
//
// Writes are synchronous, acknowledged by all in-sync replicas and made
// once (MaxAttempts 1: the dispatcher retries). Send is safe for
// concurrent use (kafka-go's Writer is); concurrent Sends are not ordered
// against each other, which is why the dispatcher keeps each group, and
// all of a row sink's notifications (GroupKey ""), in one ordered queue. The topic is never
// created: a topic that does not exist yet is retried (until the sink's
// delivery deadline), as a source waits for its topic. Authorization
// failures, invalid topic names and records too large are permanent
// failures; everything else is retryable.

// idempotencyHeader names the record header carrying Notification.Key.
const idempotencyHeader = "idempotency-key"

// SinkChannel produces notifications to one topic. Its writer connects
// on the first Send.
type SinkChannel struct {
	topic  string
	w      *kafkago.Writer
	tr     *kafkago.Transport
	cancel context.CancelFunc
}

var _ connectors.Channel = (*SinkChannel)(nil)

// RegisterChannel adds the "kafka" channel connector to r.
func RegisterChannel(r *connectors.ChannelRegistry) {
	r.Register("kafka", NewSinkChannel)
}

// NewSinkChannel is the ChannelFactory of the "kafka" channel: it
// validates the options and builds the writer without connecting.
func NewSinkChannel(spec connectors.ChannelSpec) (connectors.Channel, error) {
	topic := strings.TrimSpace(spec.Options[optTopic])
	if topic == "" {
		return nil, invalid("sink %q: kafka channel %q: option %q is required", spec.Sink, spec.Name, optTopic)
	}
	list := spec.Options[optBootstrap]
	if strings.TrimSpace(list) == "" {
		list = spec.Options[optBootstrapPlural]
	}
	if strings.TrimSpace(list) == "" {
		return nil, invalid("sink %q: kafka channel %q: option %q is required", spec.Sink, spec.Name, optBootstrap)
	}
	brokers, err := parseBrokers(list)
	if err != nil {
		return nil, err
	}
	cfg := Config{}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	tr := newTransport(ctx, cfg, topic)
	return &SinkChannel{
		topic:  topic,
		tr:     tr,
		cancel: cancel,
		w: &kafkago.Writer{
			Addr:         kafkago.TCP(brokers...),
			Topic:        topic,
			Balancer:     &kafkago.Murmur2Balancer{},
			MaxAttempts:  1,
			BatchSize:    10000,
			BatchBytes:   16 << 20,
			BatchTimeout: time.Millisecond,
			WriteTimeout: cfg.RequestTimeout,
			ReadTimeout:  cfg.RequestTimeout,
			RequiredAcks: kafkago.RequireAll,
			Transport:    tr,
		},
	}, nil
}

// Send produces n's records (or one record per alert) and returns when
// all are acknowledged.
func (c *SinkChannel) Send(ctx context.Context, n *connectors.Notification) error {
	msgs, err := sinkMessages(n)
	if err != nil {
		return &connectors.SendError{Permanent: true, Err: fmt.Errorf("kafka channel: %w", err)}
	}
	if len(msgs) == 0 {
		return nil
	}
	err = c.w.WriteMessages(ctx, msgs...)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &connectors.SendError{Permanent: permanentWriteError(err), Err: fmt.Errorf("write to %q: %w", c.topic, err)}
}

// Close releases the writer's connections.
func (c *SinkChannel) Close() error {
	err := c.w.Close()
	c.cancel()
	c.tr.CloseIdleConnections()
	return err
}

// sinkMessages renders n as Kafka messages.
func sinkMessages(n *connectors.Notification) ([]kafkago.Message, error) {
	headers := []kafkago.Header{{Key: idempotencyHeader, Value: []byte(n.Key)}}
	if len(n.Records) > 0 {
		msgs := make([]kafkago.Message, len(n.Records))
		for i, r := range n.Records {
			msgs[i] = kafkago.Message{Key: r.Key, Value: r.Value, Headers: headers}
		}
		return msgs, nil
	}
	msgs := make([]kafkago.Message, len(n.Alerts))
	for i := range n.Alerts {
		a := &n.Alerts[i]
		v, err := json.Marshal(alertRecord{
			ID:             a.ID,
			Status:         a.Status.String(),
			Labels:         labelObject(a.Labels),
			Annotations:    labelObject(a.Annotations),
			Severity:       a.Severity,
			StartsAt:       a.StartsAt.UTC(),
			FiredAt:        a.FiredAt.UTC(),
			EndsAt:         a.EndsAt.UTC(),
			Fingerprint:    a.Fingerprint,
			Flapping:       a.Flapping,
			Duplicates:     a.Duplicates,
			Sink:           n.Sink,
			IdempotencyKey: n.Key,
		})
		if err != nil {
			return nil, err
		}
		msgs[i] = kafkago.Message{Key: []byte(a.Fingerprint), Value: v, Headers: headers}
	}
	return msgs, nil
}

// alertRecord is an alert record's value: the webhook payload's alert
// object (connectors/notify.AppendAlertJSON; a test keeps the two equal)
// plus the sink and the idempotency key. The encoders are separate
// because connectors never import each other.
type alertRecord struct {
	ID             int64       `json:"id"`
	Status         string      `json:"status"`
	Labels         labelObject `json:"labels"`
	Annotations    labelObject `json:"annotations"`
	Severity       string      `json:"severity"`
	StartsAt       time.Time   `json:"startsAt"`
	FiredAt        time.Time   `json:"firedAt"`
	EndsAt         time.Time   `json:"endsAt"`
	Fingerprint    string      `json:"fingerprint"`
	Flapping       bool        `json:"flapping"`
	Duplicates     int         `json:"duplicates"`
	Sink           string      `json:"sink"`
	IdempotencyKey string      `json:"idempotencyKey"`
}

// labelObject encodes labels as a JSON object in declared order.
type labelObject []connectors.Label

// MarshalJSON implements json.Marshaler.
func (l labelObject) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, p := range l {
		if i > 0 {
			buf = append(buf, ',')
		}
		name, err := json.Marshal(p.Name)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(p.Value)
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, name...), ':'), value...)
	}
	return append(buf, '}'), nil
}

// permanentWriteError reports whether a write failed for a reason a
// retry cannot fix: the topic name is invalid, the client may not write
// to it, or a record is too large. A missing topic is not permanent: it
// may be created while the dispatcher retries.
func permanentWriteError(err error) bool {
	var we kafkago.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && permanentWriteError(e) {
				return true
			}
		}
		return false
	}
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	var ke kafkago.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafkago.InvalidTopic,
			kafkago.TopicAuthorizationFailed, kafkago.ClusterAuthorizationFailed,
			kafkago.SASLAuthenticationFailed, kafkago.MessageSizeTooLarge,
			kafkago.InvalidRecord:
			return true
		}
	}
	return false
}
