package delivery

import "time"

// HealthState is a channel's health as ChannelHealth reports it.
type HealthState uint8

// The health states, from recent attempt outcomes (see ChannelHealth).
const (
	Healthy HealthState = iota
	Degraded
	Down
)

func (s HealthState) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return "unknown"
}

// Thresholds of the health rule.
const (
	healthWindow      = 10 // attempts remembered
	healthMaxFailures = 1  // failures in the window still healthy
	downConsecutive   = 3  // consecutive failed attempts that mean down
)

// ChannelHealth is one channel's health and counters, a row of the sink
// health table.
//
// State is computed from attempts (every Send, first tries and retries):
//   - "down": the last 3 or more attempts all failed;
//   - "healthy": no attempt yet, or the last attempt succeeded and at
//     most 1 of the last 10 attempts failed;
//   - "degraded": otherwise.
//
// A permanent failure (HTTP 400) counts as a failed attempt: the endpoint
// rejected what we sent, which an operator wants to see.
type ChannelHealth struct {
	Sink, Channel string
	State         string
	// Sent counts notifications delivered, Failed notifications given up
	// (permanent error or deadline), Retried attempts after the first.
	Sent, Failed, Retried int64
	// QueueDepth is the number of notifications waiting for the channel,
	// in all its groups, including those being sent or retried.
	QueueDepth int
	// LastError is the last failed attempt's error; LastSuccess and
	// LastFailure are the times of the last successful and failed
	// attempts (zero if none).
	LastError                string
	LastSuccess, LastFailure time.Time
}

// health tracks one channel's recent outcomes (of all its groups); the
// owning channelQueue's mutex guards it.
type health struct {
	recent      [healthWindow]bool // true: failed; ring indexed by attempts
	attempts    int64
	consecutive int
	lastOK      bool

	sent, failed, retried    int64
	lastError                string
	lastSuccess, lastFailure time.Time
}

// attempt records the outcome of one Send.
func (h *health) attempt(at time.Time, err error) {
	h.recent[h.attempts%healthWindow] = err != nil
	h.attempts++
	if err == nil {
		h.consecutive = 0
		h.lastOK = true
		h.lastSuccess = at
		return
	}
	h.consecutive++
	h.lastOK = false
	h.lastError = err.Error()
	h.lastFailure = at
}

// state applies the health rule.
func (h *health) state() HealthState {
	if h.attempts == 0 {
		return Healthy
	}
	if h.consecutive >= downConsecutive {
		return Down
	}
	failures := 0
	for i := int64(0); i < min(h.attempts, healthWindow); i++ {
		if h.recent[i] {
			failures++
		}
	}
	if h.lastOK && failures <= healthMaxFailures {
		return Healthy
	}
	return Degraded
}
