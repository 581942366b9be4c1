package notify

import "github.com/tocsin-db/tocsin/connectors"

// Register adds every HTTP and SMTP channel of this package to r:
// webhook, slack, pagerduty, dingtalk, wecom and email.
func Register(r *connectors.ChannelRegistry) {
	r.Register("webhook", NewWebhook)
	r.Register("slack", NewSlack)
	r.Register("pagerduty", NewPagerDuty)
	r.Register("dingtalk", NewDingTalk)
	r.Register("wecom", NewWeCom)
	r.Register("email", NewEmail)
}
