package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/engine"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Engine is the engine the dashboard shows (required).
	Engine *engine.Engine
	// Logger receives the dashboard's logs (slog.Default() if nil).
	Logger *slog.Logger
	// SampleInterval is the time between samples of the catalog and of
	// SHOW SOURCES (default 1 s).
	SampleInterval time.Duration
	// MaxRows bounds a view's snapshot and the rows the page keeps of it
	// (default 500).
	MaxRows int
	// RetryDelay is how long a view's follower waits before it starts
	// again after an error (default 5 s).
	RetryDelay time.Duration
	// ChangeInterval is the least time between two change events of one
	// view on one live stream; changes in between are sent together
	// (default 250 ms).
	ChangeInterval time.Duration
}

// Server is the dashboard: an http.Handler for the page, its assets, the
// JSON endpoints and the live stream, plus the background loops that
// feed them (Serve runs both).
type Server struct {
	eng  *engine.Engine
	log  *slog.Logger
	opts Options
	mux  *http.ServeMux
	hub  *broadcaster
}

// The session parameters of the dashboard's engine sessions.
var sessionParams = map[string]string{"user": "tocsin_dashboard", "application_name": "tocsin dashboard"}

// New returns a dashboard over opts.Engine; Serve starts it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SampleInterval <= 0 {
		opts.SampleInterval = time.Second
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 500
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 5 * time.Second
	}
	if opts.ChangeInterval <= 0 {
		opts.ChangeInterval = 250 * time.Millisecond
	}
	s := &Server{eng: opts.Engine, log: opts.Logger, opts: opts, mux: http.NewServeMux(), hub: newBroadcaster()}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("BUG: embedded assets: " + err.Error())
	}
	files := http.FileServerFS(static)
	s.mux.Handle("GET /{$}", files)
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets", files))
	s.mux.HandleFunc("GET /api/views", s.handleViews)
	s.mux.HandleFunc("GET /api/views/{name}/rows", s.handleRows)
	s.mux.HandleFunc("GET /api/alerts", s.handleAlerts)
	s.mux.HandleFunc("GET /api/sources", s.handleSources)
	s.mux.HandleFunc("GET /api/live", s.handleLive)
	// The first catalog sample is taken now, so that a page never
	// starts from an empty catalog.
	s.sampleCatalog()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	s.mux.ServeHTTP(w, r)
}

// Run runs the background loops (the catalog and source sampler and
// the alert listener) until ctx ends, and returns when they have
// stopped. The handler serves without them, from the catalog sampled by
// New and without source samples or alert changes.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.sampleLoop(ctx) })
	wg.Go(func() { s.alertLoop(ctx) })
	wg.Wait()
}

// Serve serves the dashboard on ln and runs its background loops until
// ctx ends; it returns once all of them, and every request, have
// finished. It returns nil after ctx ends, the HTTP server's error
// otherwise.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loops := make(chan struct{})
	go func() { defer close(loops); s.Run(ctx) }()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Live streams end with ctx, their requests' base context, so
		// that Shutdown finds every connection idle.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-done:
		cancel()
	case <-ctx.Done():
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		if err = hs.Shutdown(sctx); err != nil {
			err = errors.Join(err, hs.Close())
		}
		stop()
		<-done
	}
	<-loops
	return err
}

// sampleLoop samples the catalog and the sources every SampleInterval.
func (s *Server) sampleLoop(ctx context.Context) {
	sess := s.eng.NewSession(sessionParams)
	defer sess.Close()
	prev := map[string]SourceStats{}
	t := time.NewTicker(s.opts.SampleInterval)
	defer t.Stop()
	for {
		s.sampleCatalog()
		if err := s.sampleSources(ctx, sess, prev); err != nil && ctx.Err() == nil {
			s.log.Warn("dashboard: sample sources", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sampleCatalog publishes the materialized views when they changed.
func (s *Server) sampleCatalog() {
	views := s.views()
	if err := s.hub.setViews(views, s.opts.MaxRows); err != nil {
		s.log.Error("BUG: dashboard catalog", "err", err)
	}
}

// sampleSources runs SHOW SOURCES and publishes each source's counters
// and its throughput since prev, which it updates.
func (s *Server) sampleSources(ctx context.Context, sess *engine.Session, prev map[string]SourceStats) error {
	t := &table{}
	if err := sess.Query(ctx, "SHOW SOURCES", t); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	stats := make([]SourceStats, 0, len(t.rows))
	str := func(r []any, col string) string {
		if i := t.column(col); i >= 0 {
			if v, ok := r[i].(string); ok {
				return v
			}
		}
		return ""
	}
	num := func(r []any, col string) int64 {
		if i := t.column(col); i >= 0 {
			if v, ok := r[i].(int64); ok {
				return v
			}
		}
		return 0
	}
	seen := make(map[string]bool, len(t.rows))
	for _, r := range t.rows {
		st := SourceStats{
			Name: str(r, "name"), Connector: str(r, "connector"), Topic: str(r, "topic"),
			Records: num(r, "records"), Accepted: num(r, "accepted"), DeadLetters: num(r, "dead_letters"),
			Late: num(r, "late"), Lag: num(r, "lag"), At: now,
		}
		if i := t.column("watermark"); i >= 0 {
			st.Watermark = r[i]
		}
		if p, ok := prev[st.Name]; ok && now > p.At && st.Records >= p.Records {
			st.Rate = float64(st.Records-p.Records) * 1000 / float64(now-p.At)
		}
		prev[st.Name] = st
		seen[st.Name] = true
		stats = append(stats, st)
	}
	for name := range prev {
		if !seen[name] {
			delete(prev, name)
		}
	}
	return s.hub.setSources(stats)
}

// alertLoop listens to tocsin_alerts and records every alert change.
func (s *Server) alertLoop(ctx context.Context) {
	sess := s.eng.NewSession(sessionParams)
	defer sess.Close()
	ch := sess.Notifications(0)
	if err := sess.Query(ctx, "LISTEN "+engine.AlertsChannel, &table{}); err != nil {
		if ctx.Err() == nil {
			s.log.Error("dashboard: LISTEN "+engine.AlertsChannel, "err", err)
		}
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-ch:
			var a AlertEvent
			if err := json.Unmarshal([]byte(n.Payload), &a); err != nil {
				s.log.Warn("dashboard: alert notification", "payload", n.Payload, "err", err)
				continue
			}
			if err := s.hub.addAlert(a); err != nil {
				s.log.Error("BUG: dashboard alert event", "err", err)
			}
		}
	}
}
