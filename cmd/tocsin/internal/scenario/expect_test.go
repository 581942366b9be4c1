package scenario

import (
	"strings"
	"testing"
)

func TestParseExpected(t *testing.T) {
	x, err := ParseExpected(`
# comment
s  default  firing       P1  service=api  region=eu   # trailing comment
s  oncall   escalated-2  -   service=api
storm default resolved P3 node=edge-{08..11}
messages storm default 3
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s default firing P1 region=eu service=api",
		"s oncall escalated-2 - service=api",
		"storm default resolved P3 node=edge-08",
		"storm default resolved P3 node=edge-09",
		"storm default resolved P3 node=edge-10",
		"storm default resolved P3 node=edge-11",
	}
	if strings.Join(x.Events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s", strings.Join(x.Events, "\n"))
	}
	if x.Messages["storm default"] != 3 || len(x.Messages) != 1 {
		t.Errorf("messages: %v", x.Messages)
	}
	for _, bad := range []string{
		"s default pending P1 a=b",
		"s default firing P5 a=b",
		"s default firing",
		"s default firing P1 novalue",
		"s default escalated-0 P1 a=b",
		"messages s default many",
		"s default firing P1 a={3..1}",
		"s default firing P1 a={0..999999}",
	} {
		if _, err := ParseExpected(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestDiff(t *testing.T) {
	x, err := ParseExpected("s c firing P1 k=a\ns c firing P1 k=a\ns c resolved P1 k=a\nmessages s c 2")
	if err != nil {
		t.Fatal(err)
	}
	ev := func(status string) Event {
		return Event{Sink: "s", Channel: "c", Status: status, Severity: "P1", Labels: []Label{{"k", "a"}}}
	}
	msgs := []Message{{Sink: "s", Channel: "c", Events: []Event{ev("firing"), ev("resolved")}}}
	d := x.Diff(msgs)
	if len(d.Missing) != 1 || d.Missing[0] != "s c firing P1 k=a" || len(d.Unexpected) != 0 || len(d.Counts) != 1 || d.Empty() {
		t.Fatalf("diff: %+v", d)
	}
	msgs = append(msgs, Message{Sink: "s", Channel: "c", Events: []Event{ev("firing")}})
	if d := x.Diff(msgs); !d.Empty() {
		t.Fatalf("diff of the expected notifications: %s", d)
	}
	msgs = append(msgs, Message{Sink: "other", Channel: "c", Events: []Event{ev("firing")}})
	if d := x.Diff(msgs); len(d.Unexpected) != 1 || !strings.Contains(d.String(), "unexpected (1):\n  s c firing P1 k=a") {
		t.Fatalf("diff with one more: %s", d)
	}
}

func FuzzParseExpected(f *testing.F) {
	f.Add("s c firing P1 a=b\nmessages s c 1\n")
	f.Add("s c resolved - n=e-{1..3}{01..02} # x")
	f.Add("s c escalated-1 P0 a=b=c")
	f.Fuzz(func(t *testing.T, text string) {
		x, err := ParseExpected(text)
		if err != nil {
			return
		}
		if len(x.Events) > maxExpanded {
			t.Fatalf("%d events", len(x.Events))
		}
	})
}

func TestSubstitute(t *testing.T) {
	got, err := Substitute("url = '${RECEIVER}/slack', brokers = '${KAFKA}', cost = '$5 {x}'", map[string]string{"RECEIVER": "http://r", "KAFKA": "k:1"})
	if err != nil || got != "url = 'http://r/slack', brokers = 'k:1', cost = '$5 {x}'" {
		t.Fatalf("%q, %v", got, err)
	}
	if _, err := Substitute("${NOPE}", nil); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Fatalf("missing variable: %v", err)
	}
}

// TestScenariosAreWellFormed checks what the playground and the tests
// rely on: unique names, SQL with both placeholders and no other, an
// expected-alerts file that parses and is not empty, and deterministic
// generators whose steps are in order and write only to declared
// topics.
func TestScenariosAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range All() {
		if seen[sc.Name] || sc.Name == "list" || sc.Title == "" {
			t.Errorf("scenario %q: duplicate, reserved or untitled", sc.Name)
		}
		seen[sc.Name] = true
		if _, err := Substitute(sc.SQL, map[string]string{"KAFKA": "k", "RECEIVER": "r"}); err != nil || !strings.Contains(sc.SQL, "${KAFKA}") || !strings.Contains(sc.SQL, "${RECEIVER}") {
			t.Errorf("scenario %s: SQL placeholders: %v", sc.Name, err)
		}
		x, err := ParseExpected(sc.Expected)
		if err != nil || len(x.Events) == 0 {
			t.Errorf("scenario %s: expected alerts: %v", sc.Name, err)
		}
		if sc.StepEvery <= 0 || sc.Settle <= 0 || len(sc.Topics) == 0 {
			t.Errorf("scenario %s: StepEvery %v, Settle %v, Topics %v", sc.Name, sc.StepEvery, sc.Settle, sc.Topics)
		}
		if _, ok := Lookup(sc.Name); !ok {
			t.Errorf("Lookup(%q) failed", sc.Name)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown scenario succeeded")
	}
}
