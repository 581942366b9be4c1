package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
)

// TestStats ingests a backlog that exists before the view does (the
// reader starts from the earliest offset, behind), then checks the Stats
// snapshot, the system views and SHOW SOURCES against what was written.
func TestStats(t *testing.T) {
	log := memory.NewLog(2)
	const n = 300
	filtered := 0
	for i := 0; i < n; i++ {
		v := i % 7
		if v > 2 {
			filtered++
		}
		log.Append(int32(i%2), fmt.Appendf(nil, `{"ts": %d, "k": "k%d", "v": %d}`, int64(i)*1000, i%5, v))
	}
	log.Append(0, []byte(`{"ts": "nope"`), []byte(`not json`))
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"ev": log})
	t.Cleanup(func() { _ = te.Close() })
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_min AS SELECT window_start, k, count(*) AS n
		FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE) WHERE v > 2 GROUP BY window_start, k`)
	waitFor(t, 10*time.Second, "ingest", func() string {
		st := te.Stats()
		if len(st.Sources) != 1 || st.Sources[0].Records != n+2 {
			return fmt.Sprintf("%+v", st.Sources)
		}
		return ""
	})
	st := te.Stats()
	src := st.Sources[0]
	if src.Name != "ev" || src.Rows != n || src.DeadLetters != 2 || src.Lag != 0 || src.Readers != 1 || src.Bytes <= 0 {
		t.Errorf("source stats: %+v", src)
	}
	// The lowest partition's latest event (partition 0 holds the even
	// ones) less the allowed lateness.
	if want := time.UnixMilli((n-2)*1000 - 1000).UTC(); !src.Watermark.Equal(want) || src.WatermarkDelay <= 0 {
		t.Errorf("watermark %v (delay %v), want %v", src.Watermark, src.WatermarkDelay, want)
	}
	if b := src.Backfill; !b.Known || b.Active || b.Percent != 100 || b.Consumed != n+2 || b.Target != n+2 || b.ETA != 0 {
		t.Errorf("backfill: %+v", b)
	}
	if len(st.Jobs) != 1 {
		t.Fatalf("jobs: %+v", st.Jobs)
	}
	j := st.Jobs[0]
	rows := te.exec(t, "SELECT count(*) FROM per_min").rows[0][0].I
	if j.Name != "per_min" || j.Status != "running" || j.Err != nil || j.Records != n+2 || j.RowsIn != n || j.Rows != rows || j.RowsOut < rows || j.Batches < 2 {
		t.Errorf("job stats: %+v (view rows %d)", j, rows)
	}
	ops := map[string]engine.OperatorStats{}
	for _, o := range st.Operators {
		ops[o.Operator] = o
	}
	if w := ops["WindowAssign"]; w.RowsIn != n || w.RowsOut != n || w.Batches != j.Batches-1 && w.Batches != j.Batches {
		t.Errorf("window operator: %+v", w)
	}
	if f := ops["Filter"]; f.RowsIn != n || f.RowsOut != int64(filtered) || f.ID != 2 {
		t.Errorf("filter operator: %+v (want %d out)", f, filtered)
	}
	if err := te.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if c := te.Stats().Checkpoints; c.Count != 1 || c.Failures != 0 || c.Last.Bytes <= 0 || c.Buckets[len(c.Buckets)-1].Count != 1 {
		t.Errorf("checkpoint stats: %+v", c)
	}

	r := te.exec(t, "SELECT records, rows, dead_letters, lag, readers, backfilling, backfill_percent, backfill_eta FROM tocsin_sources")
	if got, want := fmt.Sprint(r.rows), fmt.Sprintf("[[%d %d 2 0 1 f 100 00:00:00]]", n+2, n); got != want {
		t.Errorf("tocsin_sources: %s, want %s", got, want)
	}
	r = te.exec(t, "SELECT name, kind, status, rows, records, rows_in, last_error FROM tocsin_jobs")
	if got, want := fmt.Sprint(r.rows), fmt.Sprintf("[[per_min materialized view running %d %d %d NULL]]", rows, n+2, n); got != want {
		t.Errorf("tocsin_jobs: %s, want %s", got, want)
	}
	r = te.exec(t, "SHOW SOURCES")
	if got := r.col(0, "backfill_percent"); got.F != 100 || got.Null {
		t.Errorf("SHOW SOURCES backfill_percent: %v", got)
	}
	// Like the other tocsin_* relations, the new ones are in the catalogs.
	r = te.exec(t, `SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
		WHERE c.relname IN ('tocsin_jobs', 'tocsin_sources', 'tocsin_sinks', 'tocsin_operators') ORDER BY 1`)
	if got := fmt.Sprint(r.rows); got != "[[tocsin_jobs v] [tocsin_operators v] [tocsin_sinks v] [tocsin_sources v]]" {
		t.Errorf("pg_class: %s", got)
	}
	r = te.exec(t, `SELECT column_name FROM information_schema.columns WHERE table_name = 'tocsin_sources' AND column_name LIKE 'backfill%' ORDER BY 1`)
	if got := fmt.Sprint(r.rows); got != "[[backfill_eta] [backfill_percent] [backfilling]]" {
		t.Errorf("information_schema.columns: %s", got)
	}
}

// TestStatsSinks delivers one notification through a webhook sink and
// reads the sink's counters from Stats and tocsin_sinks.
func TestStatsSinks(t *testing.T) {
	clock, l, te := latFixture(t)
	hook := newReceiver(t)
	te.exec(t, fmt.Sprintf(`CREATE SINK slow FROM lat WHERE latency > 100 WITH (connector = 'webhook', url = '%s',
		labels = 'service', group_wait = '0s')`, hook.srv.URL))
	emit(l, clock.Now(), "api", 150)
	te.waitAlerts(t, "slow", 1)
	clock.Advance(time.Second)
	waitMessages(t, hook, "firing[api:firing]")
	waitFor(t, 10*time.Second, "sent", func() string {
		st := te.Stats()
		if len(st.Sinks) != 1 || len(st.Sinks[0].Channels) != 1 || st.Sinks[0].Channels[0].Sent != 1 {
			return fmt.Sprintf("%+v", st.Sinks)
		}
		return ""
	})
	s := te.Stats().Sinks[0]
	if s.Name != "slow" || s.Connector != "webhook" || s.Mode != "alerts" || s.Status != "running" || s.Firing != 1 || s.Outbox != 0 {
		t.Errorf("sink stats: %+v", s)
	}
	r := te.exec(t, "SELECT name, connector, mode, status, health, channels, outbox_depth, sent, failed, firing_alerts FROM tocsin_sinks")
	if got := fmt.Sprint(r.rows); got != "[[slow webhook alerts running healthy 1 0 1 0 1]]" {
		t.Errorf("tocsin_sinks: %s", got)
	}
	r = te.exec(t, "SELECT name, kind FROM tocsin_jobs ORDER BY name")
	if got := fmt.Sprint(r.rows); got != "[[lat materialized view] [slow sink]]" {
		t.Errorf("tocsin_jobs: %s", got)
	}
}
