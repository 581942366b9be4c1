package bench

import (
	"fmt"
	"strings"
)

// Stream says which generator feeds a workload.
type Stream uint8

// The two event streams.
const (
	// Requests are request-like events (RequestGen), source "requests".
	Requests Stream = iota + 1
	// Logs are Loghub-like log lines (LogGen), source "logs".
	Logs
)

// attribution says how the latency phase finds the moment an event's
// effect became visible in the view's changes.
type attribution uint8

const (
	// bySeq: the view has the event's seq column; the event is visible
	// when a row with its seq arrives.
	bySeq attribution = iota + 1
	// byGroupCount: the view has window_start, service and n = count(*);
	// the k-th event of a (window, service) group is visible when the
	// group's n reaches k (one key's events keep their order: they share
	// a partition). A HOP event is visible when all its windows are.
	byGroupCount
	// byWatermark: the view has seq and releases a row once the
	// watermark passes its event time; latency is measured from the send
	// of the event that moved the watermark past it.
	byWatermark
)

// Workload is one benchmark query over one stream.
type Workload struct {
	// ID is what --workload selects: "1" to "7", or "mem1m".
	ID string
	// Title describes the workload in a few words.
	Title string
	// Stream feeds the workload.
	Stream Stream
	// Setup runs before the source is created (workload 7's table).
	Setup func(keys int) []string
	// View is the query of materialized view v.
	View string
	// DefaultEvents is the events of one throughput run: two to five
	// seconds on this 2-core machine, so that a run with checkpoints
	// every second takes several of them (runs of half a second, the
	// first defaults, ended before the first checkpoint's work was done).
	// The other request workloads read one preloaded topic; workload 2,
	// whose runs with checkpoints on and off give the checkpoint cost,
	// has 10,000,000 events: at 3,000,000 its runs had come down to
	// 1.3-1.8 s, one checkpoint each, and the cost of a pair ranged from
	// 5 to 28 % (three pairs, bench --mode kafka --workload 2 --runs 1).
	DefaultEvents int
	// Keys overrides --keys (mem1m: one key per event).
	Keys func(events, keys int) int
	// sizeMs and slideMs are the window of byGroupCount workloads.
	sizeMs, slideMs int64
	attr            attribution
	// passes reports whether a request yields a row (bySeq over
	// requests); nil means every event does.
	passes func(r *Request) bool
	// memoryOnly workloads do not run in kafka mode.
	memoryOnly bool
}

const aggCols = `count(*) AS n, sum(latency_ms) AS total, avg(latency_ms) AS avg_ms, max(latency_ms) AS max_ms`

// workloads lists every workload, in table order.
var workloads = []*Workload{
	{
		ID: "1", Title: "filter + projection", Stream: Requests, DefaultEvents: 3_000_000, attr: bySeq,
		View:   `SELECT seq, ts, service, latency_ms, status FROM requests WHERE status >= 400`,
		passes: func(r *Request) bool { return r.Status >= 400 },
	},
	{
		ID: "2", Title: "TUMBLE 1 min count/sum/avg/max", Stream: Requests, DefaultEvents: 10_000_000, attr: byGroupCount,
		sizeMs: 60_000, slideMs: 60_000,
		View: `SELECT window_start, service, ` + aggCols + `
			FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE) GROUP BY window_start, service`,
	},
	{
		ID: "3", Title: "HOP 5 min / 1 min count/sum/avg/max", Stream: Requests, DefaultEvents: 3_000_000, attr: byGroupCount,
		sizeMs: 300_000, slideMs: 60_000,
		View: `SELECT window_start, service, ` + aggCols + `
			FROM HOP(requests, ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE) GROUP BY window_start, service`,
	},
	{
		ID: "4", Title: "approx_percentile p99 per key per window", Stream: Requests, DefaultEvents: 3_000_000, attr: byGroupCount,
		sizeMs: 60_000, slideMs: 60_000,
		View: `SELECT window_start, service, count(*) AS n, approx_percentile(latency_ms, 0.99) AS p99
			FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE) GROUP BY window_start, service`,
	},
	{
		ID: "5", Title: "ZSCORE OVER per key", Stream: Requests, DefaultEvents: 3_000_000, attr: byWatermark,
		View: `SELECT seq, service, ts, latency_ms, ZSCORE(latency_ms) OVER (PARTITION BY service ORDER BY ts) AS z FROM requests`,
	},
	{
		ID: "6", Title: "DRAIN_TEMPLATE over log lines", Stream: Logs, DefaultEvents: 1_000_000, attr: bySeq,
		View: `SELECT seq, ts, DRAIN_TEMPLATE_ID(msg) AS template_id, DRAIN_TEMPLATE(msg) AS template FROM logs`,
	},
	{
		ID: "7", Title: "stream-table join with thresholds", Stream: Requests, DefaultEvents: 3_000_000, attr: bySeq,
		Setup: thresholdTable,
		View: `SELECT r.seq, r.ts, r.service, r.latency_ms, t.max_ms
			FROM requests r JOIN thresholds t ON r.service = t.service WHERE r.latency_ms > t.max_ms`,
		passes: func(r *Request) bool { return r.LatencyMs > Threshold(r.Service) },
	},
	{
		ID: "mem1m", Title: "TUMBLE view with 1,000,000 live keys (memory)", Stream: Requests, DefaultEvents: 1_000_000,
		attr: byGroupCount, sizeMs: 60_000, slideMs: 60_000, memoryOnly: true,
		Keys: func(events, _ int) int { return events },
		View: `SELECT window_start, service, ` + aggCols + `
			FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE) GROUP BY window_start, service`,
	},
}

// DefaultWorkloads are the workloads of the default table.
const DefaultWorkloads = "1,2,3,4,5,6,7,mem1m"

// Lookup returns the workload with the given ID.
func Lookup(id string) (*Workload, error) {
	for _, w := range workloads {
		if w.ID == id {
			return w, nil
		}
	}
	ids := make([]string, len(workloads))
	for i, w := range workloads {
		ids[i] = w.ID
	}
	return nil, fmt.Errorf("unknown workload %q (known: %s)", id, strings.Join(ids, ", "))
}

// ParseWorkloads parses a comma-separated list of workload IDs.
func ParseWorkloads(list string) ([]*Workload, error) {
	var out []*Workload
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		w, err := Lookup(id)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workload selected")
	}
	return out, nil
}

// keysFor returns the key count a run of w uses.
func (w *Workload) keysFor(events, keys int) int {
	if w.Keys != nil {
		return w.Keys(events, keys)
	}
	return keys
}

// thresholdTable creates and fills workload 7's table by INSERT.
func thresholdTable(keys int) []string {
	stmts := []string{`CREATE TABLE thresholds (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION)`}
	const chunk = 500
	for from := 0; from < keys; from += chunk {
		var b strings.Builder
		b.WriteString("INSERT INTO thresholds VALUES ")
		for i := from; i < min(keys, from+chunk); i++ {
			if i > from {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "('%s', %g)", ServiceName(i), Threshold(i))
		}
		stmts = append(stmts, b.String())
	}
	return stmts
}

// sourceSQL returns the CREATE SOURCE statement of a stream with the
// given WITH options.
func sourceSQL(s Stream, with string) string {
	cols := `seq BIGINT, ts TIMESTAMP, service VARCHAR, latency_ms DOUBLE PRECISION, status INT`
	name := "requests"
	if s == Logs {
		cols, name = `seq BIGINT, ts TIMESTAMP, host VARCHAR, msg VARCHAR`, "logs"
	}
	return fmt.Sprintf(`CREATE SOURCE %s (%s, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (%s) FORMAT PLAIN ENCODE JSON`, name, cols, with)
}

// sourceName returns the source a stream is read through.
func sourceName(s Stream) string {
	if s == Logs {
		return "logs"
	}
	return "requests"
}

// watermarkDelayMs is the sources' WATERMARK delay.
const watermarkDelayMs = 5_000
