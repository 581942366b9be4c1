package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

func TestSlack(t *testing.T) {
	rc := newReceiver(t, nil)
	ch := newChannel(t, NewSlack, map[string]string{"url": rc.URL + "/services/T/B/X"})
	if err := ch.Send(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	assertHeaders(t, r, "k-42")
	assertJSON(t, r.Body, `{"text":"[FIRING:1] pager service=api (escalation 1)",
		"attachments":[{"color":"danger","title":"1 firing, 1 resolved",
		"text":"firing P1 service=api host=a: latency of api is 300 \"ms\"\nresolved P3 service=api host=\"b c\" (flapping) (+2 duplicates)"}]}`)

	// Resolved, with a storm summary.
	n := testNotification()
	n.Status = connectors.AlertResolved
	n.Escalation = 0
	n.Summary = "37 notifications folded"
	n.Alerts = n.Alerts[1:]
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, rc.requests()[1].Body, `{"text":"[RESOLVED] pager service=api",
		"attachments":[{"color":"good","title":"37 notifications folded",
		"text":"resolved P3 service=api host=\"b c\" (flapping) (+2 duplicates)"}]}`)
}

func TestPagerDuty(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"success","dedup_key":"x"}`))
	})
	ch := newChannel(t, NewPagerDuty, map[string]string{"routing_key": "R0UT1NG", "url": rc.URL + "/v2/enqueue"})
	n := testNotification()
	n.Alerts = append(n.Alerts, connectors.Alert{Fingerprint: "fp9", Status: connectors.AlertFiring, Severity: "P0",
		Labels: []connectors.Label{{Name: "service", Value: "db"}}})
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want one per alert", len(reqs))
	}
	for i, fp := range []string{"fp7", "fp8", "fp9"} {
		assertHeaders(t, reqs[i], "k-42/"+fp)
		if reqs[i].Path != "/v2/enqueue" {
			t.Errorf("path %q", reqs[i].Path)
		}
	}
	assertJSON(t, reqs[0].Body, `{"routing_key":"R0UT1NG","event_action":"trigger","dedup_key":"fp7",
		"payload":{"summary":"latency of api is 300 \"ms\"","source":"tocsin/pager","severity":"error",
		"custom_details":{"service":"api","host":"a","summary":"latency of api is 300 \"ms\"","avg_ms":"300"}}}`)
	assertJSON(t, reqs[1].Body, `{"routing_key":"R0UT1NG","event_action":"resolve","dedup_key":"fp8"}`)
	assertJSON(t, reqs[2].Body, `{"routing_key":"R0UT1NG","event_action":"trigger","dedup_key":"fp9",
		"payload":{"summary":"service=db","source":"tocsin/pager","severity":"critical","custom_details":{"service":"db"}}}`)

	for sev, want := range map[string]string{"P0": "critical", "P1": "error", "P2": "warning", "P3": "info", "": "info"} {
		if got := pdSeverity(sev); got != want {
			t.Errorf("pdSeverity(%q) = %q, want %q", sev, got, want)
		}
	}

	// The first failing event fails the notification.
	var calls atomic.Int32
	failing := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	ch = newChannel(t, NewPagerDuty, map[string]string{"routing_key": "R", "url": failing.URL})
	se := sendError(t, ch.Send(context.Background(), n))
	if se.Permanent || se.Status != 429 || len(failing.requests()) != 2 {
		t.Fatalf("failing event: %+v after %d requests", se, len(failing.requests()))
	}

	// Rows cannot be paged.
	rows := &connectors.Notification{Sink: "s", Records: []connectors.Record{{Value: []byte("{}")}}}
	if !connectors.IsPermanent(ch.Send(context.Background(), rows)) {
		t.Fatal("rows accepted")
	}
}

func TestDingTalkSignedAndErrcodes(t *testing.T) {
	var reply atomic.Value
	reply.Store(`{"errcode":0,"errmsg":"ok"}`)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(reply.Load().(string))) })
	ch := newChannel(t, NewDingTalk, map[string]string{"url": rc.URL + "/robot/send?access_token=TOKEN", "secret": "SEC+/="})
	now := time.UnixMilli(1767225600123)
	ch.(*DingTalk).sender.now = func() time.Time { return now }
	n := testNotification()
	n.Alerts = n.Alerts[:1]
	n.Escalation = 0
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	assertHeaders(t, r, "k-42")
	assertJSON(t, r.Body, `{"msgtype":"markdown","markdown":{"title":"[FIRING:1] pager service=api",
		"text":"### [FIRING:1] pager service=api\n\n- firing P1 service=api host=a: latency of api is 300 \"ms\"\n"}}`)

	// The signature, computed independently of dingTalkSign.
	mac := hmac.New(sha256.New, []byte("SEC+/="))
	fmt.Fprintf(mac, "%d\n%s", int64(1767225600123), "SEC+/=")
	wantSign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("access_token") != "TOKEN" || q.Get("timestamp") != "1767225600123" || q.Get("sign") != wantSign {
		t.Fatalf("query %q; want sign %q", r.Query, wantSign)
	}
	if !strings.HasPrefix(r.Query, "access_token=TOKEN&timestamp=1767225600123&sign=") {
		t.Fatalf("query %q", r.Query)
	}

	for _, c := range []struct {
		reply     string
		ok        bool
		permanent bool
	}{
		{`{"errcode":130101,"errmsg":"send too fast"}`, false, false},
		{`{"errcode":310000,"errmsg":"sign not match"}`, false, true},
		{`{"errcode":45009,"errmsg":"wecom code means nothing here"}`, false, true},
		{`<html>proxy</html>`, false, false},
		{`{"status":"ok"}`, true, false},
	} {
		reply.Store(c.reply)
		err := ch.Send(context.Background(), n)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.reply, err)
			}
			continue
		}
		se := sendError(t, err)
		if se.Permanent != c.permanent || se.Status != 200 || se.Response != c.reply {
			t.Errorf("%s: %+v", c.reply, se)
		}
	}

	// Without a secret the URL is untouched.
	plain := newChannel(t, NewDingTalk, map[string]string{"url": rc.URL + "/robot/send?access_token=T2"})
	reply.Store(`{"errcode":0}`)
	if err := plain.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if reqs := rc.requests(); reqs[len(reqs)-1].Query != "access_token=T2" {
		t.Fatalf("unsigned query %q", reqs[len(reqs)-1].Query)
	}
}

func TestWeCom(t *testing.T) {
	var reply atomic.Value
	reply.Store(`{"errcode":0,"errmsg":"ok"}`)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(reply.Load().(string))) })
	ch := newChannel(t, NewWeCom, map[string]string{"url": rc.URL + "/cgi-bin/webhook/send?key=K"})
	n := testNotification()
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	r := rc.only(t)
	assertHeaders(t, r, "k-42")
	assertJSON(t, r.Body, `{"msgtype":"markdown","markdown":{"content":
		"### [FIRING:1] pager service=api (escalation 1)\n\n- firing P1 service=api host=a: latency of api is 300 \"ms\"\n- resolved P3 service=api host=\"b c\" (flapping) (+2 duplicates)\n"}}`)

	for _, c := range []struct {
		reply     string
		permanent bool
	}{
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, false},
		{`{"errcode":93000,"errmsg":"invalid webhook url"}`, true},
	} {
		reply.Store(c.reply)
		se := sendError(t, ch.Send(context.Background(), n))
		if se.Permanent != c.permanent || !strings.Contains(se.Error(), "errcode") {
			t.Errorf("%s: %+v", c.reply, se)
		}
	}

	// Long content is cut to WeCom's limit.
	n.Summary = strings.Repeat("长", 3000)
	reply.Store(`{"errcode":0}`)
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	var msg weComMessage
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Markdown.Content) > maxWeComContent || !strings.HasSuffix(msg.Markdown.Content, "长…") {
		t.Fatalf("content of %d bytes ends %q", len(msg.Markdown.Content), msg.Markdown.Content[len(msg.Markdown.Content)-8:])
	}
}
