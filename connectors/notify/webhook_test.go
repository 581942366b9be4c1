package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/connectors"
)

const wantAlert7 = `{"id":7,"status":"firing","labels":{"service":"api","host":"a"},
	"annotations":{"summary":"latency of api is 300 \"ms\"","avg_ms":"300"},"severity":"P1",
	"startsAt":"2026-03-01T12:00:00Z","firedAt":"2026-03-01T12:01:00Z","endsAt":"0001-01-01T00:00:00Z",
	"fingerprint":"fp7","flapping":false,"duplicates":0}`

const wantAlert8 = `{"id":8,"status":"resolved","labels":{"service":"api","host":"b c"},
	"annotations":{"avg_ms":"300"},"severity":"P3",
	"startsAt":"2026-03-01T12:00:00Z","firedAt":"2026-03-01T12:01:00Z","endsAt":"2026-03-01T12:05:00.5Z",
	"fingerprint":"fp8","flapping":true,"duplicates":2}`

func TestWebhookDefaultBody(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := newChannel(t, NewWebhook, map[string]string{"connector": "webhook", "url": rc.URL + "/hook", "labels": "service"})
	if err := ch.Send(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	assertHeaders(t, r, "k-42")
	if r.Path != "/hook" {
		t.Errorf("path %q", r.Path)
	}
	assertJSON(t, r.Body, `{"version":"4","sink":"pager","channel":"oncall","groupKey":"g-1",
		"status":"firing","groupLabels":{"service":"api"},
		"commonLabels":{"service":"api"},"commonAnnotations":{"avg_ms":"300"},
		"alerts":[`+wantAlert7+`,`+wantAlert8+`],
		"escalation":1,"summary":"","idempotencyKey":"k-42"}`)
	// Label objects keep their declared order.
	if !bytes.Contains(r.Body, []byte(`"labels":{"service":"api","host":"a"}`)) {
		t.Errorf("labels out of order: %s", r.Body)
	}
}

func TestWebhookStatusDerived(t *testing.T) {
	n := testNotification()
	n.Status = 0
	n.Alerts = n.Alerts[1:]
	n.GroupLabels = nil
	var got struct {
		Status       string            `json:"status"`
		GroupLabels  map[string]string `json:"groupLabels"`
		CommonLabels map[string]string `json:"commonLabels"`
	}
	if err := json.Unmarshal(appendWebhookAlerts(nil, n), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "resolved" || len(got.GroupLabels) != 0 || got.CommonLabels["host"] != "b c" {
		t.Fatalf("%+v", got)
	}
}

func TestWebhookRows(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := newChannel(t, NewWebhook, map[string]string{"url": rc.URL})
	n := &connectors.Notification{Sink: "rows", Channel: "default", Key: "r-1", Records: []connectors.Record{
		{Key: []byte("a"), Value: []byte(`{"service":"api","n":1}`)},
		{Key: []byte("b"), Value: []byte(`not json`)},
		{Key: []byte("c")},
	}}
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	assertHeaders(t, r, "r-1")
	assertJSON(t, r.Body, `{"sink":"rows","channel":"default","idempotencyKey":"r-1",
		"rows":[{"service":"api","n":1},"not json",null]}`)
}

func TestWebhookTemplate(t *testing.T) {
	rc := newReceiver(t, nil)
	tmpl := `{"text":"{{ .Sink | upper }} {{ join "," .GroupLabels }}",` +
		`"hosts":[{{ range $i, $a := .Alerts }}{{ if $i }},{{ end }}{{ label $a "host" | json }}{{ end }}],` +
		`"first":{{ json (index .Alerts 0).Fingerprint }},"ch":"{{ lower "ONCALL" }}"}`
	ch := newChannel(t, NewWebhook, map[string]string{"url": rc.URL, "template": tmpl, "content_type": "application/vnd.test+json"})
	if err := ch.Send(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.test+json" {
		t.Errorf("content type %q", ct)
	}
	assertJSON(t, r.Body, `{"text":"PAGER service=api","hosts":["a","b c"],"first":"fp7","ch":"oncall"}`)

	// A template that fails on a notification is permanent, and nothing
	// is posted.
	bad := newChannel(t, NewWebhook, map[string]string{"url": rc.URL, "template": `{{ label .Sink "x" }}`})
	err := bad.Send(context.Background(), testNotification())
	if se := sendError(t, err); !se.Permanent || !strings.Contains(se.Error(), "not an alert") {
		t.Fatalf("template failure: %+v", se)
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests after a failed template", n)
	}

	// A template that does not parse is rejected at creation.
	_, err = NewWebhook(connectors.ChannelSpec{Sink: "s", Name: "default", Options: map[string]string{"url": rc.URL, "template": "{{ .Sink "}})
	assertInvalid(t, err, "template")
	_, err = NewWebhook(connectors.ChannelSpec{Sink: "s", Name: "default", Options: map[string]string{"url": rc.URL, "template": "{{ nosuchfunc }}"}})
	assertInvalid(t, err, "template")
}

func TestFactoryValidation(t *testing.T) {
	cases := []struct {
		f      connectors.ChannelFactory
		opts   map[string]string
		option string
	}{
		{NewWebhook, map[string]string{}, "url"},
		{NewWebhook, map[string]string{"url": "ftp://x/y"}, "url"},
		{NewWebhook, map[string]string{"url": "http:///nohost"}, "url"},
		{NewWebhook, map[string]string{"url": "http://x", "timeout": "soon"}, "timeout"},
		{NewWebhook, map[string]string{"url": "http://x", "timeout": "-1s"}, "timeout"},
		{NewWebhook, map[string]string{"url": "http://x", "timeout": "1 month"}, "timeout"},
		{NewSlack, map[string]string{"url": " "}, "url"},
		{NewPagerDuty, map[string]string{}, "routing_key"},
		{NewPagerDuty, map[string]string{"routing_key": "k", "url": "nope"}, "url"},
		{NewDingTalk, map[string]string{}, "url"},
		{NewWeCom, map[string]string{"url": "http://x", "timeout": "0s"}, "timeout"},
		{NewEmail, map[string]string{"from": "a@b", "to": "c@d"}, "host"},
		{NewEmail, map[string]string{"host": "h", "to": "c@d"}, "from"},
		{NewEmail, map[string]string{"host": "h", "from": "a@b"}, "to"},
		{NewEmail, map[string]string{"host": "h", "from": "not an address", "to": "c@d"}, "from"},
		{NewEmail, map[string]string{"host": "h", "from": "a@b", "to": "c@d, not an address"}, "to"},
		{NewEmail, map[string]string{"host": "h", "from": "a@b", "to": "c@d", "port": "99999"}, "port"},
		{NewEmail, map[string]string{"host": "h", "from": "a@b", "to": "c@d", "starttls": "maybe"}, "starttls"},
		{NewEmail, map[string]string{"host": "h", "from": "a@b", "to": "c@d", "password": "p"}, "username"},
	}
	for i, c := range cases {
		_, err := c.f(connectors.ChannelSpec{Sink: "s", Name: "default", Options: c.opts})
		t.Run(c.option, func(t *testing.T) {
			if err == nil {
				t.Fatalf("case %d: %v accepted", i, c.opts)
			}
			assertInvalid(t, err, c.option)
		})
	}
	// SQL intervals and Go durations are both accepted; unknown options
	// are ignored.
	for _, d := range []string{"250ms", "2 seconds", "1 minute"} {
		if _, err := NewWebhook(connectors.ChannelSpec{Options: map[string]string{"url": "https://x/y", "timeout": d, "for": "1 minute"}}); err != nil {
			t.Errorf("timeout %q: %v", d, err)
		}
	}
	pd, err := NewPagerDuty(connectors.ChannelSpec{Options: map[string]string{"routing_key": "k"}})
	if err != nil || pd.(*PagerDuty).url != defaultPagerDutyURL {
		t.Fatalf("pagerduty default url: %v", err)
	}
	r := connectors.NewChannelRegistry()
	Register(r)
	if got := strings.Join(r.Names(), ","); got != "dingtalk,email,pagerduty,slack,webhook,wecom" {
		t.Fatalf("registered %s", got)
	}
}
