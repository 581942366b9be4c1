package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

// Latency phase. A producer offers events at a fixed rate, each stamped
// with its send time; a SUBSCRIBE to the view receives the view's
// changes as the job publishes them. An event's latency runs from just
// before its batch is handed to the log (memory) or the Kafka producer
// (kafka) to the arrival of the first change that reflects it:
//
//   - row views (1, 6, 7): the row carrying the event's seq;
//   - aggregate views (2, 3, 4): Tocsin's views update on every batch
//     (EMIT ON UPDATE), so the change raising its (window, key) group's
//     count to the event's rank; a HOP event needs all its windows;
//   - ZSCORE OVER (5) emits a row only once the watermark passes its
//     event time; its latency runs from the send of the event that moved
//     the watermark past it, so the 5 s watermark delay the query asks
//     for is excluded.
//
// The events are generated, encoded and registered with the tracker
// before the producer starts (planLatency), so that during the run this
// process spends its CPU on the engine, not on making JSON: event i's
// time is its scheduled send time, i/rate after the moment the plan was
// made, so event time runs at the wall clock's pace, behind it by the
// time the plan took (windows and watermarks only compare event times).
// In kafka mode the producer is a process of its own that also hosts the
// broker Tocsin reads from (produce.go); it reports each batch's send
// time, and how long the broker took to acknowledge it.
//
// Only events sent after the warm-up (the first fifth of the run) count.

// latencyTick is the producer's pacing period.
const latencyTick = time.Millisecond

// latencyGrace bounds the wait for the last events after sending stops.
const latencyGrace = 10 * time.Second

func runLatency(ctx context.Context, spec Spec, logw io.Writer) (*Result, error) {
	w, err := Lookup(spec.Workload)
	if err != nil {
		return nil, err
	}
	if spec.Rate <= 0 || spec.Duration <= 0 {
		return nil, fmt.Errorf("latency run of workload %s: rate and duration must be positive", w.ID)
	}
	// A kafka-mode run's producer, which hosts the broker, stops after
	// the engine has closed.
	var pp *producerProc
	defer func() {
		if pp != nil {
			pp.stop()
		}
	}()
	r, err := openRig(spec.Checkpoint, logw)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if w.Setup != nil {
		for _, sql := range w.Setup(spec.Keys) {
			if _, err := r.exec(ctx, sql); err != nil {
				return nil, err
			}
		}
	}
	sendFor := spec.Duration
	if w.attr == byWatermark {
		// Rows come out once the watermark passes them: keep sending
		// long enough for the measured events to be released.
		sendFor += watermarkDelayMs*time.Millisecond + time.Second
	}
	t := newTracker(w, int(spec.Rate*sendFor.Seconds())+1)
	baseMs := time.Now().UnixMilli()
	var deliver func(parts []int32, recs [][]byte) error
	topic, broker := spec.Topic, spec.Broker
	switch spec.Mode {
	case Memory:
		topic = "latency"
		log := memory.NewLog(Partitions)
		r.mem.Add(topic, log)
		deliver = func(parts []int32, recs [][]byte) error {
			var per [Partitions][][]byte
			for i, rec := range recs {
				per[parts[i]] = append(per[parts[i]], rec)
			}
			for p, recs := range per {
				if len(recs) > 0 {
					log.Append(int32(p), recs...)
				}
			}
			return nil
		}
	case Kafka:
		// The producer process hosts the broker (produce.go); it plans
		// the events while this process does.
		ps := Spec{Kind: kindProduce, Workload: w.ID, Mode: Kafka, Keys: spec.Keys, Topic: topic,
			Rate: spec.Rate, Duration: sendFor, BaseMs: baseMs}
		pp = startProducer(ctx, spec.Self, ps, func(n int, at int64) {
			t.sentUpTo(n, at-t.start.UnixNano())
		}, func(n int, at int64) {
			t.ackedUpTo(n, at-t.start.UnixNano())
		})
	}
	plan := planLatency(w, spec, sendFor, baseMs, t)
	if pp != nil {
		// The producer sends its own copy: do not keep this one for the
		// collector to scan during the run.
		plan = nil
		if broker, err = pp.ready(ctx); err != nil {
			return nil, err
		}
	}
	if _, err := r.exec(ctx, sourceSQL(w.Stream, sourceWith(spec.Mode, topic, broker))); err != nil {
		return nil, err
	}
	if _, err := r.exec(ctx, "CREATE MATERIALIZED VIEW v AS "+w.View); err != nil {
		return nil, err
	}
	subCtx, cancelSub := context.WithCancel(ctx)
	subDone := make(chan error, 1)
	sess := r.eng.NewSession(map[string]string{"user": "bench"})
	go func() { subDone <- sess.Query(subCtx, "SUBSCRIBE v WITH (snapshot = false)", t) }()
	// A subscription that fails early shows as missing events; the error
	// it returns once cancelled is the cancellation.
	stopSub := func() {
		cancelSub()
		<-subDone
		_ = sess.Close()
	}
	select {
	case <-t.ready:
	case err := <-subDone:
		cancelSub()
		return nil, fmt.Errorf("SUBSCRIBE v: %w", err)
	}
	stopProfile, err := startProfile(spec.CPUProfile)
	if err != nil {
		stopSub()
		return nil, err
	}
	warmupNs := t.now() + int64(spec.Duration/5)
	var pres *Result
	if pp != nil {
		err = pp.start()
		if err == nil {
			pres, err = pp.wait()
		}
	} else {
		err = sendPlan(ctx, spec.Rate, plan, time.Now(), func(from, to int) error {
			t.sent(to-from, t.now())
			return deliver(plan.parts[from:to], plan.recs[from:to])
		})
	}
	if err != nil {
		stopProfile()
		stopSub()
		return nil, err
	}
	_, err = poll(time.Now().Add(latencyGrace), 10*time.Millisecond, func() (bool, error) {
		return t.pending() == 0, ctx.Err()
	})
	stopProfile()
	stopSub()
	if err != nil {
		return nil, err
	}
	lat, fromAck, missing := t.latencies(warmupNs)
	res := &Result{Events: int64(len(t.sendNs)), OfferedRate: spec.Rate, LatencySamples: len(lat), LatencyMissing: missing}
	if pres != nil {
		res.ProducerLagMs = pres.LatencyMaxMs
		res.AppendP50Ms, res.AppendP99Ms, res.AppendMaxMs = pres.AppendP50Ms, pres.AppendP99Ms, pres.AppendMaxMs
		res.ProducerCPUSeconds, res.ProducerWallSeconds = pres.CPUSeconds, pres.WallSeconds
	}
	if len(lat) > 0 {
		res.LatencyP50Ms = float64(percentile(lat, 0.50)) / 1e6
		res.LatencyP99Ms = float64(percentile(lat, 0.99)) / 1e6
		res.LatencyMaxMs = float64(lat[len(lat)-1]) / 1e6
	}
	if len(fromAck) > 0 {
		res.AckLatencyP50Ms = float64(percentile(fromAck, 0.50)) / 1e6
		res.AckLatencyP99Ms = float64(percentile(fromAck, 0.99)) / 1e6
	}
	res.PeakRSS = peakRSS()
	return res, nil
}

// latencyPlan is a latency run's events in send order: each one's
// partition and JSON record (records share large buffers).
type latencyPlan struct {
	parts []int32
	recs  [][]byte
}

// planLatency generates the events of a latency run offering spec.Rate
// events per second for sendFor, event i at time base + i/rate (Unix
// ms), and registers them with t (if not nil).
func planLatency(w *Workload, spec Spec, sendFor time.Duration, base int64, t *tracker) *latencyPlan {
	total := int(spec.Rate * sendFor.Seconds())
	reqs := NewRequestGen(latencySeed, spec.Keys)
	logs := NewLogGen(latencySeed, spec.Keys)
	p := &latencyPlan{parts: make([]int32, 0, total), recs: make([][]byte, 0, total)}
	var arena []byte
	for i := range total {
		ts := base + int64(float64(i)*1000/spec.Rate)
		if cap(arena)-len(arena) < 1024 {
			arena = make([]byte, 0, 4<<20)
		}
		start := len(arena)
		var e event
		if w.Stream == Logs {
			l := logs.NextAt(ts)
			arena = l.AppendJSON(arena)
			e = event{part: l.Partition(), ts: ts, line: &l}
		} else {
			q := reqs.NextAt(ts)
			arena = q.AppendJSON(arena)
			e = event{part: q.Partition(), ts: ts, req: &q}
		}
		if t != nil {
			t.plan(&e)
		}
		p.parts = append(p.parts, e.part)
		p.recs = append(p.recs, arena[start:len(arena):len(arena)])
	}
	return p
}
