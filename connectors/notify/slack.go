package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/connectors"
)

// Slack posts notifications to a Slack incoming webhook.
type Slack struct {
	sender *httpSender
	url    string
}

var _ connectors.Channel = (*Slack)(nil)

// NewSlack is the ChannelFactory of the "slack" connector.
func NewSlack(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("slack", spec)
	target, sender, err := httpEndpoint(o, "")
	if err != nil {
		return nil, err
	}
	return &Slack{sender: sender, url: target}, nil
}

// slackMessage is the incoming-webhook payload.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color string `json:"color"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// slackBody renders n: the headline as text, one attachment coloured by
// status whose title is the storm summary (or the firing/resolved
// counts) and whose text has one line per alert.
func slackBody(n *connectors.Notification) ([]byte, error) {
	color := "good"
	if notificationStatus(n) == connectors.AlertFiring {
		color = "danger"
	}
	title := n.Summary
	if title == "" {
		firing := countFiring(n)
		title = fmt.Sprintf("%d firing, %d resolved", firing, len(n.Alerts)-firing)
		if len(n.Records) > 0 {
			title = fmt.Sprintf("%d rows", len(n.Records))
		}
	}
	lines := detailLines(n)
	if n.Summary != "" {
		lines = lines[1:] // already the title
	}
	return json.Marshal(slackMessage{
		Text:        headline(n),
		Attachments: []slackAttachment{{Color: color, Title: title, Text: strings.Join(lines, "\n")}},
	})
}

// Send posts n once.
func (s *Slack) Send(ctx context.Context, n *connectors.Notification) error {
	body, err := slackBody(n)
	if err != nil {
		return &connectors.SendError{Permanent: true, Err: fmt.Errorf("slack payload: %w", err)}
	}
	return s.sender.post(ctx, s.url, contentJSON, n.Key, body, nil)
}

// Close releases the channel's idle connections.
func (s *Slack) Close() error {
	s.sender.close()
	return nil
}
