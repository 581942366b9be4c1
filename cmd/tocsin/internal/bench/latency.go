package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/connectors/memory"
)

// Latency phase. A producer offers events at a fixed rate, each stamped
// with its send time (its event time is the send time too, so windows and
// watermarks move in real time); a SUBSCRIBE to the view receives the
// view's changes as the job publishes them. An event's latency runs from
// just before its batch is handed to the log (memory) or the Kafka
// producer (kafka) to the arrival of the first change that reflects it:
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
	var deliver func(batch []event) error
	topic := spec.Topic
	switch spec.Mode {
	case Memory:
		topic = "latency"
		log := memory.NewLog(Partitions)
		r.mem.Add(topic, log)
		deliver = func(batch []event) error {
			var per [Partitions][][]byte
			for _, e := range batch {
				per[e.part] = append(per[e.part], e.rec)
			}
			for p, recs := range per {
				if len(recs) > 0 {
					log.Append(int32(p), recs...)
				}
			}
			return nil
		}
	case Kafka:
		brokers := []string{spec.Broker}
		if err := kafka.CreateTopic(ctx, brokers, topic, Partitions); err != nil {
			return nil, err
		}
		wr := kafka.NewWriter(brokers, topic)
		defer wr.Close()
		deliver = func(batch []event) error {
			msgs := make([]kafka.Message, len(batch))
			for i, e := range batch {
				msgs[i] = kafka.Message{Value: e.rec, Partition: e.part}
			}
			return wr.Write(ctx, msgs...)
		}
	}
	if _, err := r.exec(ctx, sourceSQL(w.Stream, sourceWith(spec.Mode, topic, spec.Broker))); err != nil {
		return nil, err
	}
	if _, err := r.exec(ctx, "CREATE MATERIALIZED VIEW v AS "+w.View); err != nil {
		return nil, err
	}
	sendFor := spec.Duration
	if w.attr == byWatermark {
		// Rows come out once the watermark passes them: keep sending
		// long enough for the measured events to be released.
		sendFor += watermarkDelayMs*time.Millisecond + time.Second
	}
	t := newTracker(w, int(spec.Rate*sendFor.Seconds())+1)
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
	warmupNs := t.now() + int64(spec.Duration/5)
	if err := produce(ctx, w, spec, sendFor, t, deliver); err != nil {
		stopSub()
		return nil, err
	}
	_, err = poll(time.Now().Add(latencyGrace), 10*time.Millisecond, func() (bool, error) {
		return t.pending() == 0, ctx.Err()
	})
	stopSub()
	if err != nil {
		return nil, err
	}
	lat, missing := t.latencies(warmupNs)
	res := &Result{Events: int64(len(t.sendNs)), OfferedRate: spec.Rate, LatencySamples: len(lat), LatencyMissing: missing}
	if len(lat) > 0 {
		res.LatencyP50Ms = float64(percentile(lat, 0.50)) / 1e6
		res.LatencyP99Ms = float64(percentile(lat, 0.99)) / 1e6
		res.LatencyMaxMs = float64(lat[len(lat)-1]) / 1e6
	}
	res.PeakRSS = peakRSS()
	return res, nil
}

// produce offers events at spec.Rate for sendFor: every tick it sends
// the events due by then as one batch, stamped with the send time.
func produce(ctx context.Context, w *Workload, spec Spec, sendFor time.Duration, t *tracker, deliver func([]event) error) error {
	reqs := NewRequestGen(latencySeed, spec.Keys)
	logs := NewLogGen(latencySeed, spec.Keys)
	total := int(spec.Rate * sendFor.Seconds())
	tick := time.NewTicker(latencyTick)
	defer tick.Stop()
	start := time.Now()
	var batch []event
	for sent := 0; sent < total; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		due := min(total, int(spec.Rate*time.Since(start).Seconds()))
		if due <= sent {
			continue
		}
		ts := time.Now().UnixMilli()
		batch = batch[:0]
		for range due - sent {
			var e event
			if w.Stream == Logs {
				l := logs.NextAt(ts)
				e = event{part: l.Partition(), ts: ts, line: &l, rec: l.AppendJSON(nil)}
			} else {
				q := reqs.NextAt(ts)
				e = event{part: q.Partition(), ts: ts, req: &q, rec: q.AppendJSON(nil)}
			}
			batch = append(batch, e)
		}
		t.sent(batch, t.now())
		if err := deliver(batch); err != nil {
			return err
		}
		sent = due
	}
	return nil
}
