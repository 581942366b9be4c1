package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/tocsin-db/tocsin/connectors"
)

// DingTalk options.
const (
	optSecret = "secret"
	// maxDingTalkText bounds the markdown text (DingTalk truncates
	// messages of about 20,000 bytes).
	maxDingTalkText = 18000
)

// DingTalk posts notifications to a DingTalk custom robot as Markdown.
type DingTalk struct {
	sender *httpSender
	url    string
	secret string
	check  replyCheck
}

var _ connectors.Channel = (*DingTalk)(nil)

// NewDingTalk is the ChannelFactory of the "dingtalk" connector.
func NewDingTalk(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("dingtalk", spec)
	target, sender, err := httpEndpoint(o, "")
	if err != nil {
		return nil, err
	}
	return &DingTalk{sender: sender, url: target, secret: o.get(optSecret), check: errcodeCheck(dingTalkRateLimited)}, nil
}

type dingTalkMessage struct {
	MsgType  string           `json:"msgtype"`
	Markdown dingTalkMarkdown `json:"markdown"`
}

type dingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// dingTalkSign returns DingTalk's robot signature for timestamp (Unix
// milliseconds): base64(HmacSHA256(secret, timestamp + "\n" + secret)),
// not yet URL-escaped.
func dingTalkSign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// target returns the URL to post to, signed when a secret is set.
func (d *DingTalk) target() string {
	if d.secret == "" {
		return d.url
	}
	ts := d.sender.now().UnixMilli()
	u, _ := url.Parse(d.url) // validated at creation
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(dingTalkSign(ts, d.secret))
	return u.String()
}

// Send posts n once.
func (d *DingTalk) Send(ctx context.Context, n *connectors.Notification) error {
	body, err := json.Marshal(dingTalkMessage{
		MsgType:  "markdown",
		Markdown: dingTalkMarkdown{Title: headline(n), Text: truncate(markdown(n), maxDingTalkText)},
	})
	if err != nil {
		return &connectors.SendError{Permanent: true, Err: fmt.Errorf("dingtalk payload: %w", err)}
	}
	return d.sender.post(ctx, d.target(), contentJSON, n.Key, body, d.check)
}

// Close releases the channel's idle connections.
func (d *DingTalk) Close() error {
	d.sender.close()
	return nil
}
