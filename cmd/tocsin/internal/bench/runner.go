package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config is one `tocsin bench` invocation.
type Config struct {
	Workloads []*Workload
	Modes     []Mode
	// Events overrides every workload's DefaultEvents when positive.
	Events int
	// Runs is the number of throughput runs per workload and mode; the
	// table shows their medians.
	Runs int
	// Keys is the key count of the request workloads (default 1,000).
	Keys int
	// CheckpointInterval is the engine's checkpoint interval in the runs
	// (zero or negative: off). With it on, workload 2 is also run with
	// checkpoints off, for the checkpoint cost.
	CheckpointInterval time.Duration
	// Latency adds a latency run per workload and mode, offering
	// LatencyFraction (default 0.5) of the workload's capacity for
	// LatencyDuration (default 3 s). Capacity is what one core sustains:
	// the measured median events per CPU-second (or events/s, if lower).
	// The throughput runs had both cores to themselves; a latency run
	// shares them with the producer and, in kafka mode, the broker, which
	// could not offer half of a two-core rate.
	// LatencyRuns is the number of latency runs per workload and mode
	// (default 1); the table shows the medians of their p50s and p99s.
	Latency         bool
	LatencyFraction float64
	LatencyDuration time.Duration
	LatencyRuns     int
	// Verify checks every run's view against the plain-loop reference.
	Verify bool
	// CPUProfile, if set, receives a CPU profile of the first run of
	// each workload and mode (the name gets "-<workload>-<mode>" before
	// its extension when more than one is profiled).
	CPUProfile string
	// Self starts a child run ("tocsin bench"); Broker starts a broker
	// ("tocsin broker").
	Self, Broker Command
	// Progress receives one line per run (nil: nowhere).
	Progress io.Writer
}

func (c *Config) defaults() {
	if c.Runs <= 0 {
		c.Runs = 3
	}
	if c.Keys <= 0 {
		c.Keys = 1000
	}
	if c.LatencyFraction <= 0 {
		c.LatencyFraction = 0.5
	}
	if c.LatencyDuration <= 0 {
		c.LatencyDuration = 3 * time.Second
	}
	if c.LatencyRuns <= 0 {
		c.LatencyRuns = 1
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

func (c *Config) eventsFor(w *Workload) int {
	if c.Events > 0 {
		return c.Events
	}
	return w.DefaultEvents
}

// Run runs the benchmark and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	rep := newReport(&cfg)
	for _, mode := range cfg.Modes {
		if err := runMode(ctx, &cfg, mode, rep); err != nil {
			return nil, err
		}
	}
	rep.finish()
	return rep, nil
}

// job is one kind of measured run, repeated cfg.Runs times.
type job struct {
	spec    Spec
	results []Result
	// into receives the summary.
	into func(s summary)
}

func runMode(ctx context.Context, cfg *Config, mode Mode, rep *Report) error {
	var broker *brokerProc
	if mode == Kafka {
		var err error
		if broker, err = startBroker(ctx, cfg.Broker, cfg.Progress); err != nil {
			return err
		}
		defer broker.stop()
	}
	topics := map[string]bool{}
	// topicFor preloads (once) the records of a throughput run of w.
	topicFor := func(w *Workload, events int) (string, error) {
		if mode != Kafka {
			return "", nil
		}
		// Workloads over the same stream and size read the same records.
		topic := fmt.Sprintf("bench-%s-%d-%d", sourceName(w.Stream), events, w.keysFor(events, cfg.Keys))
		if !topics[topic] {
			start := time.Now()
			if err := preload(ctx, broker.addr, topic, w, events, cfg.Keys); err != nil {
				return "", err
			}
			fmt.Fprintf(cfg.Progress, "preloaded %s (%d records) in %v\n", topic, events, time.Since(start).Round(time.Millisecond))
			topics[topic] = true
		}
		return topic, nil
	}
	addr := ""
	if broker != nil {
		addr = broker.addr
	}
	profiled := 0
	for _, w := range cfg.Workloads {
		if !w.memoryOnly || mode == Memory {
			profiled++
		}
	}
	baselineDone := false
	for _, w := range cfg.Workloads {
		if w.memoryOnly && mode == Kafka {
			continue
		}
		events := cfg.eventsFor(w)
		topic, err := topicFor(w, events)
		if err != nil {
			return err
		}
		base := Spec{Kind: kindIngest, Workload: w.ID, Mode: mode, Events: events, Keys: cfg.Keys,
			Checkpoint: cfg.CheckpointInterval, Broker: addr, Topic: topic, Verify: cfg.Verify}
		row := rep.row(w, mode, events)
		jobs := []*job{{spec: base, into: row.set}}
		if w.ID == "2" {
			if cfg.CheckpointInterval > 0 {
				off := base
				off.Checkpoint = 0
				jobs = append(jobs, &job{spec: off, into: rep.checkpointOff(mode)})
			}
			jobs = append(jobs, &job{spec: Spec{Kind: kindBaseline, Workload: "2", Mode: mode, Events: events, Keys: cfg.Keys,
				Broker: addr, Topic: topic}, into: rep.baseline(mode, events)})
			baselineDone = true
		}
		if cfg.CPUProfile != "" {
			jobs[0].spec.CPUProfile = profilePath(cfg.CPUProfile, w.ID, mode, profiled > 1 || len(cfg.Modes) > 1)
		}
		if err := runJobs(ctx, cfg, jobs); err != nil {
			return err
		}
		if cfg.Latency && w.ID != "mem1m" {
			spec := Spec{Kind: kindLatency, Workload: w.ID, Mode: mode, Keys: cfg.Keys, Checkpoint: cfg.CheckpointInterval,
				Broker: addr, Topic: fmt.Sprintf("latency-w%s", w.ID),
				Rate: cfg.LatencyFraction * min(row.EventsPerSec, row.EventsPerCPUSec), Duration: cfg.LatencyDuration, Self: cfg.Self}
			if cfg.CPUProfile != "" {
				ext := filepath.Ext(cfg.CPUProfile)
				spec.CPUProfile = profilePath(strings.TrimSuffix(cfg.CPUProfile, ext)+"-latency"+ext, w.ID, mode, profiled > 1 || len(cfg.Modes) > 1)
			}
			var runs []*Result
			for k := range cfg.LatencyRuns {
				if k > 0 {
					spec.CPUProfile = ""
				}
				res, err := runChild(ctx, cfg.Self, spec)
				if err != nil {
					return err
				}
				if mode == Memory {
					fmt.Fprintf(cfg.Progress, "%-8s %-6s latency run %d at %.0f events/s: p50 %.1f ms, p99 %.1f ms (%d events, %d missing)\n",
						w.ID, mode, k+1, spec.Rate, res.LatencyP50Ms, res.LatencyP99Ms, res.LatencySamples, res.LatencyMissing)
				} else {
					fmt.Fprintf(cfg.Progress, "%-8s %-6s latency run %d at %.0f events/s: p50 %.1f ms, p99 %.1f ms, from the broker's ack p50/p99 %.1f/%.1f ms (%d events, %d missing, producer lag %.0f ms, broker ack after send p50/p99/max %.1f/%.1f/%.1f ms, producer+broker %.2f CPU-s in %.2f s)\n",
						w.ID, mode, k+1, spec.Rate, res.LatencyP50Ms, res.LatencyP99Ms, res.AckLatencyP50Ms, res.AckLatencyP99Ms, res.LatencySamples, res.LatencyMissing, res.ProducerLagMs,
						res.AppendP50Ms, res.AppendP99Ms, res.AppendMaxMs, res.ProducerCPUSeconds, res.ProducerWallSeconds)
				}
				runs = append(runs, res)
			}
			row.setLatency(runs)
		}
	}
	if !baselineDone {
		w2, err := Lookup("2")
		if err != nil {
			return err
		}
		events := cfg.eventsFor(w2)
		topic, err := topicFor(w2, events)
		if err != nil {
			return err
		}
		j := &job{spec: Spec{Kind: kindBaseline, Workload: "2", Mode: mode, Events: events, Keys: cfg.Keys, Broker: addr, Topic: topic},
			into: rep.baseline(mode, events)}
		if err := runJobs(ctx, cfg, []*job{j}); err != nil {
			return err
		}
	}
	return nil
}

// runJobs runs the jobs' repetitions interleaved (a, b, a, b, ...), so
// slow drift of the machine spreads over all of them alike, then hands
// each job its summary.
func runJobs(ctx context.Context, cfg *Config, jobs []*job) error {
	for run := range cfg.Runs {
		for _, j := range jobs {
			spec := j.spec
			if run > 0 {
				spec.CPUProfile = ""
			}
			res, err := runChild(ctx, cfg.Self, spec)
			if err != nil {
				return err
			}
			j.results = append(j.results, *res)
			ckpt := "off"
			if spec.Checkpoint > 0 && spec.Kind == kindIngest {
				ckpt = spec.Checkpoint.String()
			}
			fmt.Fprintf(cfg.Progress, "%-8s %-6s %-8s run %d: %9d events in %6.3fs wall, %6.3fs CPU: %10.0f events/s, %10.0f events/CPU-s (checkpoints %s)\n",
				spec.Workload, spec.Mode, spec.Kind, run+1, res.Events, res.WallSeconds, res.CPUSeconds,
				float64(res.Events)/res.WallSeconds, float64(res.Events)/res.CPUSeconds, ckpt)
		}
	}
	for _, j := range jobs {
		j.into(summarize(j.results))
	}
	return nil
}

// profilePath names the CPU profile of one workload and mode.
func profilePath(path, workload string, mode Mode, several bool) string {
	if !several {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%s-%s%s", strings.TrimSuffix(path, ext), workload, mode, ext)
}

// summary is the medians of a job's runs.
type summary struct {
	runs            []Result
	eventsPerSec    float64
	eventsPerCPUSec float64
	wall, cpu       float64
	peakRSS         int64
	stateBytes      int64
	heapBytes       int64
	viewRows        int64
}

// summarize takes the median of each figure over the runs separately.
func summarize(rs []Result) summary {
	s := summary{runs: rs}
	s.eventsPerSec = median(rs, func(r Result) float64 { return float64(r.Events) / r.WallSeconds })
	s.eventsPerCPUSec = median(rs, func(r Result) float64 { return float64(r.Events) / r.CPUSeconds })
	s.wall = median(rs, func(r Result) float64 { return r.WallSeconds })
	s.cpu = median(rs, func(r Result) float64 { return r.CPUSeconds })
	s.peakRSS = int64(median(rs, func(r Result) float64 { return float64(r.PeakRSS) }))
	s.stateBytes = int64(median(rs, func(r Result) float64 { return float64(r.StateBytes) }))
	s.heapBytes = int64(median(rs, func(r Result) float64 { return float64(r.HeapBytes) }))
	s.viewRows = int64(median(rs, func(r Result) float64 { return float64(r.ViewRows) }))
	return s
}

func median(rs []Result, f func(Result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// machine describes where the benchmark ran.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	m.Started = time.Now().UTC().Format(time.RFC3339)
	return m
}
