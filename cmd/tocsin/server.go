package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/dashboard"
	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/metrics"
	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/connectors/notify"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/anomaly"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/pgwire"
)

// server is a running engine with its wire endpoint.
type server struct {
	engine *engine.Engine
	pg     *pgwire.Server
	pgAddr string
	done   chan error
	// httpAddr is the dashboard's address and httpDone its result;
	// both are zero without --http-addr.
	httpAddr string
	httpDone chan error
	cancel   context.CancelFunc
	// metrics serves --metrics-addr (nil without it).
	metrics *metrics.Server
}

// builtins returns the function registry with every built-in function.
func builtins() *functions.Registry {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	anomaly.Register(reg)
	return reg
}

// connectorRegistry returns the registry of source connectors.
func connectorRegistry(log *slog.Logger) *connectors.Registry {
	reg := connectors.NewRegistry()
	reg.RegisterSource("kafka", kafka.NewFactory(kafka.Config{Logger: log}))
	return reg
}

// channelRegistry returns the registry of sink channels.
func channelRegistry() *connectors.ChannelRegistry {
	reg := connectors.NewChannelRegistry()
	notify.Register(reg)
	kafka.RegisterChannel(reg)
	return reg
}

func startServer(ctx context.Context, f serverFlags, log *slog.Logger) (*server, error) {
	pgCfg, logins, err := f.pgSetup(log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(f.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	interval := f.checkpointInterval
	if interval == 0 {
		interval = -1 // the engine reads a negative interval as "off"
	}
	eng, err := engine.Open(engine.Options{
		Functions:          builtins(),
		Connectors:         connectorRegistry(log.With("component", "kafka")),
		Channels:           channelRegistry(),
		Logger:             log.With("component", "engine"),
		IdleTimeout:        f.idleTimeout,
		ServerVersion:      pgwire.DefaultServerVersion,
		DataDir:            f.dataDir,
		CheckpointInterval: interval,
		Roles:              logins.configured(),
		PasswordVerifier:   pgwire.StoredVerifier,
	})
	if err != nil {
		return nil, err
	}
	if logins != nil {
		logins.attach(eng)
	}
	ln, err := net.Listen("tcp", f.pgAddr)
	if err != nil {
		_ = eng.Close()
		return nil, fmt.Errorf("listen for Postgres clients: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	pgCfg.Executor, pgCfg.Logger, pgCfg.ServerVersion = executor{eng}, log.With("component", "pgwire"), pgwire.DefaultServerVersion
	s := &server{
		engine: eng,
		pg:     pgwire.NewServer(pgCfg),
		pgAddr: ln.Addr().String(),
		done:   make(chan error, 1),
		cancel: cancel,
	}
	go func() { s.done <- s.pg.Serve(ctx, ln) }()
	if f.httpAddr != "" {
		hl, err := net.Listen("tcp", f.httpAddr)
		if err != nil {
			_ = s.close()
			return nil, fmt.Errorf("listen for the dashboard: %w", err)
		}
		s.httpAddr, s.httpDone = hl.Addr().String(), make(chan error, 1)
		dash := dashboard.New(dashboard.Options{Engine: eng, Logger: log.With("component", "dashboard")})
		go func() { s.httpDone <- dash.Serve(ctx, hl) }()
	}
	if err := s.startMetrics(f, log); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

func (s *server) close() error {
	s.cancel()
	err := <-s.done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if s.httpDone != nil {
		err = errors.Join(err, <-s.httpDone)
	}
	if s.metrics != nil {
		err = errors.Join(err, s.metrics.Close())
	}
	return errors.Join(err, s.engine.Close())
}
