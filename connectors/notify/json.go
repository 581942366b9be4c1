package notify

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/connectors"
)

// The webhook payloads are encoded by hand, appending to a reused buffer:
// label objects keep their declared order (encoding/json would need a map
// and sort it) and a notification encodes without per-field allocations.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped so the output is also valid
// JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendKey appends `"name":`, preceded by a comma unless first.
func appendKey(dst []byte, name string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = appendJSONString(dst, name)
	return append(dst, ':')
}

// appendLabels appends labels as a JSON object in their declared order.
func appendLabels(dst []byte, labels []connectors.Label) []byte {
	dst = append(dst, '{')
	for i, l := range labels {
		dst = appendKey(dst, l.Name, i == 0)
		dst = appendJSONString(dst, l.Value)
	}
	return append(dst, '}')
}

// appendTime appends t in UTC as an RFC 3339 string with nanoseconds;
// the zero time is "0001-01-01T00:00:00Z", as Alertmanager sends it.
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// AppendAlertJSON appends a's JSON object as the webhook payload carries
// it (see the package documentation), followed by extra string fields
// (the Kafka channel adds "sink" and "idempotencyKey"). It allocates
// nothing beyond dst's growth.
func AppendAlertJSON(dst []byte, a *connectors.Alert, extra ...connectors.Label) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, a.ID, 10)
	dst = appendKey(dst, "status", false)
	dst = appendJSONString(dst, a.Status.String())
	dst = appendKey(dst, "labels", false)
	dst = appendLabels(dst, a.Labels)
	dst = appendKey(dst, "annotations", false)
	dst = appendLabels(dst, a.Annotations)
	dst = appendKey(dst, "severity", false)
	dst = appendJSONString(dst, a.Severity)
	dst = appendKey(dst, "startsAt", false)
	dst = appendTime(dst, a.StartsAt)
	dst = appendKey(dst, "firedAt", false)
	dst = appendTime(dst, a.FiredAt)
	dst = appendKey(dst, "endsAt", false)
	dst = appendTime(dst, a.EndsAt)
	dst = appendKey(dst, "fingerprint", false)
	dst = appendJSONString(dst, a.Fingerprint)
	dst = appendKey(dst, "flapping", false)
	dst = strconv.AppendBool(dst, a.Flapping)
	dst = appendKey(dst, "duplicates", false)
	dst = strconv.AppendInt(dst, int64(a.Duplicates), 10)
	for _, l := range extra {
		dst = appendKey(dst, l.Name, false)
		dst = appendJSONString(dst, l.Value)
	}
	return append(dst, '}')
}

// appendWebhookAlerts appends the Alertmanager-style (version 4) body of
// an alert notification.
func appendWebhookAlerts(dst []byte, n *connectors.Notification) []byte {
	dst = append(dst, `{"version":"4"`...)
	dst = appendKey(dst, "sink", false)
	dst = appendJSONString(dst, n.Sink)
	dst = appendKey(dst, "channel", false)
	dst = appendJSONString(dst, n.Channel)
	dst = appendKey(dst, "groupKey", false)
	dst = appendJSONString(dst, n.GroupKey)
	dst = appendKey(dst, "status", false)
	dst = appendJSONString(dst, notificationStatus(n).String())
	dst = appendKey(dst, "groupLabels", false)
	dst = appendLabels(dst, n.GroupLabels)
	dst = appendKey(dst, "commonLabels", false)
	dst = appendCommon(dst, n.Alerts, func(a *connectors.Alert) []connectors.Label { return a.Labels })
	dst = appendKey(dst, "commonAnnotations", false)
	dst = appendCommon(dst, n.Alerts, func(a *connectors.Alert) []connectors.Label { return a.Annotations })
	dst = appendKey(dst, "alerts", false)
	dst = append(dst, '[')
	for i := range n.Alerts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendAlertJSON(dst, &n.Alerts[i])
	}
	dst = append(dst, ']')
	dst = appendKey(dst, "escalation", false)
	dst = strconv.AppendInt(dst, int64(n.Escalation), 10)
	dst = appendKey(dst, "summary", false)
	dst = appendJSONString(dst, n.Summary)
	dst = appendKey(dst, "idempotencyKey", false)
	dst = appendJSONString(dst, n.Key)
	return append(dst, '}')
}

// appendCommon appends, as an object, the pairs of the first alert that
// every alert has with the same value (in the first alert's order).
func appendCommon(dst []byte, alerts []connectors.Alert, pairs func(*connectors.Alert) []connectors.Label) []byte {
	dst = append(dst, '{')
	if len(alerts) == 0 {
		return append(dst, '}')
	}
	first := true
	for _, l := range pairs(&alerts[0]) {
		common := true
		for i := 1; i < len(alerts) && common; i++ {
			common = hasPair(pairs(&alerts[i]), l)
		}
		if common {
			dst = appendKey(dst, l.Name, first)
			dst = appendJSONString(dst, l.Value)
			first = false
		}
	}
	return append(dst, '}')
}

func hasPair(ls []connectors.Label, want connectors.Label) bool {
	for _, l := range ls {
		if l == want {
			return true
		}
	}
	return false
}

// appendWebhookRows appends the body of a row notification. A record
// value that is not valid JSON is sent as a JSON string; an empty one as
// null.
func appendWebhookRows(dst []byte, n *connectors.Notification) []byte {
	dst = append(dst, `{"sink":`...)
	dst = appendJSONString(dst, n.Sink)
	dst = appendKey(dst, "channel", false)
	dst = appendJSONString(dst, n.Channel)
	dst = appendKey(dst, "idempotencyKey", false)
	dst = appendJSONString(dst, n.Key)
	dst = appendKey(dst, "rows", false)
	dst = append(dst, '[')
	for i, r := range n.Records {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch {
		case len(r.Value) == 0:
			dst = append(dst, "null"...)
		case json.Valid(r.Value):
			dst = append(dst, r.Value...)
		default:
			dst = appendJSONString(dst, string(r.Value))
		}
	}
	dst = append(dst, ']')
	return append(dst, '}')
}

// notificationStatus is n.Status, or derived from the alerts when the
// producer left it zero.
func notificationStatus(n *connectors.Notification) connectors.AlertStatus {
	if n.Status != 0 {
		return n.Status
	}
	for i := range n.Alerts {
		if n.Alerts[i].Status == connectors.AlertFiring {
			return connectors.AlertFiring
		}
	}
	return connectors.AlertResolved
}
