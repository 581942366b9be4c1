package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/pgwire"
)

// wireStub stands in for a pgwire server (the cmd/tocsin end-to-end test
// scrapes a real one).
type wireStub struct{}

func (wireStub) Stats() pgwire.Stats {
	return pgwire.Stats{Connections: 2, ConnectionsTotal: 5, Queries: 40, Errors: map[string]int64{"42": 3, "XX": 1}}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// scrape GETs /metrics and parses it.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include want, or fails.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with %v", name, want)
	return 0
}

// TestScrape ingests through a memory source, takes a checkpoint, and
// checks the scraped values against what was written.
func TestScrape(t *testing.T) {
	log := memory.NewLog(1)
	const n = 250
	for i := 0; i < n; i++ {
		log.Append(0, fmt.Appendf(nil, `{"ts": %d, "k": "k%d", "v": %d}`, int64(i)*1000, i%3, i%4))
	}
	log.Append(0, []byte(`{oops`))
	b := memory.NewBroker()
	b.Add("ev", log)
	conns := connectors.NewRegistry()
	conns.RegisterSource("memory", b.Factory())
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	eng, err := engine.Open(engine.Options{Functions: reg, Connectors: conns, DataDir: t.TempDir(), CheckpointInterval: -1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	sess := eng.NewSession(map[string]string{"user": "test"})
	for _, q := range []string{
		`CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts) WITH (connector = 'memory', topic = 'ev') FORMAT JSON`,
		`CREATE MATERIALIZED VIEW per_k AS SELECT k, count(*) AS n FROM ev WHERE v > 0 GROUP BY k`,
	} {
		if err := sess.Query(context.Background(), q, discard{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for eng.Stats().Sources[0].Records != n+1 {
		if time.Now().After(deadline) {
			t.Fatalf("ingest: %+v", eng.Stats().Sources)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := eng.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", NewRegistry(eng, wireStub{}), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	fams := scrape(t, srv.Addr())

	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tocsin_source_records_total", []string{"source", "ev"}, n + 1},
		{"tocsin_source_rows_total", []string{"source", "ev"}, n},
		{"tocsin_source_dead_letters_total", []string{"source", "ev"}, 1},
		{"tocsin_source_lag_records", []string{"source", "ev"}, 0},
		{"tocsin_source_backfill_ratio", []string{"source", "ev"}, 1},
		{"tocsin_source_backfilling", []string{"source", "ev"}, 0},
		{"tocsin_view_up", []string{"view", "per_k", "kind", "materialized_view"}, 1},
		{"tocsin_view_rows", []string{"view", "per_k"}, 3},
		{"tocsin_view_rows_in_total", []string{"view", "per_k"}, n},
		{"tocsin_operator_rows_in_total", []string{"view", "per_k", "operator_id", "1", "operator", "Filter"}, n},
		{"tocsin_operator_rows_out_total", []string{"view", "per_k", "operator_id", "1", "operator", "Filter"}, n - (n+3)/4},
		{"tocsin_checkpoints_total", nil, 1},
		{"tocsin_checkpoint_failures_total", nil, 0},
		{"tocsin_checkpoint_duration_seconds", nil, 1},
		{"tocsin_pgwire_connections", nil, 2},
		{"tocsin_pgwire_queries_total", nil, 40},
		{"tocsin_pgwire_errors_total", []string{"class", "42"}, 3},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value(t, fams, "tocsin_source_bytes_total", "source", "ev"); got <= 0 {
		t.Errorf("source bytes %v", got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "tocsin_operator_seconds_total", "tocsin_checkpoint_last_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
}

// discard is an engine.ResultWriter that drops results.
type discard struct{}

func (discard) Columns([]engine.Column) error { return nil }
func (discard) Rows(arrow.RecordBatch) error  { return nil }
func (discard) Complete(string) error         { return nil }
func (discard) Empty() error                  { return nil }
func (discard) Notice(string, string) error   { return nil }
func (discard) CopyIn(int) (io.Reader, error) { return nil, fmt.Errorf("no COPY") }
