package notify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestConcurrentSend sends from several goroutines at once through one
// value of each HTTP channel, as the dispatcher does with MaxInFlight >
// 1: under -race this checks Send shares no unguarded state, and every
// notification arrives once with its own idempotency key.
func TestConcurrentSend(t *testing.T) {
	const senders, each = 4, 5
	for _, tc := range []struct {
		name    string
		factory connectors.ChannelFactory
		opts    map[string]string
		// perSend is the number of requests one Send makes.
		perSend int
	}{
		{"webhook", NewWebhook, nil, 1},
		{"webhook-template", NewWebhook, map[string]string{"template": `{{ .Key }}`}, 1},
		{"slack", NewSlack, nil, 1},
		{"pagerduty", NewPagerDuty, map[string]string{"routing_key": "rk"}, 2},
		{"dingtalk", NewDingTalk, map[string]string{"secret": "s3cret"}, 1},
		{"wecom", NewWeCom, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
			})
			opts := map[string]string{"url": rc.URL}
			for k, v := range tc.opts {
				opts[k] = v
			}
			ch := newChannel(t, tc.factory, opts)
			var wg sync.WaitGroup
			errs := make(chan error, senders*each)
			for s := range senders {
				wg.Go(func() {
					for i := range each {
						n := testNotification()
						n.Key = fmt.Sprintf("k-%d-%d", s, i)
						n.GroupKey = fmt.Sprint("g-", s)
						if i%2 == 1 {
							// Bodies of different sizes, for the webhook's
							// size hint.
							n.Alerts = n.Alerts[:1]
						}
						if err := ch.Send(context.Background(), n); err != nil {
							errs <- fmt.Errorf("send %s: %w", n.Key, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			keys := map[string]int{}
			for _, r := range rc.requests() {
				keys[r.Header.Get("Idempotency-Key")]++
			}
			total := 0
			for s := range senders {
				for i := range each {
					want := tc.perSend
					if i%2 == 1 {
						want = 1 // one alert left
					}
					total += want
					prefix := fmt.Sprintf("k-%d-%d", s, i)
					got := 0
					for k, c := range keys {
						if k == prefix || strings.HasPrefix(k, prefix+"/") {
							got += c
						}
					}
					if got != want {
						t.Errorf("key %s: %d requests, want %d", prefix, got, want)
					}
				}
			}
			if n := len(rc.requests()); n != total {
				t.Errorf("%d requests, want %d", n, total)
			}
		})
	}
}
