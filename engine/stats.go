package engine

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/sql/catalog"
)

// Stats is a snapshot of the engine's counters, for metrics exporters
// (cmd/tocsin/internal/metrics reads it at scrape time), the system views
// and the playground console. Counters only grow while the engine runs;
// a view's counters are restored from its checkpoint after a restart,
// operators' counters start from zero with the process.
type Stats struct {
	// Time is when the snapshot was taken (the engine's clock).
	Time        time.Time
	Sources     []SourceStats
	Jobs        []JobStats
	Operators   []OperatorStats
	Sinks       []SinkStats
	Checkpoints CheckpointStats
}

// SourceStats are one source's counters, added up over the views that
// read it as SHOW SOURCES does: records, bytes and dead letters are the
// furthest reader's, late rows the sum over views, lag and watermark the
// slowest reader's.
type SourceStats struct {
	Name, Connector, Topic, Format string
	// Records counts the source records read (rows and rejects), Bytes
	// their values' size, Rows the records decoded into rows.
	Records, Bytes, Rows int64
	// DeadLetters counts records that did not decode; Late rows dropped
	// as late by windows.
	DeadLetters, Late int64
	// Lag is the number of offsets between the slowest reader and the
	// partitions' ends, summed over partitions.
	Lag int64
	// Watermark is the lowest reader's watermark (zero before the first)
	// and WatermarkDelay how far it is behind Stats.Time.
	Watermark      time.Time
	WatermarkDelay time.Duration
	// Readers is the number of views reading the source.
	Readers  int
	Backfill Backfill
}

// JobStats are a materialized view's or a sink's counters.
type JobStats struct {
	Name string
	// Kind is catalog.KindMaterializedView or catalog.KindSink.
	Kind   catalog.Kind
	Status string
	// Err is the job's error when it failed or waits for its source.
	Err error
	// Rows is the number of rows in the view (as last published).
	Rows int64
	// Records counts the source records (or upstream changes) read,
	// RowsIn the rows that entered the dataflow, RowsOut the changes it
	// applied to the view (or handed to the sink), Batches the batches.
	Records, RowsIn, RowsOut, Batches int64
	// Late counts rows dropped as late.
	Late int64
	// Lag is the offsets behind the sources' ends, summed.
	Lag int64
	// Watermark is the view's watermark (zero before the first).
	Watermark time.Time
	// StateBytes estimates the size of the job's checkpointed state on
	// disk.
	StateBytes int64
}

// OperatorStats are one operator's counters in a running job.
type OperatorStats struct {
	// View is the job's name; ID numbers the job's operators from 1 in
	// the order EXPLAIN lists them bottom-up (each side, the join, then
	// the rest from the source on).
	View string
	ID   int
	// Operator is the operator's kind (Filter, HashAgg, ...).
	Operator string
	// Batches counts calls with a batch; RowsIn and RowsOut the rows in
	// and out; Time the time spent in the operator itself.
	Batches, RowsIn, RowsOut int64
	Time                     time.Duration
}

// SinkStats are one sink's delivery state.
type SinkStats struct {
	Name, Connector, Mode, Status string
	Err                           error
	// Outbox is the number of notifications not yet delivered.
	Outbox int
	// Pending and Firing count the sink's alerts by state.
	Pending, Firing int64
	Channels        []ChannelStats
}

// ChannelStats are one sink channel's delivery counters.
type ChannelStats struct {
	Channel, Connector string
	// Health is healthy, degraded or down.
	Health string
	// Sent counts notifications delivered, Failed those given up,
	// Retried the attempts after the first.
	Sent, Failed, Retried int64
	// QueueDepth is the notifications waiting for the channel.
	QueueDepth int
	LastError  string
}

// CheckpointStats are the checkpoints taken since the engine opened.
type CheckpointStats struct {
	Count, Failures int64
	// Last is the last committed checkpoint (zero if none).
	Last durable.CheckpointInfo
	// DurationSum is the total duration in seconds; Buckets the duration
	// histogram, cumulative, with upper bounds in seconds.
	DurationSum float64
	Buckets     []Bucket
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	UpperBound float64
	Count      uint64
}

// checkpointBounds are the checkpoint duration histogram's upper bounds
// in seconds.
var checkpointBounds = [...]float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// checkpointMeters count checkpoints.
type checkpointMeters struct {
	mu              sync.Mutex
	count, failures int64
	sum             float64
	counts          [len(checkpointBounds)]uint64
	last            durable.CheckpointInfo
}

func (m *checkpointMeters) done(info durable.CheckpointInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count++
	s := info.Duration.Seconds()
	m.sum += s
	for i, b := range checkpointBounds {
		if s <= b {
			m.counts[i]++
			break
		}
	}
	m.last = info
}

func (m *checkpointMeters) failed() {
	m.mu.Lock()
	m.failures++
	m.mu.Unlock()
}

func (m *checkpointMeters) snapshot() CheckpointStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := CheckpointStats{Count: m.count, Failures: m.failures, Last: m.last, DurationSum: m.sum}
	var cum uint64
	for i, b := range checkpointBounds {
		cum += m.counts[i]
		st.Buckets = append(st.Buckets, Bucket{UpperBound: b, Count: cum})
	}
	return st
}

// Stats returns a snapshot of the engine's counters. It reads atomics
// and takes short locks; it never waits for a job.
func (e *Engine) Stats() Stats {
	now := e.opts.Now()
	st := Stats{Time: now, Checkpoints: e.ckptMeters.snapshot()}
	e.mu.Lock()
	for _, o := range e.cat.List(catalog.KindSource) {
		st.Sources = append(st.Sources, e.sourceStats(o, now))
	}
	var jobs []*job
	for _, kind := range []catalog.Kind{catalog.KindMaterializedView, catalog.KindSink} {
		for _, o := range e.cat.List(kind) {
			j, ok := e.jobs[o.ID]
			if !ok {
				st.Jobs = append(st.Jobs, JobStats{Name: o.Name, Kind: kind, Status: "stopped"})
				continue
			}
			jobs = append(jobs, j)
			st.Jobs = append(st.Jobs, e.jobStats(j))
		}
	}
	e.mu.Unlock()
	for _, j := range jobs {
		st.Operators = append(st.Operators, j.operatorStats()...)
	}
	for _, rt := range e.sortedSinks() {
		st.Sinks = append(st.Sinks, e.sinkStats(rt))
	}
	return st
}

// sourceStats adds up source o's readers (e.mu held).
func (e *Engine) sourceStats(o *catalog.Object, now time.Time) SourceStats {
	agg := e.statsOf(o.ID)
	s := SourceStats{
		Name: o.Name, Connector: o.Source.Connector, Topic: o.Source.Options["topic"],
		Format:  strings.TrimSpace(strings.ToUpper(o.Source.Format + " " + o.Source.Encode)),
		Records: agg.records, Rows: agg.rows, DeadLetters: agg.malformed, Late: agg.late, Readers: agg.readers,
		Backfill: Backfill{ETA: -1},
	}
	for p, h := range agg.highs {
		if off, ok := agg.offsets[p]; ok && h > off {
			s.Lag += h - off
		}
	}
	if agg.hasWM {
		s.Watermark = time.UnixMicro(agg.wm).UTC()
		s.WatermarkDelay = max(now.Sub(s.Watermark), 0)
	}
	for _, j := range e.jobs {
		for _, in := range j.inputs {
			if in.obj.ID == o.ID {
				s.Bytes = max(s.Bytes, in.stats.bytes.Load())
			}
		}
	}
	s.Backfill = e.sourceBackfill(o.ID, now)
	return s
}

// jobStats reads a job's counters (e.mu held).
func (e *Engine) jobStats(j *job) JobStats {
	s := JobStats{Name: j.view.Name, Kind: j.view.Kind, Rows: int64(j.store.Read().Len()), Late: j.stats.late.Load()}
	s.Status, s.Err = j.Status()
	if wm, ok := watermarkTime(j.stats.watermark.Load()); ok {
		s.Watermark = time.UnixMicro(wm).UTC()
	}
	if len(j.inputs) == 0 {
		s.Records, s.RowsIn, s.Batches = j.stats.records.Load(), j.stats.rows.Load(), j.stats.batches.Load()
	}
	for _, in := range j.inputs {
		s.Records += in.stats.records.Load()
		s.RowsIn += in.stats.rows.Load()
		s.Batches += in.stats.batches.Load()
		offs, highs := in.stats.progress()
		for p, h := range highs {
			if h > offs[p] {
				s.Lag += h - offs[p]
			}
		}
	}
	if j.meters != nil {
		s.RowsOut = j.meters.rowsOut.Load()
	}
	if e.db != nil {
		if n, err := e.db.Size(durable.ObjectPrefix(j.view.ID)); err == nil {
			s.StateBytes = int64(n)
		}
	}
	return s
}

// jobOperator is one operator of a job with its meter (nil before the
// job starts).
type jobOperator struct {
	op any // an ops.Operator or the *ops.IntervalJoin
	m  *opMeter
	// side is the input the operator belongs to (-1 after the join).
	side int
}

// operators lists the job's operators in EXPLAIN's bottom-up order:
// each side's, the join, then the rest.
func (j *job) operators() []jobOperator {
	var out []jobOperator
	jm := j.meters
	for i, side := range j.pipe.Sides {
		for k, op := range side {
			jo := jobOperator{op: op, side: i}
			if jm != nil && i < len(jm.sides) && k < len(jm.sides[i]) {
				jo.m = jm.sides[i][k]
			}
			out = append(out, jo)
		}
	}
	if j.pipe.Join != nil {
		jo := jobOperator{op: j.pipe.Join, side: -1}
		if jm != nil {
			jo.m = jm.join
		}
		out = append(out, jo)
	}
	for k, op := range j.pipe.Ops {
		jo := jobOperator{op: op, side: -1}
		if jm != nil && k < len(jm.main) {
			jo.m = jm.main[k]
		}
		out = append(out, jo)
	}
	return out
}

func (j *job) operatorStats() []OperatorStats {
	var out []OperatorStats
	for i, jo := range j.operators() {
		s := OperatorStats{View: j.view.Name, ID: i + 1, Operator: operatorKind(jo.op)}
		if jo.m != nil {
			s.Batches, s.RowsIn, s.RowsOut = jo.m.batches.Load(), jo.m.rowsIn.Load(), jo.m.rowsOut.Load()
			s.Time = time.Duration(jo.m.nanos.Load())
		}
		out = append(out, s)
	}
	return out
}

// sinkStats reads a running sink's delivery state.
func (e *Engine) sinkStats(rt *sinkRuntime) SinkStats {
	s := SinkStats{Name: rt.obj.Name, Connector: rt.def.channels["default"].Options["connector"], Mode: "alerts",
		Outbox: rt.outbox.Len(), Status: "stopped"}
	if rt.def.mode == modeRows {
		s.Mode = "rows"
	}
	e.mu.Lock()
	if j, ok := e.jobs[rt.obj.ID]; ok {
		s.Status, s.Err = j.Status()
	}
	e.mu.Unlock()
	if rt.mgr != nil {
		for _, a := range rt.mgr.Alerts() {
			switch a.State {
			case "pending":
				s.Pending++
			case "firing":
				s.Firing++
			}
		}
	}
	for _, h := range rt.disp.Health() {
		s.Channels = append(s.Channels, ChannelStats{
			Channel: h.Channel, Connector: rt.def.channels[h.Channel].Options["connector"], Health: h.State,
			Sent: h.Sent, Failed: h.Failed, Retried: h.Retried, QueueDepth: h.QueueDepth, LastError: h.LastError,
		})
	}
	sort.Slice(s.Channels, func(a, b int) bool { return s.Channels[a].Channel < s.Channels[b].Channel })
	return s
}
