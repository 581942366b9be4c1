package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
)

// roleEnv makes the test binary play a child: "child" runs one spec (as
// `tocsin bench --child` does), "broker" runs a broker (as `tocsin
// broker` does), so the tests exercise the real multi-process harness.
const roleEnv = "TOCSIN_BENCH_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "child":
		fs := flag.NewFlagSet("child", flag.ExitOnError)
		spec := fs.String(ChildFlag, "", "")
		_ = fs.Parse(os.Args[1:])
		if err := ChildMain(context.Background(), *spec, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "broker":
		fs := flag.NewFlagSet("broker", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "")
		parts := fs.Int("partitions", Partitions, "")
		_ = fs.Parse(os.Args[1:])
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		b, err := broker.Start(ctx, broker.Config{Addr: *addr, Partitions: *parts, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s%s\n", brokerBanner, b.Addr())
		<-ctx.Done()
		b.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testConfig(t *testing.T) Config {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Self:   Command{Path: exe, Env: []string{roleEnv + "=child"}},
		Broker: Command{Path: exe, Env: []string{roleEnv + "=broker"}},
		Runs:   1, CheckpointInterval: time.Second,
	}
}

// TestWorkloadsMatchReference runs every workload with a tiny N in both
// modes through child processes and a real broker process, each run
// checking its view against the plain-loop reference, and checks the
// JSON report.
func TestWorkloadsMatchReference(t *testing.T) {
	cfg := testConfig(t)
	all, err := ParseWorkloads(DefaultWorkloads)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workloads, cfg.Modes, cfg.Events, cfg.Verify = all, []Mode{Memory, Kafka}, 8000, true
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, buf.String())
	}
	// Every workload in both modes, but mem1m only in memory.
	if want := 2*len(all) - 1; len(back.Rows) != want {
		t.Fatalf("%d rows, want %d", len(back.Rows), want)
	}
	for _, row := range back.Rows {
		if row.EventsPerSec <= 0 || row.EventsPerCPUSec <= 0 || row.VsBaseline <= 0 || row.PeakRSS <= 0 || row.StateBytesPerKey <= 0 {
			t.Errorf("workload %s (%s): missing figures: %+v", row.Workload, row.Mode, row)
		}
	}
	if len(back.Baselines) != 2 || len(back.CheckpointCost) != 2 || back.CheckpointCost[0].Ratio <= 0 {
		t.Errorf("baselines %d, checkpoint costs %+v", len(back.Baselines), back.CheckpointCost)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "Checkpoint cost (workload 2, kafka)") {
		t.Errorf("table:\n%s", table.String())
	}
}

// TestLatencyRun measures latency on an aggregate view (the subtlest
// attribution) in both modes: every measured event must be seen in the view.
func TestLatencyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("latency runs take seconds")
	}
	cfg := testConfig(t)
	w, _ := Lookup("2")
	cfg.Workloads = []*Workload{w}
	cfg.Modes, cfg.Events, cfg.Latency, cfg.LatencyDuration = []Mode{Memory, Kafka}, 2000, true, 400*time.Millisecond
	cfg.LatencyFraction = 0.01 // a low rate: the machine may be busy
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rep.Rows {
		if row.LatencySamples == 0 || row.LatencyMissing != 0 || row.LatencyP99Ms < row.LatencyP50Ms || row.LatencyP50Ms <= 0 {
			t.Errorf("workload %s (%s): latency %+v", row.Workload, row.Mode, row)
		}
		// From the broker's acknowledgement (kafka only): after the send,
		// so never longer than from the send.
		if hasAck := row.AckLatencyP99Ms > 0; hasAck != (row.Mode == Kafka) || row.AckLatencyP99Ms > row.LatencyP99Ms {
			t.Errorf("workload %s (%s): p99 %.3f ms, from the ack %.3f ms", row.Workload, row.Mode, row.LatencyP99Ms, row.AckLatencyP99Ms)
		}
	}
}

// TestVerifyCatchesDroppedEvents: a view missing one event's effect, or
// holding one too many, fails verification.
func TestVerifyCatchesDroppedEvents(t *testing.T) {
	for _, id := range []string{"1", "2", "3", "5", "6", "7"} {
		w, _ := Lookup(id)
		ref := computeReference(w, 8000, 50)
		var rows []viewRow
		for g, n := range ref.counts {
			if w.attr == byGroupCount {
				rows = append(rows, viewRow{group: g, n: n})
			}
		}
		if w.attr != byGroupCount {
			for s := range ref.seqs {
				g := ""
				if w.Stream == Logs {
					g = fmt.Sprint(ref.templates[s])
				}
				rows = append(rows, viewRow{seq: s, hasSeq: true, n: 1, group: g})
			}
			if w.Stream == Requests {
				rows = rowsWithServices(w, rows)
			}
		}
		if err := ref.verify(w, rows); err != nil {
			t.Fatalf("workload %s: the reference's own rows fail: %v", id, err)
		}
		dropped := append([]viewRow(nil), rows[1:]...)
		if w.attr == byGroupCount {
			dropped = append(dropped, viewRow{group: rows[0].group, n: rows[0].n - 1})
		}
		if err := ref.verify(w, dropped); err == nil {
			t.Errorf("workload %s: a dropped event passes verification", id)
		}
		extra := append(append([]viewRow(nil), rows...), rows[0])
		if err := ref.verify(w, extra); err == nil {
			t.Errorf("workload %s: a duplicated row passes verification", id)
		}
	}
}

// rowsWithServices fills row views' groups (the key) from the generator.
func rowsWithServices(w *Workload, rows []viewRow) []viewRow {
	svc := map[int64]string{}
	forEach(w, 8000, 50, func(e *event) { svc[e.req.Seq] = ServiceName(e.req.Service) })
	for i := range rows {
		rows[i].group = svc[rows[i].seq]
	}
	return rows
}

// TestGroupAttribution: the k-th event of a group is visible when the
// group's count reaches k; a HOP event when all its windows do.
func TestGroupAttribution(t *testing.T) {
	w, _ := Lookup("3")
	tr := newTracker(w, 4)
	r := func(ts int64, svc int) event { return event{ts: ts, req: &Request{TS: ts, Service: svc}} }
	for _, e := range []event{r(60_000, 1), r(60_500, 1), r(61_000, 2)} {
		tr.plan(&e)
	}
	tr.sent(3, 100)
	for seq, want := range []uint8{5, 5, 5} {
		if tr.need[seq] != want {
			t.Fatalf("event %d waits for %d windows, want %d", seq, tr.need[seq], want)
		}
	}
	// Event 0's five windows reach count 1 (event 1 shares them from the
	// second on: [0, 5 min) holds both), then event 1's last window.
	for _, s := range []int64{-180_000, -120_000, -60_000, 0, 60_000} {
		n := int64(1)
		if s == 60_000 {
			n = 2 // the only window not shared is later: 60_500 is in all five too
		}
		tr.observeGroup(groupID{window: s, service: 1}, n, 200)
	}
	if tr.visNs[0] != 200 {
		t.Fatalf("event 0 not visible after all its windows: %v", tr.visNs)
	}
	if tr.visNs[1] >= 0 {
		t.Fatalf("event 1 visible after one of its five windows: %v", tr.visNs)
	}
	for _, s := range []int64{-180_000, -120_000, -60_000, 0} {
		tr.observeGroup(groupID{window: s, service: 1}, 2, 300)
	}
	if tr.visNs[1] != 300 || tr.visNs[2] >= 0 {
		t.Fatalf("visible %v, want event 1 at 300 and event 2 not yet", tr.visNs)
	}
	lat, fromAck, missing := tr.latencies(0)
	if len(lat) != 2 || lat[0] != 100 || lat[1] != 200 || missing != 1 || len(fromAck) != 0 {
		t.Fatalf("latencies %v, from ack %v, missing %d", lat, fromAck, missing)
	}
	// With acknowledgements (kafka mode), latencies also run from them:
	// events 0 and 1 were acknowledged at 150, event 2 at 180.
	tr.ackedUpTo(2, 150)
	tr.ackedUpTo(3, 180)
	if _, fromAck, _ = tr.latencies(0); len(fromAck) != 2 || fromAck[0] != 50 || fromAck[1] != 150 {
		t.Fatalf("latencies from ack %v, want [50 150]", fromAck)
	}
}

// TestWatermarkOrigin: a row released by the watermark is measured from
// the first event after which the watermark passed its time.
func TestWatermarkOrigin(t *testing.T) {
	w, _ := Lookup("5")
	tr := newTracker(w, 8)
	var evs []event
	for i := range 8 {
		evs = append(evs, event{part: int32(i % Partitions), ts: int64(1000 * i), req: &Request{Service: i}})
	}
	for i := range evs {
		tr.plan(&evs[i])
	}
	tr.sent(4, 0) // every partition has an event: watermark 3000-5000
	tr.sent(4, 1)
	// After event 7 (ts 7000) the watermark is min(4000..7000) - 5000.
	if got := tr.wmAfter[7]; got != 4000-watermarkDelayMs {
		t.Fatalf("watermark after event 7 = %d", got)
	}
	if o := tr.origin(0); o != -1 {
		t.Fatalf("event 0 (ts 0) has origin %d; the watermark never passed it", o)
	}
	w2 := &watermarkTracker{}
	for p := range int32(Partitions) {
		w2.observe(p, 10_000)
	}
	if got := w2.current(); got != 5000 {
		t.Fatalf("watermark %d, want 5000", got)
	}
}

func TestPercentileAndFormat(t *testing.T) {
	v := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if p := percentile(v, 0.5); p != 5 {
		t.Errorf("p50 = %d", p)
	}
	if p := percentile(v, 0.99); p != 10 {
		t.Errorf("p99 = %d", p)
	}
	if s := thousands(1234567.4); s != "1,234,567" {
		t.Errorf("thousands = %q", s)
	}
}

// TestGeneratorsAreDeterministic: the same seed gives the same bytes.
func TestGeneratorsAreDeterministic(t *testing.T) {
	for _, id := range []string{"2", "6", "mem1m"} {
		w, _ := Lookup(id)
		a, b := encodeRecords(w, 200, 50), encodeRecords(w, 200, 50)
		for p := range a {
			if len(a[p]) != len(b[p]) {
				t.Fatalf("workload %s: partition %d differs", id, p)
			}
			for i := range a[p] {
				if !bytes.Equal(a[p][i], b[p][i]) {
					t.Fatalf("workload %s: record differs: %s vs %s", id, a[p][i], b[p][i])
				}
				var m map[string]any
				if err := json.Unmarshal(a[p][i], &m); err != nil {
					t.Fatalf("workload %s: record is not JSON: %s: %v", id, a[p][i], err)
				}
			}
		}
	}
}

// TestLatencyMedians: a row's latency is the median of its runs' p50s
// and of their p99s, with the events of every run counted.
func TestLatencyMedians(t *testing.T) {
	var row Row
	row.setLatency([]*Result{
		{LatencyP50Ms: 3, LatencyP99Ms: 400, LatencySamples: 10, OfferedRate: 100},
		{LatencyP50Ms: 1, LatencyP99Ms: 20, LatencySamples: 10, LatencyMissing: 1, OfferedRate: 100},
		{LatencyP50Ms: 2, LatencyP99Ms: 30, LatencySamples: 10, OfferedRate: 100},
	})
	if row.LatencyP50Ms != 2 || row.LatencyP99Ms != 30 || row.LatencySamples != 30 || row.LatencyMissing != 1 || row.OfferedRate != 100 {
		t.Errorf("row %+v", row)
	}
}
