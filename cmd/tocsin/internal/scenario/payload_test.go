package scenario

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/notify"
)

// notification is a notification as the engine makes them: labels in
// declared order, one of them needing quotes, an escalation, a summary
// annotation with ": " in it.
func notification(sink, channel string) *connectors.Notification {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return &connectors.Notification{
		Sink: sink, Channel: channel, Key: "k1", Escalation: 1,
		GroupLabels: []connectors.Label{{Name: "service", Value: "api"}},
		Alerts: []connectors.Alert{
			{ID: 1, Fingerprint: "f1", Status: connectors.AlertFiring, Severity: "P1", StartsAt: at, FiredAt: at,
				Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "region", Value: "eu west"}},
				Annotations: []connectors.Label{{Name: "summary", Value: "api: 12% failed: look"}, {Name: "n", Value: "5"}}},
			{ID: 2, Fingerprint: "f2", Status: connectors.AlertResolved, StartsAt: at, FiredAt: at, EndsAt: at,
				Labels: []connectors.Label{{Name: "service", Value: "db"}, {Name: "region", Value: "x=y"}}},
		},
	}
}

// TestReceiverReadsChannels sends notifications through the real
// webhook and Slack channels to a Receiver and checks what it recorded
// and printed.
func TestReceiverReadsChannels(t *testing.T) {
	var out bytes.Buffer
	rcv, err := StartReceiver(ReceiverOptions{Out: &out, Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 5, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	send := func(factory connectors.ChannelFactory, url string, n *connectors.Notification) {
		t.Helper()
		ch, err := factory(connectors.ChannelSpec{Sink: n.Sink, Name: n.Channel, Options: map[string]string{"url": url}})
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		if err := ch.Send(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	send(notify.NewWebhook, rcv.URL()+"/webhook", notification("rule", "oncall"))
	send(notify.NewSlack, rcv.URL()+"/slack/chat", notification("rule", "chat"))
	storm := notification("storm", "default")
	storm.Escalation, storm.Summary = 0, "2 notifications for 2 alerts folded: ..."
	send(notify.NewSlack, rcv.URL()+"/slack", storm)
	send(notify.NewWebhook, rcv.URL(), storm)
	if err := rcv.Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range rcv.Events() {
		got = append(got, ev.Key()+" | "+ev.Summary+" | folded="+map[bool]string{true: "y", false: "n"}[ev.Folded])
	}
	want := []string{
		`rule oncall escalated-1 P1 region=eu west service=api | api: 12% failed: look | folded=n`,
		`rule oncall resolved - region=x=y service=db |  | folded=n`,
		`rule chat escalated-1 P1 region=eu west service=api | api: 12% failed: look | folded=n`,
		`rule chat resolved - region=x=y service=db |  | folded=n`,
		`storm default firing P1 region=eu west service=api | api: 12% failed: look | folded=y`,
		`storm default resolved - region=x=y service=db |  | folded=y`,
		`storm default firing P1 region=eu west service=api | api: 12% failed: look | folded=y`,
		`storm default resolved - region=x=y service=db |  | folded=y`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ms := rcv.Messages(); len(ms) != 4 || ms[1].Format != "slack" || ms[2].Summary == "" || ms[0].Summary != "" {
		t.Errorf("messages: %+v", ms)
	}
	// The labels keep the payload's order on the console.
	if !strings.Contains(out.String(), "09:00:05  ESCALATED:1 P1  rule → oncall  service=api region=eu west  api: 12% failed: look\n") ||
		!strings.Contains(out.String(), "FOLDED      storm → default  2 notifications for 2 alerts folded\n") {
		t.Errorf("console:\n%s", out.String())
	}
}

func TestReceiverRejectsBadPayloads(t *testing.T) {
	rcv, err := StartReceiver(ReceiverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	ch, err := notify.NewWebhook(connectors.ChannelSpec{Sink: "s", Name: "default", Options: map[string]string{"url": rcv.URL() + "/slack"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	err = ch.Send(context.Background(), notification("s", "default"))
	var se *connectors.SendError
	if err == nil || !asSendError(err, &se) || !se.Permanent {
		t.Fatalf("a webhook body posted to /slack: %v, want a permanent failure", err)
	}
	if rcv.Err() == nil || len(rcv.Messages()) != 0 {
		t.Errorf("receiver: err %v, messages %d", rcv.Err(), len(rcv.Messages()))
	}
}

func asSendError(err error, target **connectors.SendError) bool {
	se, ok := err.(*connectors.SendError)
	*target = se
	return ok
}

func TestParseAlertLine(t *testing.T) {
	for _, c := range []struct{ line, want, summary string }{
		{"firing P1 service=api: checkout: 15% failed", "firing P1 service=api", "checkout: 15% failed"},
		{"resolved service=api region=eu", "resolved - region=eu service=api", ""},
		{`firing P3 node="edge 1" site=s:1: lost 40%`, "firing P3 node=edge 1 site=s:1", "lost 40%"},
		{`firing P0 k="a: b": x (flapping)`, "firing P0 k=a: b", "x (flapping)"},
		{"firing P2", "firing P2", ""},
	} {
		ev, err := ParseAlertLine(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got := strings.TrimPrefix(ev.Key(), "  "); got != c.want || ev.Summary != c.summary {
			t.Errorf("%q: %q / %q, want %q / %q", c.line, got, ev.Summary, c.want, c.summary)
		}
	}
	for _, bad := range []string{"", "pending P1 a=b", "firing P1 nolabel", `firing a="unterminated`} {
		if _, err := ParseAlertLine(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseAlertLine(f *testing.F) {
	for _, s := range []string{"firing P1 service=api: x", `resolved a="b c" d=e`, "firing", `firing k="\x00":`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, err := ParseAlertLine(line)
		if err != nil {
			return
		}
		if ev.Status != "firing" && ev.Status != "resolved" {
			t.Fatalf("status %q", ev.Status)
		}
		_ = ev.Key()
	})
}

func FuzzParsePayloads(f *testing.F) {
	f.Add([]byte(`{"sink":"s","channel":"c","alerts":[{"status":"firing","labels":{"a":"b"},"annotations":{"summary":"x"}}]}`))
	f.Add([]byte(`{"text":"[FIRING:1] s a=b (escalation 2)","attachments":[{"title":"1 firing, 0 resolved","text":"firing P1 a=b: x"}]}`))
	f.Add([]byte(`{"sink":"s","alerts":[{"status":"firing","labels":[]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, parse := range []func([]byte) (Message, error){ParseWebhook, func(b []byte) (Message, error) { return ParseSlack(b, "c") }} {
			m, err := parse(body)
			if err != nil {
				continue
			}
			for _, ev := range m.Events {
				if ev.Status != "firing" && ev.Status != "resolved" {
					t.Fatalf("status %q", ev.Status)
				}
			}
		}
	})
}
