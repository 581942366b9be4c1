package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Defaults for the zero values of Config's limits.
const (
	// DefaultMaxMessageSize caps the body of one client message.
	DefaultMaxMessageSize = 64 << 20
	// DefaultStartupTimeout bounds the startup phase, like Postgres's
	// authentication_timeout.
	DefaultStartupTimeout = time.Minute
	// DefaultServerVersion is reported as server_version. Clients parse
	// the leading number, so it reads as PostgreSQL 15.18.
	DefaultServerVersion = "15.18 (Tocsin)"
)

// Config configures a Server.
type Config struct {
	// Executor runs the clients' sessions. Required.
	Executor Executor
	// Logger receives connection events and internal errors; nil
	// discards them.
	Logger *slog.Logger
	// Authenticator checks each client's identity during startup; nil
	// trusts every client (TrustAuth). See NewAuthenticator for the
	// password methods.
	Authenticator Authenticator
	// TLS, when set, makes the server accept SSLRequest ('S') and run
	// the TLS handshake with this configuration before the startup
	// packet; nil declines TLS ('N').
	TLS *tls.Config
	// RequireTLS refuses clients that did not negotiate TLS with FATAL
	// 28000 (like a pg_hba.conf with only hostssl lines). Cancel
	// requests are served either way, as in PostgreSQL. It needs TLS.
	RequireTLS bool
	// MaxConns caps the number of concurrent sessions, counted from the
	// startup packet on (so clients still authenticating count); further
	// clients get FATAL 53300 "sorry, too many clients already". Zero
	// means no limit. Cancel requests are always served.
	MaxConns int
	// IdleTimeout closes a session that has waited this long for a query
	// outside a transaction block, with FATAL 57P05, like PostgreSQL's
	// idle_session_timeout. Zero means no limit.
	IdleTimeout time.Duration
	// MaxMessageSize caps the body of one client message in bytes;
	// larger messages end the connection with 08P01. Zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int
	// StartupTimeout bounds the time from accept to the end of
	// authentication. Zero means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// ServerVersion is reported in the server_version parameter. Empty
	// means DefaultServerVersion.
	ServerVersion string
}

// Server accepts Postgres wire protocol connections and serves each on
// its own goroutine. Create it with NewServer and run it with Serve.
type Server struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	ln net.Listener
	// conns holds every open connection, sessions and connections still
	// in startup alike; Serve closes them all on return.
	conns map[*conn]struct{}
	// byPID holds the connections that were given a cancel key.
	byPID   map[uint32]*conn
	nextPID uint32

	// stats are the counters Stats reads (stats.go).
	stats wireStats
}

// NewServer returns a server for cfg, filling in defaults for zero
// fields. It does not listen; see Serve.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Authenticator == nil {
		cfg.Authenticator = TrustAuth{}
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	return &Server{
		cfg:   cfg,
		log:   cfg.Logger,
		conns: make(map[*conn]struct{}),
		byPID: make(map[uint32]*conn),
	}
}

// Serve accepts connections on ln until ctx is done or ln fails, serving
// each on its own goroutine. On return it has closed ln and every
// connection, canceled their running queries and waited for their
// goroutines to finish. It returns nil when ctx ended it and the accept
// error otherwise. Serve may be called once per Server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.cfg.Executor == nil {
		return errors.New("pgwire: Config.Executor is nil")
	}
	if s.cfg.RequireTLS && s.cfg.TLS == nil {
		return errors.New("pgwire: Config.RequireTLS is set but Config.TLS is nil")
	}
	s.mu.Lock()
	if s.ln != nil {
		s.mu.Unlock()
		return errors.New("pgwire: Serve called twice")
	}
	s.ln = ln
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = ln.Close()
		s.closeConns()
		wg.Wait()
	}()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	s.log.Info("pgwire: serving", "addr", ln.Addr().String())
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("pgwire: accept failed; retrying", "err", err, "in", backoff)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return nil
				}
				continue
			}
			return fmt.Errorf("pgwire: accept: %w", err)
		}
		backoff = 0
		c := s.newConn(nc)
		wg.Go(func() { s.serveConn(ctx, c) })
	}
}

// Addr returns the address Serve listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// ConnCount returns the number of open client connections, including
// those still in startup.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// newConn wraps nc and tracks it so that Serve closes it on return.
func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{srv: s, raw: nc, nc: nc, log: s.log.With("remote", nc.RemoteAddr().String())}
	c.rw.c = c
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	return c
}

// serveConn runs c to completion and forgets it.
func (s *Server) serveConn(ctx context.Context, c *conn) {
	defer s.forget(c)
	c.serve(ctx)
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
	s.mu.Unlock()
}

// closeConns closes every open connection, which ends their goroutines'
// reads and writes.
func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.raw.Close()
	}
}

// register gives c a process ID and secret key for cancel requests,
// unless MaxConns sessions already exist.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxConns > 0 && len(s.byPID) >= s.cfg.MaxConns {
		return false
	}
	for {
		s.nextPID++
		if s.nextPID == 0 {
			continue
		}
		if _, taken := s.byPID[s.nextPID]; !taken {
			break
		}
	}
	c.pid = s.nextPID
	_, _ = rand.Read(c.secret[:])
	s.byPID[c.pid] = c
	return true
}

// cancel handles a CancelRequest: if pid and key name a session, its
// running query (if any) is canceled. Mismatches are ignored silently,
// as in Postgres, so that the request reveals nothing.
func (s *Server) cancel(pid uint32, key []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret[:], key) != 1 {
		s.log.Debug("pgwire: cancel request matches no session", "pid", pid)
		return
	}
	c.cancelRunningQuery()
}
