package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/bench"
)

func newBenchCmd() *cobra.Command {
	var (
		cfg                    bench.Config
		workloads, mode, child string
		asJSON                 bool
		events, runs, keys     int
		latencyRuns            int
		checkpoint, latencyFor time.Duration
		latency, verify        bool
		latencyFraction        float64
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the fixed benchmark workloads and print events/s, events per CPU-second, latency and memory",
		Long: `Run fixed, seeded workloads through the engine and print one table (or JSON):
events/s, events per CPU-second of this process, p50/p99 event-to-view latency,
peak RSS and state bytes per key, and the ratio to a hand-written
encoding/json + map loop. Every run is a child process; in kafka mode the
records are preloaded into a broker running in its own process. See README,
"Benchmarks".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if child != "" {
				return bench.ChildMain(cmd.Context(), child, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			var err error
			if cfg.Workloads, err = bench.ParseWorkloads(workloads); err != nil {
				return err
			}
			if cfg.Modes, err = bench.ParseModes(mode); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			cfg.Events, cfg.Runs, cfg.Keys, cfg.CheckpointInterval = events, runs, keys, checkpoint
			cfg.Latency, cfg.LatencyFraction, cfg.LatencyDuration, cfg.LatencyRuns, cfg.Verify = latency, latencyFraction, latencyFor, latencyRuns, verify
			cfg.Self = bench.Command{Path: exe, Args: []string{"bench"}}
			cfg.Broker = bench.Command{Path: exe, Args: []string{"broker"}}
			cfg.Progress = cmd.ErrOrStderr()
			rep, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return rep.WriteJSON(cmd.OutOrStdout())
			}
			return rep.WriteTable(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&workloads, "workload", bench.DefaultWorkloads, "comma-separated workloads: 1-7 and mem1m (see README, Benchmarks)")
	fl.StringVar(&mode, "mode", "both", "ingest mode: memory, kafka or both")
	fl.IntVar(&events, "events", 0, "events per run (0: each workload's default)")
	fl.IntVar(&runs, "runs", 3, "throughput runs per workload and mode (the table shows medians)")
	fl.IntVar(&keys, "keys", 1000, "distinct keys (services, or hosts for workload 6)")
	fl.BoolVar(&asJSON, "json", false, "print the figures as JSON instead of a table")
	fl.BoolVar(&latency, "latency", false, "also measure p50/p99 event-to-view latency at a fixed offered rate")
	fl.Float64Var(&latencyFraction, "latency-load", 0.5, "offered rate of the latency run, as a fraction of the workload's one-core capacity (events per CPU-second)")
	fl.DurationVar(&latencyFor, "latency-duration", 3*time.Second, "how long the latency run offers events")
	fl.IntVar(&latencyRuns, "latency-runs", 3, "latency runs per workload and mode (the table shows the medians of their p50s and p99s)")
	fl.DurationVar(&checkpoint, "checkpoint-interval", time.Second, "checkpoint interval during the runs (0 disables); workload 2 also runs with checkpoints off")
	fl.BoolVar(&verify, "verify", false, "check each run's view against a plain-loop reference (slower)")
	fl.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the first run of each workload and mode (suffixed -<workload>-<mode> when several)")
	fl.StringVar(&child, bench.ChildFlag, "", "internal: run one measured run given as JSON")
	_ = fl.MarkHidden(bench.ChildFlag) // it exists: declared just above
	return cmd
}
