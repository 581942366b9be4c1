package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// The live stream, GET /api/live, is one Server-Sent Events stream per
// page (browsers allow few connections per host, so it is one stream
// for everything). It starts with the catalog and the latest source
// sample, then carries the broadcasts (catalog changes, source samples,
// alert changes) and, for every view of the catalog, the events of a
// follower: the view's snapshot, then its changes.

// heartbeat is the time between comments that keep an idle stream's
// connection (and any proxy on the way) open.
const heartbeat = 15 * time.Second

// fetchBatch bounds the rows of one change event.
const fetchBatch = 5000

// viewPayload is the data of a view event: a snapshot (Reset and Rows),
// changes, or an error.
type viewPayload struct {
	View string `json:"view"`
	ID   uint32 `json:"id"`
	// Reset marks a snapshot: the page replaces the view's rows.
	Reset   bool     `json:"reset,omitempty"`
	Rows    [][]any  `json:"rows,omitempty"`
	Changes []change `json:"changes,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// change is one changed row: Diff is +1 (inserted) or -1 (deleted).
type change struct {
	Diff int64 `json:"diff"`
	Row  []any `json:"row"`
}

func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming is not supported by this connection"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	ctx := r.Context()
	c, first := s.hub.join()
	defer s.hub.leave(c)
	out := make(chan event, 16)
	fs := &followers{s: s, ctx: ctx, out: out, running: map[string]*follower{}}
	defer fs.stop()

	write := func(ev event) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	// The follower set follows the catalog events the client is sent,
	// so the page never gets rows of a view it was not told about.
	for _, ev := range first {
		if ev.name == evCatalog {
			fs.sync(ev.views)
		}
		if !write(ev) {
			return
		}
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		var ev event
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			flusher.Flush()
			continue
		case ev, ok = <-c.ch:
			if !ok {
				return // too slow: the broadcaster dropped this client
			}
			if ev.name == evCatalog {
				fs.sync(ev.views)
			}
		case ev = <-out:
		}
		if !write(ev) {
			return
		}
	}
}

// followers are one live stream's view followers, keyed by view name.
// They are owned by the stream's goroutine.
type followers struct {
	s       *Server
	ctx     context.Context
	out     chan<- event
	running map[string]*follower
}

// follower is one running view follower.
type follower struct {
	id     uint32
	cancel context.CancelFunc
	done   chan struct{}
}

// sync starts a follower for each view without one, and stops those of
// views that are gone or were created again (new ID).
func (fs *followers) sync(views []View) {
	want := make(map[string]View, len(views))
	for _, v := range views {
		want[v.Name] = v
	}
	for name, f := range fs.running {
		if v, ok := want[name]; !ok || v.ID != f.id {
			f.cancel()
			<-f.done
			delete(fs.running, name)
		}
	}
	for _, v := range views {
		if _, ok := fs.running[v.Name]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(fs.ctx)
		f := &follower{id: v.ID, cancel: cancel, done: make(chan struct{})}
		fs.running[v.Name] = f
		go func() {
			defer close(f.done)
			fs.s.follow(ctx, v, fs.out)
		}()
	}
}

// stop stops every follower and waits for them.
func (fs *followers) stop() {
	var wg sync.WaitGroup
	for _, f := range fs.running {
		f.cancel()
		wg.Go(func() { <-f.done })
	}
	wg.Wait()
	clear(fs.running)
}

// follow sends v's snapshot and then its changes to out until ctx ends;
// after an error it reports it and starts again, RetryDelay later.
func (s *Server) follow(ctx context.Context, v View, out chan<- event) {
	for {
		err := s.followOnce(ctx, v, out)
		if ctx.Err() != nil {
			return
		}
		s.log.Debug("dashboard: view follower", "view", v.Name, "err", err)
		if !s.send(ctx, out, viewPayload{View: v.Name, ID: v.ID, Error: err.Error()}) {
			return
		}
		t := time.NewTimer(s.opts.RetryDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// feedCursor is the name of a follower's SUBSCRIBE cursor.
const feedCursor = "tocsin_dashboard_feed"

// followOnce declares v's change cursor, sends v's snapshot, then sends
// the cursor's changes, at most one event per ChangeInterval. It
// returns when ctx ends or the engine reports an error.
func (s *Server) followOnce(ctx context.Context, v View, out chan<- event) error {
	sess := s.eng.NewSession(sessionParams)
	defer sess.Close() // closes the cursor
	declare := "DECLARE " + feedCursor + " CURSOR FOR SUBSCRIBE TO " + quoteIdent(v.Name) + " WITH (snapshot = false)"
	if err := sess.Query(ctx, declare, &table{}); err != nil {
		return err
	}
	snap := &table{}
	if err := sess.Query(ctx, snapshotSQL(v, s.opts.MaxRows), snap); err != nil {
		return err
	}
	rows := snap.rows
	if rows == nil {
		rows = [][]any{}
	}
	if !s.send(ctx, out, viewPayload{View: v.Name, ID: v.ID, Reset: true, Rows: rows}) {
		return ctx.Err()
	}
	pace := time.NewTicker(s.opts.ChangeInterval)
	defer pace.Stop()
	fetch := fmt.Sprintf("FETCH %d %s", fetchBatch, feedCursor)
	for {
		t := &table{}
		if err := sess.Query(ctx, fetch, t); err != nil {
			return err
		}
		if !s.send(ctx, out, viewPayload{View: v.Name, ID: v.ID, Changes: changesOf(t)}) {
			return ctx.Err()
		}
		// Changes that arrive meanwhile wait in the cursor and go out
		// together with the next FETCH.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-pace.C:
		}
	}
}

// changesOf turns FETCH rows (tocsin_ts, tocsin_diff, then the view's
// columns) into changes.
func changesOf(t *table) []change {
	out := make([]change, len(t.rows))
	for i, r := range t.rows {
		d, _ := r[1].(int64)
		out[i] = change{Diff: d, Row: r[2:]}
	}
	return out
}

// send encodes and sends one view event; it reports false when ctx
// ended first.
func (s *Server) send(ctx context.Context, out chan<- event, p viewPayload) bool {
	ev, err := newEvent(evView, p)
	if err != nil {
		// Only unencodable values fail, and jsonValue makes none.
		s.log.Error("BUG: dashboard view event", "view", p.View, "err", err)
		return true
	}
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}
