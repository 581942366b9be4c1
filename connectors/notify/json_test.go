package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/connectors"
)

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"":                `""`,
		"plain":           `"plain"`,
		`q"b\`:            `"q\"b\\"`,
		"a\nb\r\tc\x01":   `"a\nb\r\tc\u0001"`,
		"é中\u2028x\u2029": `"é中\u2028x\u2029"`,
		"bad\xffutf8":     `"bad\ufffdutf8"`,
		"<&>":             `"<&>"`,
	} {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzAppendJSONString checks that every string encodes to valid JSON
// that decodes back to it (invalid UTF-8 aside, which becomes U+FFFD).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", `"\`, "\x00\x1f\x7f", "\u2028", "\xff\xfe", "日本", "a\"b\\c\nd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString([]byte("x"), s)[1:]
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatalf("%q encoded to invalid JSON %s: %v", s, enc, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want && utf8.ValidString(s) {
			t.Fatalf("%q round-tripped to %q", s, back)
		}
	})
}

func TestAppendAlertJSONExtra(t *testing.T) {
	n := testNotification()
	got := AppendAlertJSON(nil, &n.Alerts[0], connectors.Label{Name: "sink", Value: "pager"}, connectors.Label{Name: "idempotencyKey", Value: "k"})
	want := strings.TrimSuffix(strings.TrimSpace(wantAlert7), "}") + `,"sink":"pager","idempotencyKey":"k"}`
	assertJSON(t, got, want)
}

func TestTextRendering(t *testing.T) {
	a := &connectors.Alert{Status: connectors.AlertFiring, Labels: []connectors.Label{{Name: "a", Value: ""}, {Name: "b", Value: "x=y"}, {Name: "c", Value: "ok"}}}
	if got := alertSummary(a); got != `a="" b="x=y" c=ok` {
		t.Errorf("summary without annotation: %s", got)
	}
	a.Annotations = []connectors.Label{{Name: "summary", Value: "hi"}}
	if got := alertSummary(a); got != "hi" {
		t.Errorf("summary: %s", got)
	}
	rows := &connectors.Notification{Sink: "s", Records: make([]connectors.Record, 3)}
	if got := headline(rows); got != "[ROWS:3] s" {
		t.Errorf("rows headline %q", got)
	}
	for _, c := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 6, "abc…"},
		{"ééééé", 6, "é…"},
	} {
		if got := truncate(c.s, c.max); got != c.want || len(got) > c.max {
			t.Errorf("truncate(%q, %d) = %q", c.s, c.max, got)
		}
	}
}

// benchNotification is a group of n alerts with a few labels and
// annotations each.
func benchNotification(alerts int) *connectors.Notification {
	n := testNotification()
	n.Alerts = make([]connectors.Alert, alerts)
	for i := range n.Alerts {
		n.Alerts[i] = connectors.Alert{
			ID: int64(i), Fingerprint: fmt.Sprintf("%016x", i*7919),
			Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "host", Value: fmt.Sprintf("host-%03d", i)}, {Name: "region", Value: "eu-west-1"}},
			Annotations: []connectors.Label{{Name: "summary", Value: fmt.Sprintf("latency of host-%03d is %d ms", i, 100+i)}, {Name: "avg_ms", Value: fmt.Sprint(100 + i)}},
			Status:      connectors.AlertFiring, Severity: "P1", StartsAt: t0, FiredAt: t1,
		}
	}
	return n
}

func BenchmarkWebhookEncode(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("alerts=%d", size), func(b *testing.B) {
			n := benchNotification(size)
			buf := appendWebhookAlerts(nil, n)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = appendWebhookAlerts(buf[:0], n)
			}
		})
	}
	b.Run("channel/alerts=10", func(b *testing.B) {
		// What Send pays before the network: a fresh, right-sized buffer.
		w := &Webhook{contentType: contentJSON}
		n := benchNotification(10)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.encode(n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
