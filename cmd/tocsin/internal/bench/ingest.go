package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

// Run kinds of a child process.
const (
	kindIngest   = "ingest"
	kindLatency  = "latency"
	kindBaseline = "baseline"
)

// Spec is one measured run, executed in a child process of its own so
// that its CPU time and peak RSS are its own.
type Spec struct {
	Kind     string `json:"kind"`
	Workload string `json:"workload"`
	Mode     Mode   `json:"mode"`
	Events   int    `json:"events"`
	Keys     int    `json:"keys"`
	// Checkpoint is the checkpoint interval; zero or negative is off.
	Checkpoint time.Duration `json:"checkpoint"`
	// Broker and Topic locate a kafka-mode run's records.
	Broker string `json:"broker,omitempty"`
	Topic  string `json:"topic,omitempty"`
	// Rate and Duration drive a latency run: events per second offered,
	// for how long.
	Rate     float64       `json:"rate,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// Verify compares the view with the plain-loop reference after an
	// ingest run.
	Verify bool `json:"verify,omitempty"`
	// CPUProfile, if set, receives a CPU profile of the measured interval.
	CPUProfile string `json:"cpu_profile,omitempty"`
	// Self starts the producer process of a kafka-mode latency run;
	// BaseMs is the event time of a latency run's first event.
	Self   Command `json:"self,omitempty"`
	BaseMs int64   `json:"base_ms,omitempty"`
}

// Result is one run's measurements.
type Result struct {
	Events int64 `json:"events"`
	// WallSeconds and CPUSeconds span the measured interval; CPU is user
	// plus system time of this process (getrusage RUSAGE_SELF).
	WallSeconds float64 `json:"wall_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	// PeakRSS is VmHWM at the end of the run, reset (if the kernel
	// allows) just before the measured interval.
	PeakRSS      int64 `json:"peak_rss_bytes"`
	PeakRSSReset bool  `json:"peak_rss_reset"`
	// ViewRows is the view's row count at the end; StateBytes the size of
	// a full checkpoint of its state; HeapBytes the live heap growth over
	// the run (after GC).
	ViewRows   int64 `json:"view_rows,omitempty"`
	StateBytes int64 `json:"state_bytes,omitempty"`
	HeapBytes  int64 `json:"heap_bytes,omitempty"`
	// Latency figures (latency runs).
	OfferedRate    float64 `json:"offered_rate,omitempty"`
	LatencyP50Ms   float64 `json:"latency_p50_ms,omitempty"`
	LatencyP99Ms   float64 `json:"latency_p99_ms,omitempty"`
	LatencyMaxMs   float64 `json:"latency_max_ms,omitempty"`
	LatencySamples int     `json:"latency_samples,omitempty"`
	// LatencyMissing counts measured events never seen in the view.
	LatencyMissing int `json:"latency_missing,omitempty"`
	// ProducerLagMs is how far a kafka-mode latency run's producer fell
	// behind its schedule: the offered rate was not met when it is large.
	ProducerLagMs float64 `json:"producer_lag_ms,omitempty"`
	// AppendP50Ms, AppendP99Ms and AppendMaxMs are how long a kafka-mode
	// latency run's broker took to acknowledge an event (appended to the
	// partition's log) after its send time: the part of the latency that
	// is the producer's and the broker's, not Tocsin's.
	AppendP50Ms float64 `json:"append_p50_ms,omitempty"`
	AppendP99Ms float64 `json:"append_p99_ms,omitempty"`
	AppendMaxMs float64 `json:"append_max_ms,omitempty"`
	// AckLatencyP50Ms and AckLatencyP99Ms are a kafka-mode latency run's
	// latencies counted from the broker's acknowledgement of the event
	// (its arrival in the partition's log) instead of its send: Tocsin's
	// part alone, when the producer and broker fall behind the offered
	// rate.
	AckLatencyP50Ms float64 `json:"ack_latency_p50_ms,omitempty"`
	AckLatencyP99Ms float64 `json:"ack_latency_p99_ms,omitempty"`
	// ProducerCPUSeconds is the CPU time the producer process (producer
	// and broker) spent while sending, over ProducerWallSeconds.
	ProducerCPUSeconds  float64 `json:"producer_cpu_seconds,omitempty"`
	ProducerWallSeconds float64 `json:"producer_wall_seconds,omitempty"`
}

// RunChild executes one spec in this process; logs go to logw.
func RunChild(ctx context.Context, spec Spec, logw io.Writer) (*Result, error) {
	switch spec.Kind {
	case kindIngest:
		return runIngest(ctx, spec, logw)
	case kindLatency:
		return runLatency(ctx, spec, logw)
	case kindBaseline:
		if spec.Mode == Kafka {
			return runKafkaBaseline(ctx, spec)
		}
		return runMemoryBaseline(spec)
	}
	return nil, fmt.Errorf("bench: unknown run kind %q", spec.Kind)
}

// ingestTimeout bounds one throughput run.
const ingestTimeout = 10 * time.Minute

// runIngest measures a throughput run: the records are in place (the
// memory log filled, or the topic preloaded) before the clock starts; the
// clock runs from CREATE MATERIALIZED VIEW until the source has consumed
// every record and the view reflects them all.
func runIngest(ctx context.Context, spec Spec, logw io.Writer) (*Result, error) {
	w, err := Lookup(spec.Workload)
	if err != nil {
		return nil, err
	}
	keys := w.keysFor(spec.Events, spec.Keys)
	r, err := openRig(spec.Checkpoint, logw)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if w.Setup != nil {
		for _, sql := range w.Setup(keys) {
			if _, err := r.exec(ctx, sql); err != nil {
				return nil, err
			}
		}
	}
	topic := spec.Topic
	if spec.Mode == Memory {
		topic = "bench"
		r.mem.Add(topic, fillLog(w, spec.Events, spec.Keys))
	}
	want := expect(w, spec.Events, spec.Keys)
	if _, err := r.exec(ctx, sourceSQL(w.Stream, sourceWith(spec.Mode, topic, spec.Broker))); err != nil {
		return nil, err
	}
	heap0 := heapInUse()
	res := &Result{Events: int64(spec.Events), PeakRSSReset: resetPeakRSS()}
	stopProfile, err := startProfile(spec.CPUProfile)
	if err != nil {
		return nil, err
	}
	var iv interval
	iv.start()
	if _, err := r.exec(ctx, "CREATE MATERIALIZED VIEW v AS "+w.View); err != nil {
		stopProfile()
		return nil, err
	}
	err = waitIngested(ctx, r, w, int64(spec.Events), want)
	iv.stop()
	stopProfile()
	if err != nil {
		return nil, err
	}
	iv.record(res)
	n, err := r.eng.ViewRows("v")
	if err != nil {
		return nil, err
	}
	res.ViewRows = int64(n)
	// The state's heap, not a checkpoint's batch (which waitIngested's
	// polls used to wait for, when checkpoints held the engine's lock).
	r.eng.WithCheckpointsHeld(func() { res.HeapBytes = heapInUse() - heap0 })
	if spec.Verify {
		if err := verifyView(ctx, r, w, spec.Events, spec.Keys); err != nil {
			return nil, err
		}
	}
	if res.StateBytes, err = r.eng.FullCheckpoint(); err != nil {
		return nil, fmt.Errorf("measure state: %w", err)
	}
	return res, nil
}

// fillLog encodes a run's records into a memory log, partitioned by key.
func fillLog(w *Workload, events, keys int) *memory.Log {
	log := memory.NewLog(Partitions)
	for p, recs := range encodeRecords(w, events, keys) {
		log.Append(int32(p), recs...)
	}
	return log
}

// encodeRecords returns a run's records per partition. Records share
// large buffers, so they cost little beyond their bytes.
func encodeRecords(w *Workload, events, keys int) [][][]byte {
	per := make([][][]byte, Partitions)
	var arena []byte
	forEach(w, events, keys, func(e *event) {
		if cap(arena)-len(arena) < len(e.rec) {
			arena = make([]byte, 0, 4<<20)
		}
		start := len(arena)
		arena = append(arena, e.rec...)
		per[e.part] = append(per[e.part], arena[start:len(arena):len(arena)])
	})
	return per
}

// pollPeriod is how often the end of ingest is checked: a few ms of
// resolution on runs of seconds, at a negligible CPU cost.
const pollPeriod = 5 * time.Millisecond

// waitIngested returns when the source has covered all events records
// and the view reflects them (its rows or its sum of n match want).
func waitIngested(ctx context.Context, r *rig, w *Workload, events int64, want expectation) error {
	src := sourceName(w.Stream)
	deadline := time.Now().Add(ingestTimeout)
	var seen int64
	ok, err := poll(deadline, pollPeriod, func() (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, err := r.eng.SourceRecords(src)
		seen = n
		return n >= events, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("workload %s: the source covered %d of %d records in %v", w.ID, seen, events, ingestTimeout)
	}
	var got int64
	ok, err = poll(deadline, pollPeriod, func() (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if w.attr == byGroupCount {
			res, err := r.exec(ctx, "SELECT CAST(coalesce(sum(n), 0) AS BIGINT) FROM v")
			if err != nil {
				return false, err
			}
			got = res.data[0][0].I
			return got >= want.sum, nil
		}
		n, err := r.eng.ViewRows("v")
		got = int64(n)
		return got >= want.rows, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("workload %s: the view reflects %d (want %d) after the source covered every record", w.ID, got, max(want.rows, want.sum))
	}
	return nil
}

// verifyView compares the view's contents with the reference.
func verifyView(ctx context.Context, r *rig, w *Workload, events, keys int) error {
	var q string
	switch {
	case w.Stream == Logs:
		q = "SELECT seq, template_id FROM v"
	case w.attr == byGroupCount:
		q = "SELECT window_start, service, n FROM v"
	default:
		q = "SELECT seq, service FROM v"
	}
	res, err := r.exec(ctx, q)
	if err != nil {
		return err
	}
	out := make([]viewRow, 0, len(res.data))
	for _, row := range res.data {
		switch {
		case w.Stream == Logs:
			out = append(out, viewRow{seq: row[0].I, hasSeq: true, group: fmt.Sprint(row[1].I), n: 1})
		case w.attr == byGroupCount:
			out = append(out, viewRow{group: groupKey(row[0].I/1000, row[1].S), n: row[2].I})
		default:
			out = append(out, viewRow{seq: row[0].I, hasSeq: true, group: row[1].S, n: 1})
		}
	}
	return computeReference(w, events, keys).verify(w, out)
}

// startProfile starts a CPU profile into path (nothing if empty) and
// returns the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
