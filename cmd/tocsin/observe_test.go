package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/engine"
)

// scrapeMetrics GETs http://addr/metrics and parses it.
func scrapeMetrics(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// sample returns the value of family name's sample whose labels include
// the name/value pairs of want, and whether there is one.
func sample(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
next:
	for _, m := range fams[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// TestMetricsEndToEnd runs the server with --metrics-addr against the
// embedded broker: it produces records, creates a source and a view over
// pgx, and checks the scraped metrics against what was produced and
// sent, and tocsin_sources' backfill columns.
func TestMetricsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second,
		metricsAddr: "127.0.0.1:0", checkpointInterval: time.Hour}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.close() })
	env := &testEnv{broker: b, srv: srv, ctx: ctx}
	brokers := []string{b.Addr()}
	if err := kafka.CreateTopic(ctx, brokers, "requests", 2); err != nil {
		t.Fatal(err)
	}
	evs := genEvents(7, 3000, 10, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), 2, 3000)
	msgs := make([]kafka.Message, len(evs))
	var bytes int
	for i, e := range evs {
		msgs[i] = kafka.Message{Key: []byte(e.service), Value: e.json(), Partition: -1}
		bytes += len(msgs[i].Value)
	}
	produce(t, ctx, brokers, "requests", msgs)

	conn := env.connect(t)
	for _, q := range []string{fmt.Sprintf(createSource, b.Addr()), createView} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, time.Minute, "all records read", func() string {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT records FROM tocsin_sources WHERE name = 'requests'").Scan(&n); err != nil {
			return err.Error()
		}
		if n != int64(len(evs)) {
			return fmt.Sprintf("%d records", n)
		}
		return ""
	})
	var backfilling bool
	var percent float64
	if err := conn.QueryRow(ctx, "SELECT backfilling, backfill_percent FROM tocsin_sources").Scan(&backfilling, &percent); err != nil {
		t.Fatal(err)
	}
	if backfilling || percent != 100 {
		t.Errorf("tocsin_sources: backfilling %v at %v%%", backfilling, percent)
	}
	if _, err := conn.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
		t.Fatal("query of a missing table succeeded")
	}

	fams := scrapeMetrics(t, srv.metrics.Addr())
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tocsin_source_records_total", []string{"source", "requests"}, float64(len(evs))},
		{"tocsin_source_rows_total", []string{"source", "requests"}, float64(len(evs))},
		{"tocsin_source_bytes_total", []string{"source", "requests"}, float64(bytes)},
		{"tocsin_source_dead_letters_total", []string{"source", "requests"}, 0},
		{"tocsin_source_lag_records", []string{"source", "requests"}, 0},
		{"tocsin_source_backfill_ratio", []string{"source", "requests"}, 1},
		{"tocsin_view_up", []string{"view", "req_1m"}, 1},
		{"tocsin_view_rows_in_total", []string{"view", "req_1m"}, float64(len(evs))},
		{"tocsin_pgwire_connections", nil, 1},
		{"tocsin_pgwire_errors_total", []string{"class", "42"}, 1},
	}
	for _, c := range checks {
		if got, ok := sample(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if q, _ := sample(fams, "tocsin_pgwire_queries_total"); q < 5 {
		t.Errorf("pgwire queries %v, want at least the 5 this test sent", q)
	}
	if n, _ := sample(fams, "tocsin_operator_batches_total", "view", "req_1m", "operator", "HashAgg"); n < 1 {
		t.Errorf("HashAgg batches %v", n)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

// TestBackfillLines checks the playground console's progress lines.
func TestBackfillLines(t *testing.T) {
	active := map[string]bool{}
	st := engine.Stats{Sources: []engine.SourceStats{
		{Name: "requests", Backfill: engine.Backfill{Known: true, Active: true, Consumed: 250, Target: 1000, Percent: 25, Rate: 12345.4, ETA: 61 * time.Second}},
		{Name: "logs", Backfill: engine.Backfill{Known: true, Consumed: 10, Target: 10, Percent: 100}},
		{Name: "quiet", Backfill: engine.Backfill{ETA: -1}},
	}}
	got := strings.Join(backfillLines(st, active), "\n")
	if want := "backfill requests: 25.0% caught up (250 of 1000 records), 12,345 events/s, ETA 1m1s"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	st.Sources[0].Backfill = engine.Backfill{Known: true, Consumed: 1000, Target: 1000, Percent: 100}
	if got := strings.Join(backfillLines(st, active), "\n"); got != "backfill requests: caught up (1000 records)" {
		t.Errorf("caught up: %q", got)
	}
	if got := backfillLines(st, active); len(got) != 0 {
		t.Errorf("after catching up: %q", got)
	}
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := humanRate(in); got != want {
			t.Errorf("humanRate(%v) = %q, want %q", in, got, want)
		}
	}
}

// syncBuffer collects a subprocess's output; String may run while it
// writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogFormatJSON runs the binary with --log-format json and checks
// that every stderr line is a JSON object with time, level and msg, and
// that the components (pgwire, engine, metrics) tag their lines.
func TestLogFormatJSON(t *testing.T) {
	cmd := exec.Command(tocsinBinary(t), "serve", "--log-format", "json", "--data-dir", t.TempDir(),
		"--pg-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving Postgres wire on "); ok {
				addr <- strings.Fields(rest)[0]
			}
		}
	}()
	var pgAddr string
	select {
	case pgAddr = <-addr:
	case <-done:
		t.Fatalf("tocsin exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("tocsin did not start: %s", stderr.String())
	}
	// A view over a source whose broker is down makes the engine warn.
	conn := connectTo(t, pgAddr)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE SOURCE s (ts TIMESTAMP, v INT) WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:1') FORMAT PLAIN ENCODE JSON`,
		`CREATE MATERIALIZED VIEW v AS SELECT count(*) FROM s`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"pgwire": false, "engine": false, "metrics": false}
	poll(t, 30*time.Second, "log lines of every component", func() string {
		// Complete lines only: the last may still be arriving.
		out := stderr.String()
		for _, line := range strings.Split(strings.TrimSpace(out[:strings.LastIndex(out, "\n")+1]), "\n") {
			if line == "" {
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not a JSON line: %q: %v", line, err)
			}
			for _, k := range []string{"time", "level", "msg"} {
				if _, ok := rec[k].(string); !ok {
					t.Fatalf("line without %s: %q", k, line)
				}
			}
			if _, err := time.Parse(time.RFC3339Nano, rec["time"].(string)); err != nil {
				t.Fatalf("time of %q: %v", line, err)
			}
			if c, ok := rec["component"].(string); ok {
				want[c] = true
			}
		}
		for c, seen := range want {
			if !seen {
				return "no line of component " + c
			}
		}
		return ""
	})
}
