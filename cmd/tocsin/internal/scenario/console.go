package scenario

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// foldedShown is how many alerts of a storm-control summary the console
// prints before "... and N more".
const foldedShown = 3

// printMessage prints m: one line per alert state change,
//
//	12:00:31  FIRING      P1  high_error_rate → default  service=checkout  checkout: 15.3% of 118 requests failed
//
// and, for a storm-control summary, its summary line and the first
// alerts it folded.
func printMessage(w io.Writer, at time.Time, m Message) {
	stamp := at.Format(time.TimeOnly)
	events := m.Events
	if m.Summary != "" {
		// "290 notifications for 290 alerts folded: <each alert>": the
		// alerts follow, one a line.
		summary, _, _ := strings.Cut(m.Summary, ": ")
		fmt.Fprintf(w, "%s  FOLDED      %s → %s  %s\n", stamp, m.Sink, m.Channel, summary)
		if len(events) > foldedShown {
			defer fmt.Fprintf(w, "%s              ... and %d more\n", stamp, len(events)-foldedShown)
			events = events[:foldedShown]
		}
	}
	for _, ev := range events {
		fmt.Fprintf(w, "%s  %s\n", stamp, ev.Line())
	}
}

// Line renders ev for the console.
func (ev Event) Line() string {
	var b strings.Builder
	state := strings.ToUpper(ev.Status)
	if ev.Escalation > 0 && ev.Status == "firing" {
		state = fmt.Sprintf("ESCALATED:%d", ev.Escalation)
	}
	sev := ev.Severity
	if sev == "" {
		sev = "--"
	}
	fmt.Fprintf(&b, "%-11s %s  %s → %s ", state, sev, ev.Sink, ev.Channel)
	for _, l := range ev.Labels {
		fmt.Fprintf(&b, " %s=%s", l.Name, l.Value)
	}
	if ev.Summary != "" {
		b.WriteString("  ")
		b.WriteString(ev.Summary)
	}
	if ev.Folded {
		b.WriteString("  (folded)")
	}
	return b.String()
}
