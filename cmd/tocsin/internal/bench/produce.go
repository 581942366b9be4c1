package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// The producer of a kafka-mode latency run runs in a process of its own
// (kindProduce), like the broker: a Kafka producer costs about as much
// CPU as the consumer, and on a 2-core machine it would otherwise take
// the cores the engine is being measured on. Both processes build the
// same plan (planLatency, same seed and base time). Before handing each
// tick's events to the Kafka writer, the producer prints how many events
// it has sent by then and the instant (sentLine), which the latency run
// takes as those events' send time, as the in-process producer of
// memory mode does. A producer that cannot keep the offered rate falls
// behind its schedule; it reports by how much (Result.LatencyMaxMs of
// the producer run), and the latency run reports it as ProducerLagMs.

// kindProduce is a kafka-mode latency run's producer.
const kindProduce = "produce"

// sentLine starts the line the producer prints before each batch: the
// events sent once it is written, and the instant, in Unix nanoseconds.
const sentLine = "sent "

// runProducer is the producer process: it plans spec's events, prints
// the start instant, sends them on schedule to spec.Topic, and returns
// how far behind schedule it fell.
func runProducer(ctx context.Context, spec Spec, stdout io.Writer) (*Result, error) {
	w, err := Lookup(spec.Workload)
	if err != nil {
		return nil, err
	}
	p := planLatency(w, spec, spec.Duration, spec.BaseMs, nil)
	wr := kafka.NewWriter([]string{spec.Broker}, spec.Topic)
	defer wr.Close()
	out := bufio.NewWriter(stdout)
	start := time.Now()
	var lag time.Duration
	err = sendPlan(ctx, spec.Rate, p, start, func(from, to int) error {
		// Event from was due at start + from/rate.
		due := start.Add(time.Duration(float64(from) / spec.Rate * float64(time.Second)))
		lag = max(lag, time.Since(due))
		if _, err := fmt.Fprintf(out, "%s%d %d\n", sentLine, to, time.Now().UnixNano()); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
		msgs := make([]kafka.Message, to-from)
		for i := range msgs {
			msgs[i] = kafka.Message{Value: p.recs[from+i], Partition: p.parts[from+i]}
		}
		return wr.Write(ctx, msgs...)
	})
	if err != nil {
		return nil, err
	}
	return &Result{Events: int64(len(p.recs)), OfferedRate: spec.Rate, LatencyMaxMs: float64(lag) / 1e6}, nil
}

// sendPlan calls send with the ranges of planned events due at each
// tick of latencyTick from start, until all are sent.
func sendPlan(ctx context.Context, rate float64, p *latencyPlan, start time.Time, send func(from, to int) error) error {
	total := len(p.recs)
	tick := time.NewTicker(latencyTick)
	defer tick.Stop()
	for sent := 0; sent < total; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		due := min(total, int(rate*time.Since(start).Seconds()))
		if due <= sent {
			continue
		}
		if err := send(sent, due); err != nil {
			return err
		}
		sent = due
	}
	return nil
}

// producerProc is a running producer process.
type producerProc struct {
	result chan error
	res    Result
}

// startProducer starts the producer process of spec; sent is called
// with each of its sentLine reports (events sent so far, Unix ns).
func startProducer(ctx context.Context, self Command, spec Spec, sent func(n int, at int64)) (*producerProc, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := self.cmd(ctx, "--"+ChildFlag, string(b))
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start producer: %w", err)
	}
	pp := &producerProc{result: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		var last string
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, sentLine); ok {
				n, at, _ := strings.Cut(rest, " ")
				nv, err1 := strconv.Atoi(n)
				atv, err2 := strconv.ParseInt(at, 10, 64)
				if err1 == nil && err2 == nil {
					sent(nv, atv)
				}
				continue
			}
			last = line
		}
		err := cmd.Wait()
		if err == nil {
			err = json.Unmarshal([]byte(last), &pp.res)
		}
		if err != nil {
			err = fmt.Errorf("producer of workload %s: %w: %s", spec.Workload, err, tail(errb.String(), 2000))
		}
		pp.result <- err
	}()
	return pp, nil
}

// wait returns the producer's result once it has sent everything.
func (pp *producerProc) wait() (*Result, error) {
	if err := <-pp.result; err != nil {
		return nil, err
	}
	return &pp.res, nil
}
