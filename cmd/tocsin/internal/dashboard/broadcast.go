package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// event is one Server-Sent Event, encoded once for every client.
type event struct {
	name string
	data []byte
	// views are a catalog event's views, which the live stream's
	// followers follow.
	views []View
}

// The event names of the live stream.
const (
	evCatalog = "catalog" // catalogPayload: the views, when they change
	evView    = "view"    // viewPayload: a view's snapshot, changes or error
	evAlert   = "alert"   // AlertEvent: one alert state change
	evSources = "sources" // sourcesPayload: the latest source sample
)

func newEvent(name string, v any) (event, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return event{}, fmt.Errorf("encode %s event: %w", name, err)
	}
	return event{name: name, data: b}, nil
}

// catalogPayload is the data of a catalog event.
type catalogPayload struct {
	Views []View `json:"views"`
	// MaxRows is how many rows of a view the page keeps.
	MaxRows int `json:"maxRows"`
}

// sourcesPayload is the data of a sources event.
type sourcesPayload struct {
	Sources []SourceStats `json:"sources"`
}

// AlertEvent is one state change of one alert: the payload of a
// tocsin_alerts notification (pending, firing, resolved, acknowledged,
// escalated, silenced, inhibited).
type AlertEvent struct {
	ID          int64             `json:"id"`
	Sink        string            `json:"sink"`
	State       string            `json:"state"`
	Severity    string            `json:"severity"`
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
	// At is when the alert entered the state (RFC 3339).
	At string `json:"at"`
}

// SourceStats is one sample of one source's counters (SHOW SOURCES)
// with the throughput derived from the previous sample.
type SourceStats struct {
	Name        string `json:"name"`
	Connector   string `json:"connector"`
	Topic       string `json:"topic"`
	Records     int64  `json:"records"`
	Accepted    int64  `json:"accepted"`
	DeadLetters int64  `json:"dead_letters"`
	Late        int64  `json:"late"`
	// Lag is the records behind the partitions' high watermarks.
	Lag int64 `json:"lag"`
	// Watermark is the source's event-time watermark (RFC 3339), nil
	// before the first one.
	Watermark any `json:"watermark"`
	// Rate is the records per second read since the previous sample.
	Rate float64 `json:"rate"`
	// At is the sample's time in Unix milliseconds.
	At int64 `json:"t"`
}

// SourcePoint is one point of a source's recent history.
type SourcePoint struct {
	At   int64   `json:"t"` // Unix milliseconds
	Rate float64 `json:"rate"`
	Lag  int64   `json:"lag"`
}

const (
	// clientBuffer bounds the events waiting for one live client; a
	// client that falls further behind is disconnected.
	clientBuffer = 256
	// maxAlertEvents bounds the recent alert changes kept for new
	// pages.
	maxAlertEvents = 1000
	// maxHistory bounds each source's history (5 minutes at the
	// default sample interval).
	maxHistory = 300
)

// liveClient is one connected live stream's share of the broadcasts.
type liveClient struct {
	// ch is closed when the broadcaster drops the client.
	ch chan event
}

// broadcaster holds what every live client shares and fans its changes
// out. Its methods are safe for concurrent use; publishing never
// blocks.
type broadcaster struct {
	mu      sync.Mutex
	clients map[*liveClient]struct{}
	// catalog and sources are the latest events of their kind (name ""
	// before the first sample), sent to every client that joins.
	catalog, sources event
	latest           []SourceStats
	history          map[string][]SourcePoint
	alerts           []AlertEvent
}

func newBroadcaster() *broadcaster {
	return &broadcaster{clients: map[*liveClient]struct{}{}, history: map[string][]SourcePoint{}}
}

// join registers a client and returns it with the events it starts from.
func (b *broadcaster) join() (*liveClient, []event) {
	c := &liveClient{ch: make(chan event, clientBuffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clients[c] = struct{}{}
	var first []event
	for _, ev := range []event{b.catalog, b.sources} {
		if ev.name != "" {
			first = append(first, ev)
		}
	}
	return c, first
}

// leave unregisters a client.
func (b *broadcaster) leave(c *liveClient) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.clients[c]; ok {
		delete(b.clients, c)
		close(c.ch)
	}
}

// publishLocked sends ev to every client, dropping those whose buffer is
// full (b.mu held).
func (b *broadcaster) publishLocked(ev event) {
	for c := range b.clients {
		select {
		case c.ch <- ev:
		default:
			delete(b.clients, c)
			close(c.ch)
		}
	}
}

// setViews records the views; it publishes a catalog event when they
// changed.
func (b *broadcaster) setViews(views []View, maxRows int) error {
	ev, err := newEvent(evCatalog, catalogPayload{Views: views, MaxRows: maxRows})
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.catalog.name != "" && bytes.Equal(b.catalog.data, ev.data) {
		return nil
	}
	ev.views = views
	b.catalog = ev
	b.publishLocked(ev)
	return nil
}

// setSources records a source sample, extends each source's history
// and publishes a sources event.
func (b *broadcaster) setSources(stats []SourceStats) error {
	ev, err := newEvent(evSources, sourcesPayload{Sources: stats})
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sources, b.latest = ev, stats
	seen := make(map[string]bool, len(stats))
	for _, s := range stats {
		seen[s.Name] = true
		h := append(b.history[s.Name], SourcePoint{At: s.At, Rate: s.Rate, Lag: s.Lag})
		if len(h) > maxHistory {
			h = append(h[:0], h[len(h)-maxHistory:]...)
		}
		b.history[s.Name] = h
	}
	for name := range b.history {
		if !seen[name] {
			delete(b.history, name)
		}
	}
	b.publishLocked(ev)
	return nil
}

// sourceSnapshot returns the latest sample and a copy of the histories.
func (b *broadcaster) sourceSnapshot() ([]SourceStats, map[string][]SourcePoint) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hist := make(map[string][]SourcePoint, len(b.history))
	for name, h := range b.history {
		hist[name] = append([]SourcePoint(nil), h...)
	}
	return b.latest, hist
}

// addAlert records an alert change and publishes it.
func (b *broadcaster) addAlert(a AlertEvent) error {
	ev, err := newEvent(evAlert, a)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.alerts = append(b.alerts, a)
	if len(b.alerts) > maxAlertEvents {
		b.alerts = append(b.alerts[:0], b.alerts[len(b.alerts)-maxAlertEvents:]...)
	}
	b.publishLocked(ev)
	return nil
}

// alertEvents returns a copy of the recent alert changes, oldest first.
func (b *broadcaster) alertEvents() []AlertEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]AlertEvent(nil), b.alerts...)
}
