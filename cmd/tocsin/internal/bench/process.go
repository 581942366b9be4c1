package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// Command is a program with its leading arguments and extra environment:
// how the harness starts a child run ("tocsin bench") or a broker
// ("tocsin broker").
type Command struct {
	Path string
	Args []string
	Env  []string
}

func (c Command) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Path, append(append([]string(nil), c.Args...), args...)...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// ChildFlag is the (hidden) flag that makes "tocsin bench" run one spec,
// given as JSON, and print its Result as one JSON line.
const ChildFlag = "child"

// ChildMain runs the spec JSON in this process and writes its Result to
// stdout as one line of JSON. A kafka-mode latency run's producer
// (produce.go) talks over stdin and stdout instead.
func ChildMain(ctx context.Context, specJSON string, stdin io.Reader, stdout, stderr io.Writer) error {
	var spec Spec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return fmt.Errorf("bench child: bad spec: %w", err)
	}
	if spec.Kind == kindProduce {
		return runProducer(ctx, spec, stdin, stdout)
	}
	res, err := RunChild(ctx, spec, stderr)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// runChild runs spec in a child process and returns its Result.
func runChild(ctx context.Context, self Command, spec Spec) (*Result, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := self.cmd(ctx, "--"+ChildFlag, string(b))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s run of workload %s (%s): %w: %s", spec.Kind, spec.Workload, spec.Mode, err, tail(errb.String(), 2000))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var res Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("%s run of workload %s (%s): bad result %q: %w", spec.Kind, spec.Workload, spec.Mode, out.String(), err)
	}
	return &res, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// brokerProc is a Kafka broker running in its own process, so that its
// CPU time is not counted as Tocsin's.
type brokerProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// brokerBanner starts the line "tocsin broker" prints with its address.
const brokerBanner = "Kafka broker: "

// startBroker starts c with a free port and waits for its address.
func startBroker(ctx context.Context, c Command, logw io.Writer) (*brokerProc, error) {
	cmd := c.cmd(context.WithoutCancel(ctx), "--addr", "127.0.0.1:0", "--partitions", fmt.Sprint(Partitions))
	cmd.Stderr = logw
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	b := &brokerProc{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, brokerBanner) {
				addr <- strings.TrimSpace(strings.TrimPrefix(line, brokerBanner))
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case b.addr = <-addr:
		return b, nil
	case <-b.done:
		return nil, fmt.Errorf("broker exited before listening")
	case <-time.After(30 * time.Second):
		b.stop()
		return nil, fmt.Errorf("broker did not report its address within 30s")
	case <-ctx.Done():
		b.stop()
		return nil, ctx.Err()
	}
}

// stop interrupts the broker and waits for it (killing it after 10 s).
func (b *brokerProc) stop() {
	_ = b.cmd.Process.Signal(os.Interrupt)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// preload writes a throughput run's records to a new topic, partitioned
// by key, before any run reads it.
func preload(ctx context.Context, broker, topic string, w *Workload, events, keys int) error {
	brokers := []string{broker}
	if err := kafka.CreateTopic(ctx, brokers, topic, Partitions); err != nil {
		return err
	}
	wr := kafka.NewWriter(brokers, topic)
	defer wr.Close()
	const chunk = 10_000
	msgs := make([]kafka.Message, 0, chunk)
	var err error
	forEach(w, events, keys, func(e *event) {
		if err != nil {
			return
		}
		msgs = append(msgs, kafka.Message{Value: bytes.Clone(e.rec), Partition: e.part})
		if len(msgs) == chunk {
			err = wr.Write(ctx, msgs...)
			msgs = msgs[:0]
		}
	})
	if err == nil && len(msgs) > 0 {
		err = wr.Write(ctx, msgs...)
	}
	if err != nil {
		return fmt.Errorf("preload %s: %w", topic, err)
	}
	return warmBroker(ctx, broker, topic)
}

// warmBroker reads every partition of topic once, from this process,
// discarding the records, so that no measured run is the first to read
// them.
//
// Why: the first read after a preload was slow on the broker's side.
// Serving a fetch allocates its response, and the broker's heap, grown
// to hold the records, grows into fresh memory that the kernel faults in
// and zeroes page by page: a profile of the broker (`perf record -g -p`)
// during the first run of workload 2 after its preload was 72 %
// clear_page_erms under kfake's handleFetch, with the broker at ~97 % of
// a core for ~8 s while Tocsin waited at 30-50 %. That run took 12.8 s
// with checkpoints on against 5.9-6.0 s for the next three, with
// checkpoints on or off, so it was measured as a checkpoint cost.
func warmBroker(ctx context.Context, broker, topic string) error {
	ends, err := kafka.PartitionEnds(ctx, []string{broker}, topic)
	if err != nil {
		return err
	}
	err = readPartitions(ctx, broker, topic, ends, func(int32, []byte) error { return nil })
	if err != nil {
		return fmt.Errorf("warm the broker: %s: %w", topic, err)
	}
	return nil
}
