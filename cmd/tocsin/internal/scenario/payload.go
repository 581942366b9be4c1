package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Label is one name=value pair of an alert.
type Label struct {
	Name, Value string
}

// Event is one alert state change as a notification carried it.
type Event struct {
	Sink, Channel string
	// Status is "firing" or "resolved".
	Status string
	// Escalation is the notification's escalation level (0: the first
	// routing).
	Escalation int
	// Severity is "P0".."P3", or "".
	Severity string
	// Labels are the alert's labels in the order the payload lists
	// them.
	Labels []Label
	// Summary is the alert's summary annotation ("" if none).
	Summary string
	// Folded is set when storm control folded the alert into a summary
	// notification.
	Folded bool
}

// Message is one notification the receiver accepted.
type Message struct {
	// Format is "webhook" or "slack".
	Format        string
	Sink, Channel string
	// Summary is the storm-control summary, "" for an ordinary
	// notification.
	Summary string
	Events  []Event
}

// webhookBody is the part of the webhook payload the receiver reads.
type webhookBody struct {
	Sink       string `json:"sink"`
	Channel    string `json:"channel"`
	Escalation int    `json:"escalation"`
	Summary    string `json:"summary"`
	Alerts     []struct {
		Status      string       `json:"status"`
		Severity    string       `json:"severity"`
		Labels      orderedPairs `json:"labels"`
		Annotations orderedPairs `json:"annotations"`
	} `json:"alerts"`
}

// orderedPairs decodes a JSON object of strings keeping its order.
type orderedPairs []Label

func (o *orderedPairs) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return errors.New("labels: not an object")
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return fmt.Errorf("label %v: %w", k, err)
		}
		*o = append(*o, Label{Name: k.(string), Value: v})
	}
	_, err := d.Token()
	return err
}

// ParseWebhook decodes a webhook channel's alert notification.
func ParseWebhook(body []byte) (Message, error) {
	var w webhookBody
	if err := json.Unmarshal(body, &w); err != nil {
		return Message{}, fmt.Errorf("webhook payload: %w", err)
	}
	if w.Sink == "" {
		return Message{}, errors.New("webhook payload: no sink (a rows notification?)")
	}
	m := Message{Format: "webhook", Sink: w.Sink, Channel: w.Channel, Summary: w.Summary}
	for _, a := range w.Alerts {
		ev := Event{Sink: w.Sink, Channel: w.Channel, Status: a.Status, Escalation: w.Escalation,
			Severity: a.Severity, Labels: a.Labels, Folded: w.Summary != ""}
		for _, an := range a.Annotations {
			if an.Name == "summary" {
				ev.Summary = an.Value
			}
		}
		if ev.Status != "firing" && ev.Status != "resolved" {
			return Message{}, fmt.Errorf("webhook payload: alert status %q", a.Status)
		}
		m.Events = append(m.Events, ev)
	}
	return m, nil
}

// slackBody is the Slack incoming-webhook payload.
type slackBody struct {
	Text        string `json:"text"`
	Attachments []struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"attachments"`
}

var (
	// headlineRe matches "[FIRING:2] sink group labels (escalation 1)".
	headlineRe = regexp.MustCompile(`^\[(FIRING:\d+|RESOLVED)\] (\S+)(.*?)(?: \(escalation (\d+)\))?$`)
	// countsTitleRe matches the title of a notification that is not a
	// storm summary.
	countsTitleRe = regexp.MustCompile(`^\d+ firing, \d+ resolved$`)
)

// ParseSlack decodes a Slack channel's notification; channel names the
// sink channel it was posted for.
func ParseSlack(body []byte, channel string) (Message, error) {
	var s slackBody
	if err := json.Unmarshal(body, &s); err != nil {
		return Message{}, fmt.Errorf("slack payload: %w", err)
	}
	h := headlineRe.FindStringSubmatch(s.Text)
	if h == nil || len(s.Attachments) != 1 {
		return Message{}, fmt.Errorf("slack payload: unexpected shape: %.200s", body)
	}
	esc := 0
	if h[4] != "" {
		esc, _ = strconv.Atoi(h[4])
	}
	att := s.Attachments[0]
	m := Message{Format: "slack", Sink: h[2], Channel: channel}
	if !countsTitleRe.MatchString(att.Title) {
		m.Summary = att.Title
	}
	for _, line := range strings.Split(att.Text, "\n") {
		if line == "" {
			continue
		}
		ev, err := ParseAlertLine(line)
		if err != nil {
			return Message{}, fmt.Errorf("slack payload: %w", err)
		}
		ev.Sink, ev.Channel, ev.Escalation, ev.Folded = m.Sink, channel, esc, m.Summary != ""
		m.Events = append(m.Events, ev)
	}
	return m, nil
}

// ParseAlertLine parses the one-line rendering of an alert the chat
// channels use: "firing P1 service=api region=\"eu west\": summary".
func ParseAlertLine(line string) (Event, error) {
	status, rest, _ := strings.Cut(line, " ")
	if status != "firing" && status != "resolved" {
		return Event{}, fmt.Errorf("alert line %q: status %q", line, status)
	}
	ev := Event{Status: status}
	if sev, after, _ := strings.Cut(rest, " "); len(sev) == 2 && sev[0] == 'P' && sev[1] >= '0' && sev[1] <= '3' {
		ev.Severity, rest = sev, after
	}
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return ev, nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || strings.ContainsAny(rest[:eq], " :\"") {
			return Event{}, fmt.Errorf("alert line %q: expected name=value at %q", line, rest)
		}
		name := rest[:eq]
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return Event{}, fmt.Errorf("alert line %q: label %s: %w", line, name, err)
			}
			value, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			value, rest = rest[:end], rest[end:]
		}
		// The summary follows the last label after ": ".
		last := false
		switch {
		case strings.HasSuffix(value, ":") && !strings.HasPrefix(rest, "="):
			value, last = value[:len(value)-1], true
		case strings.HasPrefix(rest, ": ") || rest == ":":
			rest, last = rest[1:], true
		}
		ev.Labels = append(ev.Labels, Label{Name: name, Value: value})
		if last {
			ev.Summary = strings.TrimPrefix(rest, " ")
			return ev, nil
		}
	}
}
