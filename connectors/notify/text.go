package notify

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/connectors"
)

// Text rendering shared by the human-facing channels (slack, dingtalk,
// wecom, email, pagerduty summaries).

// summaryAnnotation is the annotation whose value summarises an alert.
const summaryAnnotation = "summary"

// labelPairs renders labels as space-separated name=value pairs; a value
// that is empty or holds a space, a quote or '=' is quoted.
func labelPairs(ls []connectors.Label) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l.Name)
		b.WriteByte('=')
		if l.Value == "" || strings.ContainsAny(l.Value, " \t\n\"=") {
			b.WriteString(strconv.Quote(l.Value))
		} else {
			b.WriteString(l.Value)
		}
	}
	return b.String()
}

// annotation returns the value of a's annotation name ("" if absent).
func annotation(a *connectors.Alert, name string) string {
	for _, l := range a.Annotations {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// alertSummary is a's "summary" annotation when present, else its labels
// as name=value pairs.
func alertSummary(a *connectors.Alert) string {
	if s := annotation(a, summaryAnnotation); s != "" {
		return s
	}
	return labelPairs(a.Labels)
}

// alertLine renders one alert on one line: status, severity, labels and
// the summary annotation ("firing P1 service=api: latency is 300 ms").
func alertLine(a *connectors.Alert) string {
	var b strings.Builder
	b.WriteString(a.Status.String())
	if a.Severity != "" {
		b.WriteByte(' ')
		b.WriteString(a.Severity)
	}
	if len(a.Labels) > 0 {
		b.WriteByte(' ')
		b.WriteString(labelPairs(a.Labels))
	}
	if s := annotation(a, summaryAnnotation); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	if a.Flapping {
		b.WriteString(" (flapping)")
	}
	if a.Duplicates > 0 {
		fmt.Fprintf(&b, " (+%d duplicates)", a.Duplicates)
	}
	return b.String()
}

// countFiring returns how many of n's alerts fire.
func countFiring(n *connectors.Notification) int {
	k := 0
	for i := range n.Alerts {
		if n.Alerts[i].Status == connectors.AlertFiring {
			k++
		}
	}
	return k
}

// headline is the one-line title of a notification, as email subjects
// and chat titles use it: "[FIRING:2] pager service=api",
// "[RESOLVED] pager service=api", "[ROWS:3] sink" for a row batch, with
// " (escalation n)" after an escalation.
func headline(n *connectors.Notification) string {
	var b strings.Builder
	switch {
	case len(n.Records) > 0:
		fmt.Fprintf(&b, "[ROWS:%d]", len(n.Records))
	case notificationStatus(n) == connectors.AlertFiring:
		fmt.Fprintf(&b, "[FIRING:%d]", countFiring(n))
	default:
		b.WriteString("[RESOLVED]")
	}
	b.WriteByte(' ')
	b.WriteString(n.Sink)
	if len(n.GroupLabels) > 0 {
		b.WriteByte(' ')
		b.WriteString(labelPairs(n.GroupLabels))
	}
	if n.Escalation > 0 {
		fmt.Fprintf(&b, " (escalation %d)", n.Escalation)
	}
	return b.String()
}

// detailLines renders the body lines of a notification: the storm
// summary if any, then one line per alert (or per row, its JSON value).
func detailLines(n *connectors.Notification) []string {
	lines := make([]string, 0, len(n.Alerts)+len(n.Records)+1)
	if n.Summary != "" {
		lines = append(lines, n.Summary)
	}
	for i := range n.Alerts {
		lines = append(lines, alertLine(&n.Alerts[i]))
	}
	for _, r := range n.Records {
		lines = append(lines, string(r.Value))
	}
	return lines
}

// markdown renders a notification as the Markdown subset DingTalk and
// WeCom robots display: a heading, the storm summary, a bullet per alert.
func markdown(n *connectors.Notification) string {
	var b strings.Builder
	b.WriteString("### ")
	b.WriteString(headline(n))
	b.WriteString("\n")
	if n.Summary != "" {
		b.WriteString("\n")
		b.WriteString(n.Summary)
		b.WriteString("\n")
	}
	if len(n.Alerts)+len(n.Records) > 0 {
		b.WriteString("\n")
	}
	for i := range n.Alerts {
		b.WriteString("- ")
		b.WriteString(alertLine(&n.Alerts[i]))
		b.WriteString("\n")
	}
	for _, r := range n.Records {
		b.WriteString("- ")
		b.WriteString(string(r.Value))
		b.WriteString("\n")
	}
	return b.String()
}

// truncate cuts s to at most max bytes at a rune boundary, marking the
// cut with an ellipsis.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
