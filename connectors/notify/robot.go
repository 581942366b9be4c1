package notify

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tocsin-db/tocsin/connectors"
)

// Chat robots (DingTalk, WeCom) answer HTTP 200 with {"errcode":N,
// "errmsg":"..."}; errcode 0 is success.

// Rate-limit error codes, which are worth retrying.
const (
	dingTalkRateLimited = 130101
	weComRateLimited    = 45009
)

// errcodeCheck returns the replyCheck of a robot whose rate-limit code is
// retryable: other non-zero codes are permanent, a reply that is not a
// JSON object is retryable (a proxy's page, not the robot's answer), and
// an object without errcode is success.
func errcodeCheck(rateLimited int) replyCheck {
	return func(status int, body []byte) error {
		var reply struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(body, &reply); err != nil {
			return &connectors.SendError{Status: status, Response: responseText(body),
				Err: errors.New("reply is not a JSON object")}
		}
		if reply.ErrCode == nil || *reply.ErrCode == 0 {
			return nil
		}
		return &connectors.SendError{
			Permanent: *reply.ErrCode != rateLimited,
			Status:    status,
			Response:  responseText(body),
			Err:       fmt.Errorf("errcode %d: %s", *reply.ErrCode, reply.ErrMsg),
		}
	}
}
