package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is a benchmark's figures, printed as a table or as JSON.
type Report struct {
	Machine Machine `json:"machine"`
	// Command is the invocation's settings.
	Settings Settings `json:"settings"`
	Rows     []*Row   `json:"rows"`
	// Baselines are the hand-written workload 2 loop per mode.
	Baselines []*Row `json:"baselines"`
	// CheckpointCost compares workload 2 with checkpoints on and off.
	CheckpointCost []*CheckpointCost `json:"checkpoint_cost,omitempty"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute averages at start:
	// a busy machine shows here.
	LoadAvg string `json:"load_avg"`
	Started string `json:"started"`
}

// Settings are the invocation's parameters.
type Settings struct {
	Runs               int     `json:"runs"`
	Keys               int     `json:"keys"`
	CheckpointInterval string  `json:"checkpoint_interval"`
	LatencyFraction    float64 `json:"latency_fraction,omitempty"`
	LatencySeconds     float64 `json:"latency_seconds,omitempty"`
}

// Row is one workload in one mode: medians over the runs.
type Row struct {
	Workload string `json:"workload"`
	Title    string `json:"title"`
	Mode     Mode   `json:"mode"`
	Events   int    `json:"events"`
	// EventsPerSec is events over the wall time of ingest;
	// EventsPerCPUSec events over this process's CPU time (user+sys).
	EventsPerSec    float64 `json:"events_per_sec"`
	EventsPerCPUSec float64 `json:"events_per_cpu_sec"`
	WallSeconds     float64 `json:"wall_seconds"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	// VsBaseline is EventsPerCPUSec over the same mode's baseline's.
	VsBaseline float64 `json:"vs_baseline,omitempty"`
	// Latency at OfferedRate events/s (omitted without --latency).
	OfferedRate    float64 `json:"offered_rate,omitempty"`
	LatencyP50Ms   float64 `json:"latency_p50_ms,omitempty"`
	LatencyP99Ms   float64 `json:"latency_p99_ms,omitempty"`
	LatencySamples int     `json:"latency_samples,omitempty"`
	LatencyMissing int     `json:"latency_missing,omitempty"`
	// AckLatencyP99Ms is the kafka-mode p99 counted from the broker's
	// acknowledgement (see Result).
	AckLatencyP99Ms float64 `json:"ack_latency_p99_ms,omitempty"`
	PeakRSS         int64   `json:"peak_rss_bytes"`
	ViewRows        int64   `json:"view_rows,omitempty"`
	// StateBytesPerKey is a full checkpoint of the view's state over its
	// rows; HeapBytesPerKey the live heap growth over its rows.
	StateBytesPerKey float64  `json:"state_bytes_per_key,omitempty"`
	HeapBytesPerKey  float64  `json:"heap_bytes_per_key,omitempty"`
	Runs             []Result `json:"runs"`
}

// CheckpointCost compares workload 2's throughput with checkpoints at the
// configured interval and off, measured in the same, interleaved runs.
type CheckpointCost struct {
	Mode     Mode   `json:"mode"`
	Interval string `json:"interval"`
	// On and Off are events/s and events/CPU-s.
	OnEventsPerSec     float64 `json:"on_events_per_sec"`
	OffEventsPerSec    float64 `json:"off_events_per_sec"`
	OnEventsPerCPUSec  float64 `json:"on_events_per_cpu_sec"`
	OffEventsPerCPUSec float64 `json:"off_events_per_cpu_sec"`
	// Ratio is on over off events/s (1 = free).
	Ratio float64 `json:"ratio"`
}

func newReport(cfg *Config) *Report {
	iv := "off"
	if cfg.CheckpointInterval > 0 {
		iv = cfg.CheckpointInterval.String()
	}
	r := &Report{Machine: machine(), Settings: Settings{Runs: cfg.Runs, Keys: cfg.Keys, CheckpointInterval: iv}}
	if cfg.Latency {
		r.Settings.LatencyFraction, r.Settings.LatencySeconds = cfg.LatencyFraction, cfg.LatencyDuration.Seconds()
	}
	return r
}

// row adds the row of a workload and mode.
func (r *Report) row(w *Workload, mode Mode, events int) *Row {
	row := &Row{Workload: w.ID, Title: w.Title, Mode: mode, Events: events}
	r.Rows = append(r.Rows, row)
	return row
}

func (row *Row) set(s summary) {
	row.EventsPerSec, row.EventsPerCPUSec = s.eventsPerSec, s.eventsPerCPUSec
	row.WallSeconds, row.CPUSeconds = s.wall, s.cpu
	row.PeakRSS, row.ViewRows, row.Runs = s.peakRSS, s.viewRows, s.runs
	if s.viewRows > 0 {
		row.StateBytesPerKey = float64(s.stateBytes) / float64(s.viewRows)
		row.HeapBytesPerKey = float64(s.heapBytes) / float64(s.viewRows)
	}
}

// setLatency records the latency runs of the row: the medians of their
// p50s and p99s (each percentile's median over runs), and the events
// measured and missing over all of them.
func (row *Row) setLatency(runs []*Result) {
	rs := make([]Result, len(runs))
	row.LatencySamples, row.LatencyMissing = 0, 0
	for i, res := range runs {
		rs[i] = *res
		row.LatencySamples += res.LatencySamples
		row.LatencyMissing += res.LatencyMissing
	}
	row.OfferedRate = median(rs, func(r Result) float64 { return r.OfferedRate })
	row.LatencyP50Ms = median(rs, func(r Result) float64 { return r.LatencyP50Ms })
	row.LatencyP99Ms = median(rs, func(r Result) float64 { return r.LatencyP99Ms })
	row.AckLatencyP99Ms = median(rs, func(r Result) float64 { return r.AckLatencyP99Ms })
}

func (r *Report) baseline(mode Mode, events int) func(summary) {
	row := &Row{Workload: "baseline", Title: "encoding/json + map, workload 2", Mode: mode, Events: events}
	r.Baselines = append(r.Baselines, row)
	return row.set
}

// checkpointOff returns the sink of workload 2's checkpoints-off runs.
func (r *Report) checkpointOff(mode Mode) func(summary) {
	c := &CheckpointCost{Mode: mode, Interval: r.Settings.CheckpointInterval}
	r.CheckpointCost = append(r.CheckpointCost, c)
	return func(s summary) { c.OffEventsPerSec, c.OffEventsPerCPUSec = s.eventsPerSec, s.eventsPerCPUSec }
}

// finish fills the ratios.
func (r *Report) finish() {
	base := map[Mode]*Row{}
	for _, b := range r.Baselines {
		base[b.Mode] = b
	}
	for _, row := range r.Rows {
		if b := base[row.Mode]; b != nil && b.EventsPerCPUSec > 0 {
			row.VsBaseline = row.EventsPerCPUSec / b.EventsPerCPUSec
		}
	}
	for _, c := range r.CheckpointCost {
		for _, row := range r.Rows {
			if row.Workload == "2" && row.Mode == c.Mode {
				c.OnEventsPerSec, c.OnEventsPerCPUSec = row.EventsPerSec, row.EventsPerCPUSec
			}
		}
		if c.OffEventsPerSec > 0 {
			c.Ratio = c.OnEventsPerSec / c.OffEventsPerSec
		}
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a text table with notes below it.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tmode\tevents\tevents/s\tevents/CPU-s\tvs baseline\tp50 ms\tp99 ms\tp99 from ack\tpeak RSS MB\tstate B/key\t")
	for _, row := range append(append([]*Row(nil), r.Rows...), r.Baselines...) {
		lat50, lat99, ack99, vs, state := "-", "-", "-", "-", "-"
		if row.LatencySamples > 0 {
			lat50, lat99 = fmt.Sprintf("%.1f", row.LatencyP50Ms), fmt.Sprintf("%.1f", row.LatencyP99Ms)
		}
		if row.AckLatencyP99Ms > 0 {
			ack99 = fmt.Sprintf("%.1f", row.AckLatencyP99Ms)
		}
		if row.VsBaseline > 0 {
			vs = fmt.Sprintf("%.2fx", row.VsBaseline)
		}
		if row.StateBytesPerKey > 0 {
			state = fmt.Sprintf("%.0f", row.StateBytesPerKey)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t\n", row.Workload, row.Mode, row.Events,
			thousands(row.EventsPerSec), thousands(row.EventsPerCPUSec), vs, lat50, lat99, ack99, float64(row.PeakRSS)/(1<<20), state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nMedians of %d runs; checkpoints %s; %d keys; %d CPUs, %s, load average at start %s.\n",
		r.Settings.Runs, r.Settings.CheckpointInterval, r.Settings.Keys, r.Machine.CPUs, r.Machine.GoVersion, r.Machine.LoadAvg)
	for _, c := range r.CheckpointCost {
		fmt.Fprintf(w, "Checkpoint cost (workload 2, %s): %s events/s with checkpoints every %s, %s off: ratio %.3f (events/CPU-s %s vs %s).\n",
			c.Mode, thousands(c.OnEventsPerSec), c.Interval, thousands(c.OffEventsPerSec), c.Ratio,
			thousands(c.OnEventsPerCPUSec), thousands(c.OffEventsPerCPUSec))
	}
	for _, row := range r.Rows {
		if row.Workload == "mem1m" {
			fmt.Fprintf(w, "Memory (TUMBLE view, %s live keys): %.0f bytes/key of heap, %.0f bytes/key in a full checkpoint.\n",
				thousands(float64(row.ViewRows)), row.HeapBytesPerKey, row.StateBytesPerKey)
		}
	}
	for _, row := range r.Rows {
		if row.LatencyMissing > 0 {
			fmt.Fprintf(w, "Warning: workload %s (%s): %d of the measured events never became visible in the view.\n",
				row.Workload, row.Mode, row.LatencyMissing)
		}
	}
	return nil
}

// thousands formats a figure with thousands separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
