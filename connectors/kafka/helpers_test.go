package kafka

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

// startCluster starts an in-process kfake cluster (three brokers unless
// opts say otherwise) and returns its addresses.
func startCluster(t *testing.T, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(3)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var eventSchema = types.Schema{
	{Name: "id", Type: types.Int64Type, Nullable: false},
	{Name: "name", Type: types.TextType, Nullable: true},
	{Name: "v", Type: types.Float64Type, Nullable: true},
}

func testSpec(brokers []string, topic string, extra map[string]string) connectors.SourceSpec {
	opts := map[string]string{
		"connector":                   "kafka",
		"topic":                       topic,
		"properties.bootstrap.server": strings.Join(brokers, ","),
	}
	for k, v := range extra {
		opts[k] = v
	}
	return connectors.SourceSpec{
		Name:    "events",
		Schema:  eventSchema,
		Options: opts,
		Format:  "plain",
		Encode:  "json",
		GroupID: "tocsin-events",
	}
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testConfig returns a fast-retrying config over a checked allocator that
// the test verifies is empty at the end.
func testConfig(t *testing.T, logs io.Writer) Config {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return Config{
		Logger:         slog.New(slog.NewTextHandler(logs, nil)),
		Allocator:      mem,
		MinBackoff:     10 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
	}
}

func newTestSource(t *testing.T, spec connectors.SourceSpec, cfg Config) *Source {
	t.Helper()
	src, err := NewFactory(cfg)(spec)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	s := src.(*Source)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collect reads batches until every partition in ends has been read up to
// its end offset, releasing the records after fn has seen each batch.
func collect(t *testing.T, s *Source, ends map[int32]int64, fn func(b *connectors.Batch)) {
	t.Helper()
	ctx := testCtx(t)
	next := map[int32]int64{}
	done := func() bool {
		for p, end := range ends {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	for !done() {
		b, err := s.ReadBatch(ctx)
		if err != nil {
			t.Fatalf("ReadBatch: %v (progress %v, want %v)", err, next, ends)
		}
		if prev, ok := next[b.Partition]; ok && b.FirstOffset != prev {
			t.Fatalf("partition %d: batch starts at %d, previous ended at %d", b.Partition, b.FirstOffset, prev)
		}
		next[b.Partition] = b.NextOffset
		fn(b)
		b.Rec.Release()
	}
}

// assertNoLeaks waits until no goroutine of this package or of kafka-go
// is left.
func assertNoLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "segmentio/kafka-go") || strings.Contains(g, "connectors/kafka.(*") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines leaked, first:\n%s", len(leaked), leaked[0])
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline, not synchronising
	}
}
