package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tocsin-db/tocsin/connectors"
)

// maxWeComContent is WeCom's limit on markdown content, in bytes.
const maxWeComContent = 4096

// WeCom posts notifications to a WeCom (WeChat Work) group robot as
// Markdown.
type WeCom struct {
	sender *httpSender
	url    string
	check  replyCheck
}

var _ connectors.Channel = (*WeCom)(nil)

// NewWeCom is the ChannelFactory of the "wecom" connector.
func NewWeCom(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("wecom", spec)
	target, sender, err := httpEndpoint(o, "")
	if err != nil {
		return nil, err
	}
	return &WeCom{sender: sender, url: target, check: errcodeCheck(weComRateLimited)}, nil
}

type weComMessage struct {
	MsgType  string        `json:"msgtype"`
	Markdown weComMarkdown `json:"markdown"`
}

type weComMarkdown struct {
	Content string `json:"content"`
}

// Send posts n once.
func (w *WeCom) Send(ctx context.Context, n *connectors.Notification) error {
	body, err := json.Marshal(weComMessage{
		MsgType:  "markdown",
		Markdown: weComMarkdown{Content: truncate(markdown(n), maxWeComContent)},
	})
	if err != nil {
		return &connectors.SendError{Permanent: true, Err: fmt.Errorf("wecom payload: %w", err)}
	}
	return w.sender.post(ctx, w.url, contentJSON, n.Key, body, w.check)
}

// Close releases the channel's idle connections.
func (w *WeCom) Close() error {
	w.sender.close()
	return nil
}
