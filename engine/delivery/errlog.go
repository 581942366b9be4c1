package delivery

import (
	"sync"
	"time"
)

// maxErrors bounds the errors table.
const maxErrors = 1000

// SinkError is a notification the dispatcher gave up on: a row of the
// sink-errors table.
type SinkError struct {
	Sink, Channel string
	// Key is the notification's idempotency key.
	Key string
	// At is when the notification failed.
	At time.Time
	// Status and Response come from the last *connectors.SendError (0
	// and "" if there was none).
	Status   int
	Response string
	// Error is the failure as text; Attempts the number of Sends made
	// (0 for an unknown channel).
	Error    string
	Attempts int
}

// errorLog keeps the last maxErrors SinkErrors in a ring.
type errorLog struct {
	mu    sync.Mutex
	ring  []SinkError
	start int // index of the oldest row once the ring is full
}

func (l *errorLog) add(e SinkError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ring) < maxErrors {
		l.ring = append(l.ring, e)
		return
	}
	l.ring[l.start] = e
	l.start = (l.start + 1) % maxErrors
}

// rows returns the rows oldest first.
func (l *errorLog) rows() []SinkError {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]SinkError, 0, len(l.ring))
	out = append(out, l.ring[l.start:]...)
	return append(out, l.ring[:l.start]...)
}
