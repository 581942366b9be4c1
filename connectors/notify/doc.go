// Package notify owns the alert channels that speak HTTP or SMTP:
// webhook, slack, pagerduty, dingtalk, wecom and email. Each is a
// connectors.ChannelFactory (Register adds them all to a
// connectors.ChannelRegistry); the Kafka channel lives in
// connectors/kafka, the only package that may import kafka-go.
//
// # Contract and ownership
//
// A factory validates the channel's WITH options and never connects;
// a bad or missing option is a *sqlerr.Error with SQLSTATE 22023 that
// names it. Options a channel does not know are ignored, because a sink's
// default channel is handed the sink's own options too.
//
// Send renders the payload and makes exactly one attempt (PagerDuty: one
// request per alert). It returns nil, ctx's error when ctx ended, or a
// *connectors.SendError; retries, deadlines and health belong to the
// dispatcher (engine/delivery). Send may be called concurrently for
// different notifications: a channel holds no per-notification state
// (the HTTP channels share one http.Client, which is safe for concurrent
// use; email dials per Send; the webhook's body size hint is an atomic),
// so a Channel value may be reused for any number of sends. Close releases idle connections
// (email holds none: every Send dials).
//
// # HTTP (every channel but email)
//
// One sender (http.go) posts the body with Content-Type (JSON unless the
// webhook's content_type says otherwise), User-Agent "tocsin" and
// Idempotency-Key: the notification's Key (PagerDuty: Key + "/" +
// fingerprint, one per event). Options: url (required, except for
// pagerduty, which defaults to https://events.pagerduty.com/v2/enqueue)
// and timeout (a Go duration or SQL interval, default 10s, bounding one
// request). Redirects are not followed. The outcome:
//
//	2xx                         success (DingTalk, WeCom: see below)
//	429, 503                    retryable, RetryAfter from Retry-After
//	                            (delay seconds or an HTTP date)
//	408, other 5xx              retryable
//	other 3xx and 4xx           permanent
//	network error, reset,       retryable, Status 0
//	timeout
//
// SendError.Response keeps the first KiB of the reply. Error messages
// name only the endpoint's scheme and host: chat webhook URLs carry their
// tokens.
//
// # Payloads
//
// webhook, an alert notification (Alertmanager's webhook version 4 plus
// Tocsin's fields; label objects keep the declared order; times are
// RFC 3339 UTC with nanoseconds, a zero time is "0001-01-01T00:00:00Z" as
// in Alertmanager; commonLabels/commonAnnotations are the pairs every
// alert shares):
//
//	{"version":"4","sink":"pager","channel":"default","groupKey":"...",
//	 "status":"firing","groupLabels":{"service":"api"},
//	 "commonLabels":{...},"commonAnnotations":{...},
//	 "alerts":[{"id":7,"status":"firing","labels":{"service":"api"},
//	   "annotations":{"summary":"..."},"severity":"P1",
//	   "startsAt":"...","firedAt":"...","endsAt":"0001-01-01T00:00:00Z",
//	   "fingerprint":"9f0c...","flapping":false,"duplicates":0}],
//	 "escalation":0,"summary":"","idempotencyKey":"..."}
//
// webhook, a row notification (each Record.Value as raw JSON; a value
// that is not JSON is sent as a string, an empty one as null):
//
//	{"sink":"s","channel":"default","idempotencyKey":"...","rows":[{...},{...}]}
//
// With option template the body is instead a text/template executed over
// the *connectors.Notification, with the functions json (JSON of any
// value), join (sep, []string or []connectors.Label as name=value),
// upper, lower and label (alert, name: a label or annotation). A template
// that does not parse is rejected at creation (22023); one that fails on
// a notification is a permanent SendError.
//
// slack (incoming webhook):
//
//	{"text":"[FIRING:2] pager service=api",
//	 "attachments":[{"color":"danger","title":"2 firing, 0 resolved",
//	   "text":"firing P1 service=api host=a: latency is 300 ms\n..."}]}
//
// The color is "good" when resolved; the title is the storm summary when
// the notification has one.
//
// pagerduty (Events API v2, option routing_key required), one event per
// alert, dedup_key = fingerprint:
//
//	{"routing_key":"...","event_action":"trigger","dedup_key":"9f0c...",
//	 "payload":{"summary":"latency is 300 ms","source":"tocsin/pager",
//	   "severity":"error","custom_details":{<labels>,<annotations>}}}
//	{"routing_key":"...","event_action":"resolve","dedup_key":"9f0c..."}
//
// Severity maps P0 → critical, P1 → error, P2 → warning, else info. Row
// notifications are a permanent failure.
//
// dingtalk (custom robot; option secret signs the URL as DingTalk
// documents: timestamp = Unix ms, sign = url-escaped base64 of
// HmacSHA256(key secret, timestamp + "\n" + secret), appended as
// &timestamp=..&sign=..):
//
//	{"msgtype":"markdown","markdown":{"title":"<headline>","text":"### <headline>\n\n- <alert line>\n"}}
//
// wecom (group robot):
//
//	{"msgtype":"markdown","markdown":{"content":"### <headline>\n\n- <alert line>\n"}}
//
// Both robots answer 200 with {"errcode":N,"errmsg":...}: 0 is success,
// the rate-limit codes (DingTalk 130101, WeCom 45009) are retryable,
// other codes permanent, and a reply that is not a JSON object is
// retryable.
//
// # Text
//
// text.go renders what people read. An alert's summary is its "summary"
// annotation, else its labels as name=value pairs. The headline is
// "[FIRING:<firing alerts>] <sink> <group labels>" or "[RESOLVED] ...",
// with " (escalation n)" after an escalation; an alert line is
// "<status> <severity> <labels>: <summary annotation>".
//
// # Email
//
// Options host (required), port (25), from and to (required; to is a
// comma-separated address list), username and password (PLAIN auth when
// set; net/smtp refuses PLAIN over an unencrypted connection to a host
// other than localhost), starttls ('true' requires it, 'false' never
// uses it, absent: used when offered) and timeout (10s, bounding the
// whole exchange). Every Send dials, sends one message and quits. The
// subject is the headline; the body (quoted-printable UTF-8 text) lists
// each alert with its annotations, times and fingerprint. Message-ID is
// derived from the idempotency key (<hex of sha256(key)[:16]@tocsin>),
// which X-Tocsin-Idempotency-Key carries verbatim. SMTP 4xx replies and
// network errors are retryable; 5xx replies, a missing STARTTLS that was
// required, certificate errors and refused auth are permanent; Status is
// the reply code.
package notify
