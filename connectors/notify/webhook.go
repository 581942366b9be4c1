package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"text/template"

	"github.com/tocsin-db/tocsin/connectors"
)

// Webhook options (besides url and timeout).
const (
	optTemplate    = "template"
	optContentType = "content_type"
)

// Webhook posts notifications to a URL: by default as Alertmanager's
// webhook (version 4) JSON, or as the output of a user template.
type Webhook struct {
	sender      *httpSender
	url         string
	contentType string
	tmpl        *template.Template // nil: the default body
	// sizeHint is the size of the last body: each body gets a fresh
	// buffer (the transport may read it after Send returns) of about
	// the right size. It is atomic because Send runs concurrently.
	sizeHint atomic.Int64
}

var _ connectors.Channel = (*Webhook)(nil)

// NewWebhook is the ChannelFactory of the "webhook" connector.
func NewWebhook(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("webhook", spec)
	target, sender, err := httpEndpoint(o, "")
	if err != nil {
		return nil, err
	}
	w := &Webhook{sender: sender, url: target, contentType: contentJSON}
	if ct := o.get(optContentType); ct != "" {
		w.contentType = ct
	}
	if text, ok := spec.Options[optTemplate]; ok {
		t, err := template.New(spec.Name).Funcs(templateFuncs).Parse(text)
		if err != nil {
			return nil, o.invalid(optTemplate, "%v", err)
		}
		w.tmpl = t
	}
	return w, nil
}

// Send posts n once.
func (w *Webhook) Send(ctx context.Context, n *connectors.Notification) error {
	body, err := w.encode(n)
	if err != nil {
		return err
	}
	return w.sender.post(ctx, w.url, w.contentType, n.Key, body, nil)
}

// encode renders n's body. A template that fails on n is a permanent
// failure.
func (w *Webhook) encode(n *connectors.Notification) ([]byte, error) {
	if w.tmpl != nil {
		var b bytes.Buffer
		if err := w.tmpl.Execute(&b, n); err != nil {
			return nil, &connectors.SendError{Permanent: true, Err: fmt.Errorf("webhook template: %w", err)}
		}
		return b.Bytes(), nil
	}
	buf := make([]byte, 0, max(int(w.sizeHint.Load()), 512))
	if len(n.Records) > 0 {
		buf = appendWebhookRows(buf, n)
	} else {
		buf = appendWebhookAlerts(buf, n)
	}
	w.sizeHint.Store(int64(len(buf)))
	return buf, nil
}

// Close releases the channel's idle connections.
func (w *Webhook) Close() error {
	w.sender.close()
	return nil
}

// templateFuncs are the functions webhook templates may call.
var templateFuncs = template.FuncMap{
	"json":  templateJSON,
	"join":  templateJoin,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"label": templateLabel,
}

// templateJSON renders v as JSON.
func templateJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// templateJoin joins strings, or labels as name=value pairs, with sep:
// {{ join ", " .GroupLabels }}.
func templateJoin(sep string, v any) (string, error) {
	switch v := v.(type) {
	case []string:
		return strings.Join(v, sep), nil
	case []connectors.Label:
		parts := make([]string, len(v))
		for i, l := range v {
			parts[i] = l.Name + "=" + l.Value
		}
		return strings.Join(parts, sep), nil
	}
	return "", fmt.Errorf("join: cannot join %T", v)
}

// templateLabel returns an alert's label or annotation by name ("" when
// absent): {{ label . "service" }} inside {{ range .Alerts }}.
func templateLabel(a any, name string) (string, error) {
	switch a := a.(type) {
	case connectors.Alert:
		v, _ := a.Label(name)
		return v, nil
	case *connectors.Alert:
		v, _ := a.Label(name)
		return v, nil
	}
	return "", fmt.Errorf("label: %T is not an alert", a)
}
