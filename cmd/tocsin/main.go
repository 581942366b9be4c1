package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// version is the Tocsin release, reported by --version and version().
const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tocsin:", err)
		os.Exit(1)
	}
}

// serverFlags are the flags shared by serve and playground.
type serverFlags struct {
	dataDir            string
	pgAddr             string
	idleTimeout        time.Duration
	checkpointInterval time.Duration
	logLevel           string
	logFormat          string
	// httpAddr is the dashboard's address ("" serves none).
	httpAddr string
	// metricsAddr is the Prometheus endpoint's address ("" serves
	// none); metricsOptional makes a taken address a warning (observe.go).
	metricsAddr     string
	metricsOptional bool
	// Client connections (pgauth.go).
	tlsCert            string
	tlsKey             string
	requireTLS         bool
	auth               string
	usersFile          string
	maxConns           int
	idleSessionTimeout time.Duration
}

func (f *serverFlags) register(cmd *cobra.Command, defaultDataDir string) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", defaultDataDir, "directory for Tocsin's durable state (created if missing)")
	fl.StringVar(&f.pgAddr, "pg-addr", "127.0.0.1:4566", "address of the Postgres wire protocol listener (psql -h HOST -p PORT)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", 30*time.Second, "a source partition without data for this long stops holding the watermark back")
	fl.DurationVar(&f.checkpointInterval, "checkpoint-interval", time.Second, "time between checkpoints of every view's state and offsets (0 disables them)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) file for TLS client connections; with --tls-key, clients may use sslmode=require")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	fl.BoolVar(&f.requireTLS, "require-tls", false, "refuse clients that do not use TLS (needs --tls-cert and --tls-key)")
	fl.StringVar(&f.auth, "auth", "trust", "client authentication: trust, password, md5 or scram-sha-256 (the last three need --users-file)")
	fl.StringVar(&f.usersFile, "users-file", "", `file of "user:password" or "user:<verifier>" lines (md5... or SCRAM-SHA-256$... as in pg_authid); "user superuser:..." may CREATE/ALTER/DROP USER; # starts a comment`)
	fl.IntVar(&f.maxConns, "max-connections", 100, "maximum number of concurrent client sessions (0 means no limit)")
	fl.DurationVar(&f.idleSessionTimeout, "idle-session-timeout", 0, "close client sessions idle outside a transaction for this long (0 disables), like idle_session_timeout")
}

func (f *serverFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", f.logFormat)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tocsin",
		Short: "Tocsin: streaming SQL for real-time anomaly detection and alerting",
		Long: `Tocsin reads Kafka topics, keeps SQL materialized views over them up to date,
and answers queries on those views over the Postgres wire protocol (psql, any
Postgres driver or BI tool).

  tocsin playground   everything on one machine: server, embedded Kafka broker, demo data
  tocsin serve        the server alone, for real Kafka clusters`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newPlaygroundCmd(), newBrokerCmd(), newEvalCmd(), newBenchCmd())
	// `tocsin --help` documents every flag of every command, not only the
	// root's.
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		defaultHelp(cmd, args)
		if cmd != root {
			return
		}
		out := cmd.OutOrStdout()
		for _, sub := range root.Commands() {
			if !sub.IsAvailableCommand() || !sub.HasAvailableLocalFlags() {
				continue
			}
			fmt.Fprintf(out, "\nFlags of \"tocsin %s\":\n%s", sub.Name(), sub.LocalFlags().FlagUsages())
		}
	})
	return root
}

func newServeCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Tocsin server (Postgres wire endpoint) against external Kafka clusters",
		Long: `Run the Tocsin server. Sources name their Kafka brokers in
WITH (properties.bootstrap.server = '...'). Clients connect with
psql -h 127.0.0.1 -p 4566 -U <user> <database>. By default (--auth trust)
every client is trusted, as a fresh PostgreSQL trusts local connections;
--auth scram-sha-256 --users-file FILE asks for passwords, and --tls-cert,
--tls-key and --require-tls encrypt the connections.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := f.logger()
			if err != nil {
				return err
			}
			srv, err := startServer(cmd.Context(), f, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Tocsin %s serving Postgres wire on %s (data in %s)\n", version, srv.pgAddr, f.dataDir)
			if srv.httpAddr != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "Dashboard on http://%s/\n", srv.httpAddr)
			}
			if srv.metrics != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Metrics on http://%s/metrics\n", srv.metrics.Addr())
			}
			<-cmd.Context().Done()
			return srv.close()
		},
	}
	f.register(cmd, "tocsin-data")
	cmd.Flags().StringVar(&f.httpAddr, "http-addr", "", httpAddrUsage)
	cmd.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", metricsAddrUsage)
	return cmd
}

// httpAddrUsage documents --http-addr of serve and playground.
const httpAddrUsage = "address of the live dashboard web page (views, alerts, sources; no authentication: keep it on a loopback address or behind a proxy); empty serves none"
