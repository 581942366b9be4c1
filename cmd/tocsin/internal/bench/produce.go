package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// The producer of a kafka-mode latency run is a process of its own
// (kindProduce) that also hosts the run's broker: a kfake broker started
// in-process (package broker), written to over loopback with Produce
// requests encoded before the clock starts (produce_wire.go), and read
// by Tocsin's Kafka source, in the latency run's process, over the Kafka
// protocol like any broker. None of it counts as Tocsin's CPU.
//
// Why: with the producer (kafka-go's synchronous Writer) and the broker
// in separate processes, the producer fell 0.25-1.4 s behind its
// schedule at ~240-300k events/s, and the p99 it measured was mostly
// that lag. With franz-go's kgo client in the broker's process, producer
// and broker still took about 5 µs of CPU per event (over half of it in
// page faults and the client's per-record work), more than the machine
// had left beside Tocsin. Pre-encoded requests bring the pair to about
// 1.5 µs per event, nearly all of it the broker's.
//
// The conversation over the producer's stdin and stdout:
//
//  1. The producer starts the broker, creates the topic, plans the events
//     (planLatency, the same seed and base time as the latency run),
//     encodes them, prefaults the heap (prefaultHeap), connects, and
//     prints readyLine with the broker's address.
//  2. The latency run declares its source and view on that broker and,
//     once its subscription is live, writes one line to the producer's
//     stdin: the go signal.
//  3. Every latencyTick the producer prints how many events it has sent
//     once the line is written, and the instant (sentLine), then writes
//     the requests of the chunks now due; the latency run takes that
//     instant as those events' send time, as the in-process producer of
//     memory mode does.
//  4. Once the broker has acknowledged every request it prints, per
//     chunk, how many events had been sent up to it and the instant the
//     broker acknowledged it (ackedLine), then resultLine and its
//     Result: how far behind schedule it fell
//     (LatencyMaxMs; the offered rate was not met when it is large), how
//     long the broker took to acknowledge events after their send time
//     (AppendP50Ms...), and its CPU time while sending.
//  5. It keeps the broker up until its stdin is closed, which the
//     latency run does once it is done with the records.

// kindProduce is a kafka-mode latency run's producer.
const kindProduce = "produce"

// The producer's output lines (see above).
const (
	readyLine  = "ready "
	sentLine   = "sent "
	ackedLine  = "acked "
	resultLine = "result "
)

// produceSegmentBytes is the segment size of the producer's broker. With
// kfake's default (100 MiB), a profile of the producer process showed a
// fifth of its CPU in page faults under kfake's persistBatchToSegment: the
// in-memory segment doubles as it grows, each doubling copying it on the
// goroutine that serves every produce and fetch, which stalled them all
// (broker acknowledgements up to 2 s after the send at ~300k events/s).
const produceSegmentBytes = 4 << 20

// prefaultHeap grows the heap by n bytes of memory the kernel has
// already handed over, before the clock starts: it allocates n bytes,
// writes one byte per page, and lets a collection free them, so the
// broker's segments (about as large as the requests encoded for the
// run) reuse those pages instead of faulting in fresh ones while events
// are being sent.
//
// Why: on this project's VM a page fault costs far more than on bare
// metal (the broker's first read after a preload spent 72 % of its time
// zeroing fresh pages; see warmBroker). Workload 1 at 570-683k events/s
// (`bench --mode kafka --latency --runs 1 --latency-runs 1 --workload 1
// --events 2000000`, three interleaved pairs): the broker acknowledged
// requests within p99 9.3, 9.4 and 21.4 ms of their send with the
// prefault, 495, 57 and 64 ms without, and the p99 event-to-view latency
// was 42, 18 and 36 ms against 719, 79 and 93 ms.
func prefaultHeap(n int) {
	const page = 4096
	b := make([]byte, n)
	for i := 0; i < len(b); i += page {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	runtime.GC()
}

// runProducer is the producer process (see above).
func runProducer(ctx context.Context, spec Spec, stdin io.Reader, stdout io.Writer) error {
	w, err := Lookup(spec.Workload)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler)
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Partitions: Partitions, Logger: quiet,
		SegmentBytes: produceSegmentBytes})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := kafka.CreateTopic(ctx, []string{b.Addr()}, spec.Topic, Partitions); err != nil {
		return err
	}
	chunks := encodeChunks(planLatency(w, spec, spec.Duration, spec.BaseMs, nil), spec.Topic, spec.Rate, spec.BaseMs)
	n := 0
	for _, c := range chunks {
		n += len(c.req)
	}
	prefaultHeap(n)
	wp, err := dialWireProducer(ctx, b.Addr(), chunks)
	if err != nil {
		return err
	}
	defer wp.close()
	out := bufio.NewWriter(stdout)
	if err := writeLine(out, "%s%s", readyLine, b.Addr()); err != nil {
		return err
	}
	in := bufio.NewReader(stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return fmt.Errorf("producer: waiting for the go signal: %w", err)
	}
	total := 0
	if len(chunks) > 0 {
		total = chunks[len(chunks)-1].to
	}
	var iv interval
	iv.start()
	start := time.Now()
	tick := time.NewTicker(latencyTick)
	defer tick.Stop()
	var lag time.Duration
	for next := 0; next < len(chunks); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if err := wp.failed(); err != nil {
			return err
		}
		// Send every chunk whose last event is due.
		due := min(total, int(spec.Rate*time.Since(start).Seconds()))
		end := next
		for end < len(chunks) && chunks[end].to <= due {
			end++
		}
		if end == next {
			continue
		}
		// Chunk next's last event was due at start + (to-1)/rate.
		dueAt := start.Add(time.Duration(float64(chunks[next].to-1) / spec.Rate * float64(time.Second)))
		now := time.Now()
		lag = max(lag, now.Sub(dueAt))
		if err := writeLine(out, "%s%d %d", sentLine, chunks[end-1].to, now.UnixNano()); err != nil {
			return err
		}
		if err := wp.send(next, end, now); err != nil {
			return err
		}
		next = end
	}
	err = wp.wait(ctx)
	iv.stop()
	if err != nil {
		return err
	}
	res := &Result{Events: int64(total), OfferedRate: spec.Rate, LatencyMaxMs: float64(lag) / 1e6,
		WallSeconds: iv.Wall.Seconds(), CPUSeconds: (iv.User + iv.Sys).Seconds()}
	res.AppendP50Ms, res.AppendP99Ms, res.AppendMaxMs = wp.ackPercentiles()
	for k, c := range chunks {
		if err := writeLine(out, "%s%d %d", ackedLine, c.to, wp.ackedAt(k)); err != nil {
			return err
		}
	}
	js, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := writeLine(out, "%s%s", resultLine, js); err != nil {
		return err
	}
	// Serve the records until the latency run is done with them.
	_, _ = io.Copy(io.Discard, in)
	return nil
}

func writeLine(out *bufio.Writer, format string, args ...any) error {
	if _, err := fmt.Fprintf(out, format+"\n", args...); err != nil {
		return err
	}
	return out.Flush()
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
	stdin  io.WriteCloser
	addr   chan string
	result chan error
	done   chan struct{}
	res    Result
}

// startProducer starts the producer process of spec; sent and acked are
// called with each of its sentLine and ackedLine reports (events sent so
// far, Unix ns). Errors show in ready and wait.
func startProducer(ctx context.Context, self Command, spec Spec, sent, acked func(n int, at int64)) *producerProc {
	pp := &producerProc{addr: make(chan string, 1), result: make(chan error, 1), done: make(chan struct{})}
	fail := func(err error) *producerProc {
		pp.result <- err
		close(pp.done)
		return pp
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fail(err)
	}
	cmd := self.cmd(ctx, "--"+ChildFlag, string(b))
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if pp.stdin, err = cmd.StdinPipe(); err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start producer: %w", err))
	}
	go func() {
		defer close(pp.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		got := errors.New("it reported no result")
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, sentLine); ok {
				if nv, atv, ok := parseCountAt(rest); ok {
					sent(nv, atv)
				}
				continue
			}
			if rest, ok := strings.CutPrefix(line, ackedLine); ok {
				if nv, atv, ok := parseCountAt(rest); ok {
					acked(nv, atv)
				}
				continue
			}
			if rest, ok := strings.CutPrefix(line, readyLine); ok {
				pp.addr <- rest
				continue
			}
			if rest, ok := strings.CutPrefix(line, resultLine); ok {
				if got = json.Unmarshal([]byte(rest), &pp.res); got == nil {
					pp.result <- nil
				}
			}
		}
		err := cmd.Wait()
		if got != nil {
			if err == nil {
				err = got
			}
			pp.result <- fmt.Errorf("producer of workload %s: %w: %s", spec.Workload, err, tail(errb.String(), 2000))
		}
	}()
	return pp
}

// parseCountAt parses a sentLine's or ackedLine's "<events> <Unix ns>".
func parseCountAt(s string) (int, int64, bool) {
	n, at, _ := strings.Cut(s, " ")
	nv, err1 := strconv.Atoi(n)
	atv, err2 := strconv.ParseInt(at, 10, 64)
	return nv, atv, err1 == nil && err2 == nil
}

// ready returns the address of the producer's broker once the producer
// has planned its events.
func (pp *producerProc) ready(ctx context.Context) (string, error) {
	select {
	case addr := <-pp.addr:
		return addr, nil
	case err := <-pp.result:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// start tells the producer to start sending.
func (pp *producerProc) start() error {
	_, err := io.WriteString(pp.stdin, "go\n")
	return err
}

// wait returns the producer's result once every event is acknowledged.
func (pp *producerProc) wait() (*Result, error) {
	if err := <-pp.result; err != nil {
		return nil, err
	}
	return &pp.res, nil
}

// stop lets the producer (and its broker) exit and waits for it.
func (pp *producerProc) stop() {
	if pp.stdin != nil {
		_ = pp.stdin.Close()
	}
	<-pp.done
}
