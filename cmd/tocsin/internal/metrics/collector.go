package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
	"github.com/tocsin-db/tocsin/sql/catalog"
)

// EngineStats is the engine side the collector reads.
type EngineStats interface {
	Stats() engine.Stats
}

// WireStats is the Postgres wire server side the collector reads.
type WireStats interface {
	Stats() pgwire.Stats
}

// NewRegistry returns a registry holding Tocsin's collector over eng and
// wire (nil leaves out the pgwire metrics) and the Go runtime and
// process collectors.
func NewRegistry(eng EngineStats, wire WireStats) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(eng, wire), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// desc builds a metric description.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("tocsin_"+name, help, labels, nil)
}

// Collector is a prometheus.Collector over the engine's and the wire
// server's snapshots.
type Collector struct {
	eng  EngineStats
	wire WireStats

	sourceRecords, sourceBytes, sourceRows, sourceDead, sourceLate       *prometheus.Desc
	sourceLag, sourceWMDelay, sourceWM, sourceReaders                    *prometheus.Desc
	sourceBackfill, sourceBackfillRate, sourceBackfillETA, sourceFilling *prometheus.Desc

	viewUp, viewRows, viewRecords, viewRowsIn, viewRowsOut, viewBatches *prometheus.Desc
	viewLate, viewLag, viewStateBytes, viewWM                           *prometheus.Desc

	opBatches, opRowsIn, opRowsOut, opSeconds *prometheus.Desc

	ckptTotal, ckptFailures, ckptDuration, ckptLastBytes, ckptStateBytes *prometheus.Desc

	sinkSent, sinkFailed, sinkRetried, sinkQueue, sinkHealth, sinkOutbox, sinkAlerts *prometheus.Desc

	pgConns, pgConnsTotal, pgQueries, pgErrors *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns the collector; wire may be nil.
func NewCollector(eng EngineStats, wire WireStats) *Collector {
	src, view, op, ch := []string{"source"}, []string{"view", "kind"}, []string{"view", "operator_id", "operator"}, []string{"sink", "channel"}
	return &Collector{
		eng: eng, wire: wire,

		sourceRecords:      desc("source_records_total", "Source records read (decoded rows and dead letters).", src...),
		sourceBytes:        desc("source_bytes_total", "Bytes of the source records' values read.", src...),
		sourceRows:         desc("source_rows_total", "Source records decoded into rows.", src...),
		sourceDead:         desc("source_dead_letters_total", "Source records that did not decode (dead-lettered).", src...),
		sourceLate:         desc("source_late_rows_total", "Rows dropped as late by the views reading the source.", src...),
		sourceLag:          desc("source_lag_records", "Records between the slowest reader and the partitions' ends.", src...),
		sourceWMDelay:      desc("source_watermark_delay_seconds", "How far the source's watermark is behind the wall clock.", src...),
		sourceWM:           desc("source_watermark_timestamp_seconds", "The source's watermark (event time, Unix seconds).", src...),
		sourceReaders:      desc("source_readers", "Views reading the source.", src...),
		sourceBackfill:     desc("source_backfill_ratio", "Fraction of the backlog at start that the slowest reader has consumed (1 when caught up).", src...),
		sourceBackfillRate: desc("source_backfill_events_per_second", "The slowest reader's events per second (moving average).", src...),
		sourceBackfillETA:  desc("source_backfill_eta_seconds", "Estimated time until the slowest reader has caught up.", src...),
		sourceFilling:      desc("source_backfilling", "1 while a reader of the source is still catching up with its backlog.", src...),

		viewUp:         desc("view_up", "1 when the view's or sink's job is running.", view...),
		viewRows:       desc("view_rows", "Rows in the view.", view...),
		viewRecords:    desc("view_records_total", "Source records (or upstream changes) the job read.", view...),
		viewRowsIn:     desc("view_rows_in_total", "Rows that entered the job's dataflow.", view...),
		viewRowsOut:    desc("view_rows_out_total", "Changes the job applied to its view or handed to its sink.", view...),
		viewBatches:    desc("view_batches_total", "Batches the job processed.", view...),
		viewLate:       desc("view_late_rows_total", "Rows the job dropped as late.", view...),
		viewLag:        desc("view_lag_records", "Records between the job's readers and the partitions' ends.", view...),
		viewStateBytes: desc("view_state_bytes", "Estimated size of the job's checkpointed state on disk.", view...),
		viewWM:         desc("view_watermark_timestamp_seconds", "The job's watermark (event time, Unix seconds).", view...),

		opBatches: desc("operator_batches_total", "Batches an operator processed.", op...),
		opRowsIn:  desc("operator_rows_in_total", "Rows into an operator.", op...),
		opRowsOut: desc("operator_rows_out_total", "Rows out of an operator.", op...),
		opSeconds: desc("operator_seconds_total", "Time spent in an operator itself (not downstream).", op...),

		ckptTotal:      desc("checkpoints_total", "Checkpoints committed."),
		ckptFailures:   desc("checkpoint_failures_total", "Checkpoints that failed."),
		ckptDuration:   desc("checkpoint_duration_seconds", "Duration of committed checkpoints."),
		ckptLastBytes:  desc("checkpoint_last_bytes", "Bytes written by the last checkpoint."),
		ckptStateBytes: desc("checkpoint_state_bytes", "Size of the checkpointed state on disk after the last checkpoint."),

		sinkSent:    desc("sink_sent_total", "Notifications a sink channel delivered.", ch...),
		sinkFailed:  desc("sink_failed_total", "Notifications a sink channel gave up on.", ch...),
		sinkRetried: desc("sink_retried_total", "Delivery attempts after the first.", ch...),
		sinkQueue:   desc("sink_queue_depth", "Notifications waiting for a sink channel.", ch...),
		sinkHealth:  desc("sink_channel_health", "1 for the channel's current health state.", "sink", "channel", "state"),
		sinkOutbox:  desc("sink_outbox_depth", "Notifications in a sink's durable outbox, not yet delivered.", "sink"),
		sinkAlerts:  desc("sink_alerts", "A sink's alerts by state.", "sink", "state"),

		pgConns:      desc("pgwire_connections", "Open Postgres wire connections."),
		pgConnsTotal: desc("pgwire_connections_total", "Postgres wire connections accepted."),
		pgQueries:    desc("pgwire_queries_total", "Queries received (simple Query and extended Execute messages)."),
		pgErrors:     desc("pgwire_errors_total", "Error responses sent, by SQLSTATE class.", "class"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.sourceRecords, c.sourceBytes, c.sourceRows, c.sourceDead, c.sourceLate, c.sourceLag, c.sourceWMDelay, c.sourceWM,
		c.sourceReaders, c.sourceBackfill, c.sourceBackfillRate, c.sourceBackfillETA, c.sourceFilling,
		c.viewUp, c.viewRows, c.viewRecords, c.viewRowsIn, c.viewRowsOut, c.viewBatches, c.viewLate, c.viewLag, c.viewStateBytes, c.viewWM,
		c.opBatches, c.opRowsIn, c.opRowsOut, c.opSeconds,
		c.ckptTotal, c.ckptFailures, c.ckptDuration, c.ckptLastBytes, c.ckptStateBytes,
		c.sinkSent, c.sinkFailed, c.sinkRetried, c.sinkQueue, c.sinkHealth, c.sinkOutbox, c.sinkAlerts,
	} {
		ch <- d
	}
	if c.wire != nil {
		for _, d := range []*prometheus.Desc{c.pgConns, c.pgConnsTotal, c.pgQueries, c.pgErrors} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector: one engine snapshot (and one
// wire snapshot) per scrape.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.eng.Stats()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range st.Sources {
		counter(c.sourceRecords, float64(s.Records), s.Name)
		counter(c.sourceBytes, float64(s.Bytes), s.Name)
		counter(c.sourceRows, float64(s.Rows), s.Name)
		counter(c.sourceDead, float64(s.DeadLetters), s.Name)
		counter(c.sourceLate, float64(s.Late), s.Name)
		gauge(c.sourceLag, float64(s.Lag), s.Name)
		gauge(c.sourceReaders, float64(s.Readers), s.Name)
		if !s.Watermark.IsZero() {
			gauge(c.sourceWMDelay, s.WatermarkDelay.Seconds(), s.Name)
			gauge(c.sourceWM, float64(s.Watermark.UnixMicro())/1e6, s.Name)
		}
		if b := s.Backfill; b.Known {
			gauge(c.sourceBackfill, float64(b.Consumed)/float64(b.Target), s.Name)
			gauge(c.sourceBackfillRate, b.Rate, s.Name)
			gauge(c.sourceFilling, boolValue(b.Active), s.Name)
			if b.ETA >= 0 {
				gauge(c.sourceBackfillETA, b.ETA.Seconds(), s.Name)
			}
		}
	}
	for _, j := range st.Jobs {
		kind := jobKind(j.Kind)
		gauge(c.viewUp, boolValue(j.Status == "running"), j.Name, kind)
		gauge(c.viewRows, float64(j.Rows), j.Name, kind)
		counter(c.viewRecords, float64(j.Records), j.Name, kind)
		counter(c.viewRowsIn, float64(j.RowsIn), j.Name, kind)
		counter(c.viewRowsOut, float64(j.RowsOut), j.Name, kind)
		counter(c.viewBatches, float64(j.Batches), j.Name, kind)
		counter(c.viewLate, float64(j.Late), j.Name, kind)
		gauge(c.viewLag, float64(j.Lag), j.Name, kind)
		gauge(c.viewStateBytes, float64(j.StateBytes), j.Name, kind)
		if !j.Watermark.IsZero() {
			gauge(c.viewWM, float64(j.Watermark.UnixMicro())/1e6, j.Name, kind)
		}
	}
	for _, o := range st.Operators {
		id := strconv.Itoa(o.ID)
		counter(c.opBatches, float64(o.Batches), o.View, id, o.Operator)
		counter(c.opRowsIn, float64(o.RowsIn), o.View, id, o.Operator)
		counter(c.opRowsOut, float64(o.RowsOut), o.View, id, o.Operator)
		counter(c.opSeconds, o.Time.Seconds(), o.View, id, o.Operator)
	}
	cp := st.Checkpoints
	counter(c.ckptTotal, float64(cp.Count))
	counter(c.ckptFailures, float64(cp.Failures))
	buckets := make(map[float64]uint64, len(cp.Buckets))
	for _, b := range cp.Buckets {
		buckets[b.UpperBound] = b.Count
	}
	ch <- prometheus.MustNewConstHistogram(c.ckptDuration, uint64(cp.Count), cp.DurationSum, buckets)
	if cp.Count > 0 {
		gauge(c.ckptLastBytes, float64(cp.Last.Bytes))
		gauge(c.ckptStateBytes, float64(cp.Last.StateBytes))
	}
	for _, s := range st.Sinks {
		gauge(c.sinkOutbox, float64(s.Outbox), s.Name)
		gauge(c.sinkAlerts, float64(s.Pending), s.Name, "pending")
		gauge(c.sinkAlerts, float64(s.Firing), s.Name, "firing")
		for _, h := range s.Channels {
			counter(c.sinkSent, float64(h.Sent), s.Name, h.Channel)
			counter(c.sinkFailed, float64(h.Failed), s.Name, h.Channel)
			counter(c.sinkRetried, float64(h.Retried), s.Name, h.Channel)
			gauge(c.sinkQueue, float64(h.QueueDepth), s.Name, h.Channel)
			gauge(c.sinkHealth, 1, s.Name, h.Channel, h.Health)
		}
	}
	if c.wire == nil {
		return
	}
	w := c.wire.Stats()
	gauge(c.pgConns, float64(w.Connections))
	counter(c.pgConnsTotal, float64(w.ConnectionsTotal))
	counter(c.pgQueries, float64(w.Queries))
	for class, n := range w.Errors {
		counter(c.pgErrors, float64(n), class)
	}
}

func jobKind(k catalog.Kind) string {
	if k == catalog.KindSink {
		return "sink"
	}
	return "materialized_view"
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
