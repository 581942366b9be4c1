package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxBody bounds a notification's size.
const maxBody = 16 << 20

// Receiver is the local endpoint the scenarios' sinks post their
// notifications to. POST /slack[/<channel>] takes Slack payloads; any
// other path takes the webhook's JSON. Each accepted notification is
// recorded and printed, one line per alert (console.go). A payload it
// cannot read is answered with 400 and recorded as an error.
type Receiver struct {
	srv  *http.Server
	ln   net.Listener
	url  string
	out  io.Writer
	now  func() time.Time
	done chan struct{}

	mu       sync.Mutex
	messages []Message
	errs     []error
}

// ReceiverOptions configure a Receiver.
type ReceiverOptions struct {
	// Addr is the listen address (default "127.0.0.1:0").
	Addr string
	// Out receives the console lines (nil: none).
	Out io.Writer
	// Now stamps the console lines (default time.Now).
	Now func() time.Time
}

// StartReceiver starts a receiver; Close stops it.
func StartReceiver(opts ReceiverOptions) (*Receiver, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("alert receiver: %w", err)
	}
	r := &Receiver{ln: ln, url: "http://" + ln.Addr().String(), out: opts.Out, now: opts.Now, done: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// URL returns the receiver's base URL (no trailing slash).
func (r *Receiver) URL() string { return r.url }

// Close stops the receiver.
func (r *Receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	<-r.done
	return err
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST a notification", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var m Message
	path := strings.Trim(req.URL.Path, "/")
	if format, channel, _ := strings.Cut(path, "/"); format == "slack" {
		if channel == "" {
			channel = "default"
		}
		m, err = ParseSlack(body, channel)
	} else {
		m, err = ParseWebhook(body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err)
		fmt.Fprintf(r.out, "%s  receiver: %v\n", r.now().Format(time.TimeOnly), err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.messages = append(r.messages, m)
	printMessage(r.out, r.now(), m)
}

// Messages returns the notifications accepted so far, in arrival order.
func (r *Receiver) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.messages...)
}

// Events returns the alert state changes received so far, in arrival
// order.
func (r *Receiver) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, m := range r.messages {
		out = append(out, m.Events...)
	}
	return out
}

// Err returns the payloads the receiver could not read, joined.
func (r *Receiver) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}
