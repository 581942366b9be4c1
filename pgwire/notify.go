package pgwire

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Asynchronous notifications (LISTEN / NOTIFY). A connection whose
// session implements Notifier gets one extra goroutine (notifier.run)
// that takes notifications from the session's channel. While the
// connection is idle outside a transaction block (ReadyForQuery 'I' has
// been sent and the loop waits for the next message) the goroutine
// writes each NotificationResponse to the socket itself, so a client
// blocked waiting for notifications (pgx's WaitForNotification, psql
// between commands) receives them at once. Otherwise it holds the one
// notification it took until the connection is idle again; the loop
// sends a held notification just before the ReadyForQuery that ends the
// current query, and the rest wait in the session's bounded queue.
//
// notifier.mu is the connection's write lock while idle: the goroutine
// writes only under it with idle set, and the loop clears idle under it
// before it writes anything, so the two never write at once. A write
// error on the goroutine is handed to the loop (err), which then ends
// the connection as after any write error.

// notifier delivers a session's notifications on a connection.
type notifier struct {
	c  *conn
	ch <-chan Notification

	mu   sync.Mutex
	cond *sync.Cond
	// idle: the loop waits for a message after ReadyForQuery 'I'.
	idle   bool
	held   *Notification
	closed bool
	err    error
	buf    []byte

	cancel context.CancelFunc
	done   chan struct{}
}

// startNotifier starts the goroutine when the session implements
// Notifier; it returns nil otherwise.
func (c *conn) startNotifier(ctx context.Context) *notifier {
	nf, ok := c.session.(Notifier)
	if !ok {
		return nil
	}
	ch := nf.Notifications(c.pid)
	if ch == nil {
		return nil
	}
	n := &notifier{c: c, ch: ch, done: make(chan struct{})}
	n.cond = sync.NewCond(&n.mu)
	ctx, n.cancel = context.WithCancel(ctx)
	go n.run(ctx)
	return n
}

func (n *notifier) run(ctx context.Context) {
	defer close(n.done)
	for {
		var note Notification
		select {
		case <-ctx.Done():
			return
		case note = <-n.ch:
		}
		n.mu.Lock()
		n.held = &note
		for n.held != nil && !n.idle && !n.closed {
			n.cond.Wait()
		}
		if n.held != nil && n.idle && !n.closed && n.err == nil {
			n.err = n.write(*n.held)
			n.held = nil
		}
		n.mu.Unlock()
	}
}

// write sends one NotificationResponse straight to the socket (n.mu held,
// connection idle).
func (n *notifier) write(note Notification) error {
	var err error
	n.buf, err = notificationMessage(note).Encode(n.buf[:0])
	if err != nil {
		return fmt.Errorf("pgwire: encoding NotificationResponse: %w", err)
	}
	if _, err := n.c.nc.Write(n.buf); err != nil {
		return fmt.Errorf("pgwire: writing to client: %w", err)
	}
	return nil
}

func notificationMessage(note Notification) *pgproto3.NotificationResponse {
	return &pgproto3.NotificationResponse{PID: note.PID, Channel: cstring(note.Channel), Payload: cstring(note.Payload)}
}

// setIdle tells the goroutine whether it may write (loop goroutine). When
// the connection stops being idle it returns the goroutine's write error,
// if any.
func (n *notifier) setIdle(idle bool) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.idle = idle
	if idle {
		n.cond.Broadcast()
	}
	err := n.err
	n.err = nil
	return err
}

// sendHeld queues the held notification, if any, into the connection's
// output (loop goroutine, before ReadyForQuery 'I').
func (n *notifier) sendHeld() {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.held == nil {
		return
	}
	_ = n.c.send(notificationMessage(*n.held))
	n.held = nil
	n.cond.Broadcast()
}

// stop ends the goroutine and waits for it.
func (n *notifier) stop() {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.closed = true
	n.cond.Broadcast()
	n.mu.Unlock()
	n.cancel()
	<-n.done
}
