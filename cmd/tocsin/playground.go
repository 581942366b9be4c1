package main

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/demo"
)

// playgroundFlags are playground's own flags.
type playgroundFlags struct {
	kafkaAddr string
	topic     string
	rate      int
	services  int
	noDemo    bool
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
			b, err := broker.Start(ctx, broker.Config{Addr: p.kafkaAddr, DataDir: filepath.Join(f.dataDir, "kafka"), Logger: log})
			if err != nil {
				return fmt.Errorf("embedded broker: %w", err)
			}
			defer b.Close()
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
			printBanner(cmd.OutOrStdout(), srv.pgAddr, b.Addr(), p)
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
	fl.StringVar(&p.kafkaAddr, "kafka-addr", "127.0.0.1:9092", "address of the embedded Kafka-protocol broker")
	fl.StringVar(&p.topic, "topic", "requests", "topic the demo generator writes to")
	fl.IntVar(&p.rate, "rate", 1000, "demo events per second")
	fl.IntVar(&p.services, "services", 20, "number of services in the demo data")
	fl.BoolVar(&p.noDemo, "no-demo", false, "do not run the demo generator")
	return cmd
}

func printBanner(w io.Writer, pgAddr, kafkaAddr string, p playgroundFlags) {
	host, port, _ := net.SplitHostPort(pgAddr)
	fmt.Fprintf(w, `
Tocsin %s playground is running.

  Postgres wire:  %s      connect:  psql -h %s -p %s -U tocsin tocsin
  Kafka broker:   %s      topic %q`, version, pgAddr, host, port, kafkaAddr, p.topic)
	if !p.noDemo {
		fmt.Fprintf(w, ` receives ~%d request events/s over %d services`, p.rate, p.services)
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
