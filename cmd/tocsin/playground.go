package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/demo"
	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/scenario"
)

// playgroundFlags are playground's own flags.
type playgroundFlags struct {
	kafkaAddr string
	topic     string
	rate      int
	services  int
	noDemo    bool
	// scenario names an examples/ scenario to run instead of the demo
	// ("list" lists them); speed is its event time per wall time.
	scenario string
	speed    float64
}

func newPlaygroundCmd() *cobra.Command {
	var f serverFlags
	var p playgroundFlags
	cmd := &cobra.Command{
		Use:   "playground",
		Short: "Run Tocsin with an embedded Kafka broker and a demo event generator",
		Long: `Run everything on one machine: the Tocsin server, an embedded Kafka-protocol
broker (its log kept under --data-dir, so a restart keeps the topics), and a
generator writing request events to the topic "requests". Connect with
  psql -h 127.0.0.1 -p 4566 -U tocsin tocsin
No password is needed unless --auth asks for one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := f.logger()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			sc, scDir, err := scenario.Prepare(cmd.OutOrStdout(), p.scenario, cmd.Flags().Changed("data-dir"))
			if err != nil || sc == nil && p.scenario != "" {
				return err // --scenario list, or an unknown scenario
			}
			if scDir != "" {
				defer os.RemoveAll(scDir)
				f.dataDir = scDir
			}
			p.noDemo = p.noDemo || sc != nil
			b, err := broker.Start(ctx, broker.Config{Addr: p.kafkaAddr, DataDir: filepath.Join(f.dataDir, "kafka"), Logger: log.With("component", "broker")})
			if err != nil {
				return fmt.Errorf("embedded broker: %w", err)
			}
			defer b.Close()
			f.metricsOptional = !cmd.Flags().Changed("metrics-addr")
			srv, err := startServer(ctx, f, log)
			if err != nil {
				return err
			}
			genDone := make(chan error, 1)
			if !p.noDemo {
				go func() {
					genDone <- demo.Run(ctx, demo.Config{
						Brokers: []string{b.Addr()}, Topic: p.topic, Rate: p.rate, Services: p.services,
						Seed: time.Now().UnixNano(),
					}, log)
				}()
			}
			if sc != nil {
				scenario.PrintBanner(cmd.OutOrStdout(), srv.pgAddr, b.Addr(), srv.httpAddr)
				go func() {
					genDone <- scenario.Play(ctx, scenario.PlayConfig{Scenario: *sc, Engine: srv.engine,
						Brokers: []string{b.Addr()}, Speed: p.speed, Out: cmd.OutOrStdout()})
				}()
			} else {
				printBanner(cmd.OutOrStdout(), srv.pgAddr, b.Addr(), srv.httpAddr, p)
			}
			if srv.metrics != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Prometheus metrics: http://%s/metrics\n", srv.metrics.Addr())
			}
			go watchBackfill(ctx, cmd.OutOrStdout(), srv.engine.Stats, backfillEvery)
			select {
			case <-ctx.Done():
			case err := <-genDone:
				if err != nil && ctx.Err() == nil {
					log.Error("demo generator stopped", "err", err)
				}
				<-ctx.Done()
			}
			return srv.close()
		},
	}
	f.register(cmd, "tocsin-data")
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:8080", httpAddrUsage)
	fl.StringVar(&f.metricsAddr, "metrics-addr", defaultPlaygroundMetricsAddr, metricsAddrUsage)
	fl.StringVar(&p.kafkaAddr, "kafka-addr", "127.0.0.1:9092", "address of the embedded Kafka-protocol broker")
	fl.StringVar(&p.topic, "topic", "requests", "topic the demo generator writes to")
	fl.IntVar(&p.rate, "rate", 1000, "demo events per second")
	fl.IntVar(&p.services, "services", 20, "number of services in the demo data")
	fl.BoolVar(&p.noDemo, "no-demo", false, "do not run the demo generator")
	fl.StringVar(&p.scenario, "scenario", "", `run a scenario of examples/ instead of the demo ("list" lists them); its data and state live in a fresh temporary directory unless --data-dir is given`)
	fl.Float64Var(&p.speed, "speed", scenario.DefaultSpeed, "with --scenario: how much faster than the wall clock the scenario's event time runs")
	return cmd
}

func printBanner(w io.Writer, pgAddr, kafkaAddr, httpAddr string, p playgroundFlags) {
	host, port, _ := net.SplitHostPort(pgAddr)
	fmt.Fprintf(w, `
Tocsin %s playground is running.

  Postgres wire:  %s      connect:  psql -h %s -p %s -U tocsin tocsin
  Kafka broker:   %s      topic %q`, version, pgAddr, host, port, kafkaAddr, p.topic)
	if !p.noDemo {
		fmt.Fprintf(w, ` receives ~%d request events/s over %d services`, p.rate, p.services)
	}
	if httpAddr != "" {
		fmt.Fprintf(w, "\n  Dashboard:      http://%s/", httpAddr)
	}
	fmt.Fprintf(w, `

Try:

  CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, host VARCHAR,
    latency_ms DOUBLE PRECISION, status INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector='kafka', topic='%s', properties.bootstrap.server='%s',
    scan.startup.mode='earliest') FORMAT PLAIN ENCODE JSON;

  CREATE MATERIALIZED VIEW req_1m AS
    SELECT window_start, window_end, service, count(*) AS n, sum(latency_ms) AS total_ms,
           avg(latency_ms) AS avg_ms, min(latency_ms) AS min_ms, max(latency_ms) AS max_ms
    FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE)
    WHERE status < 500
    GROUP BY window_start, window_end, service;

  SELECT * FROM req_1m WHERE service = 'svc-01' ORDER BY window_start DESC LIMIT 5;

Press Ctrl-C to stop.
`, p.topic, kafkaAddr)
}
