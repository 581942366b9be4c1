package notify

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

var (
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(5*time.Minute + 500*time.Millisecond)
)

// testNotification is a firing group of two alerts, one of them already
// resolved.
func testNotification() *connectors.Notification {
	return &connectors.Notification{
		Sink: "pager", Channel: "oncall", Key: "k-42", GroupKey: "g-1",
		GroupLabels: []connectors.Label{{Name: "service", Value: "api"}},
		Status:      connectors.AlertFiring,
		Alerts: []connectors.Alert{
			{
				ID: 7, Fingerprint: "fp7",
				Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "host", Value: "a"}},
				Annotations: []connectors.Label{{Name: "summary", Value: `latency of api is 300 "ms"`}, {Name: "avg_ms", Value: "300"}},
				Status:      connectors.AlertFiring, Severity: "P1",
				StartsAt: t0, FiredAt: t1,
			},
			{
				ID: 8, Fingerprint: "fp8",
				Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "host", Value: "b c"}},
				Annotations: []connectors.Label{{Name: "avg_ms", Value: "300"}},
				Status:      connectors.AlertResolved, Severity: "P3",
				StartsAt: t0, FiredAt: t1, EndsAt: t2, Flapping: true, Duplicates: 2,
			},
		},
		Escalation: 1,
		CreatedAt:  t2,
	}
}

// request is what a receiver saw.
type request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// receiver is an httptest server that records requests and replies with
// reply (status 200 and an empty body when nil).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		rc.mu.Unlock()
		if reply != nil {
			reply(w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// only returns the one request the receiver saw.
func (rc *receiver) only(t *testing.T) request {
	t.Helper()
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// newChannel builds a channel with factory f and closes it at cleanup.
func newChannel(t *testing.T, f connectors.ChannelFactory, opts map[string]string) connectors.Channel {
	t.Helper()
	ch, err := f(connectors.ChannelSpec{Sink: "pager", Name: "oncall", Options: opts})
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	return ch
}

// assertJSON compares a JSON document with want (decoded structures).
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("BUG: want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		gi, _ := json.MarshalIndent(g, "", "  ")
		wi, _ := json.MarshalIndent(w, "", "  ")
		t.Fatalf("body mismatch\ngot:  %s\nwant: %s", gi, wi)
	}
}

// assertHeaders checks the common request line and headers.
func assertHeaders(t *testing.T, r request, key string) {
	t.Helper()
	if r.Method != http.MethodPost {
		t.Errorf("method %s", r.Method)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "tocsin" {
		t.Errorf("User-Agent %q", got)
	}
	if got := r.Header.Get("Idempotency-Key"); got != key {
		t.Errorf("Idempotency-Key %q, want %q", got, key)
	}
}

// sendError asserts err is a *SendError and returns it.
func sendError(t *testing.T, err error) *connectors.SendError {
	t.Helper()
	var se *connectors.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a SendError", err, err)
	}
	return se
}

// assertInvalid asserts err is a 22023 error mentioning option.
func assertInvalid(t *testing.T, err error, option string) {
	t.Helper()
	var e *sqlerr.Error
	if !errors.As(err, &e) || e.Code != sqlerr.InvalidParameterValue {
		t.Fatalf("error %v is not a 22023 *sqlerr.Error", err)
	}
	if want := `option "` + option + `"`; !strings.Contains(e.Msg, want) {
		t.Fatalf("error %q does not name %s", e.Msg, want)
	}
}
