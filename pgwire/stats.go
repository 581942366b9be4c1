package pgwire

import (
	"sync"
	"sync/atomic"
)

// Stats are a server's counters since NewServer, for a metrics exporter
// (cmd/tocsin/internal/metrics reads them at scrape time; pgwire knows
// nothing of the exporter).
type Stats struct {
	// Connections is the number of connections open now (sessions and
	// connections still in startup); ConnectionsTotal counts every
	// connection accepted.
	Connections, ConnectionsTotal int64
	// Queries counts simple-protocol Query messages and
	// extended-protocol Execute messages.
	Queries int64
	// Errors counts the ErrorResponses sent (ERROR and FATAL) by SQLSTATE
	// class: the code's first two characters ("42" for syntax errors and
	// undefined objects, "XX" for internal errors).
	Errors map[string]int64
}

// wireStats are the counters behind Stats. The zero value is ready.
type wireStats struct {
	open, total, queries atomic.Int64

	mu     sync.Mutex
	errors map[string]int64
}

// connOpened counts a connection; connClosed ends it.
func (s *wireStats) connOpened() {
	s.total.Add(1)
	s.open.Add(1)
}

func (s *wireStats) connClosed() { s.open.Add(-1) }

func (s *wireStats) query() { s.queries.Add(1) }

// sentError counts an ErrorResponse with SQLSTATE code.
func (s *wireStats) sentError(code string) {
	class := "XX"
	if len(code) >= 2 {
		class = code[:2]
	}
	s.mu.Lock()
	if s.errors == nil {
		s.errors = map[string]int64{}
	}
	s.errors[class]++
	s.mu.Unlock()
}

// Stats returns a snapshot of the server's counters. It is safe to call
// at any time, from any goroutine.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:      s.stats.open.Load(),
		ConnectionsTotal: s.stats.total.Load(),
		Queries:          s.stats.queries.Load(),
		Errors:           map[string]int64{},
	}
	s.stats.mu.Lock()
	for class, n := range s.stats.errors {
		st.Errors[class] = n
	}
	s.stats.mu.Unlock()
	return st
}
