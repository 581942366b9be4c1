package engine_test

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/functions/anomaly"
)

// TestDrainTemplateView mines log templates in a view: ids are stable per
// cluster, templates generalise as messages arrive, a GROUP BY on the id
// counts messages per template, and the model survives a restart (a
// message after it joins an existing cluster).
func TestDrainTemplateView(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(1)
	logs := map[string]*memory.Log{"logs": log}
	te := openEngine(t, dir, 100*time.Millisecond, logs)
	te.exec(t, `CREATE SOURCE logs (ts TIMESTAMP, msg VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'logs') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW tpl AS SELECT ts, msg, DRAIN_TEMPLATE_ID(msg) AS id, DRAIN_TEMPLATE(msg) AS tpl FROM logs`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_min AS SELECT window_start, DRAIN_TEMPLATE_ID(msg) AS id, count(*) AS n
		FROM TUMBLE(logs, ts, INTERVAL '1' MINUTE) GROUP BY window_start, id`)
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	msgs := []string{
		"user alice logged in from 10.0.0.1",
		"user bob logged in from 10.0.0.2",
		"disk full on /dev/sda",
		"user carol logged in from 10.0.0.3",
	}
	for i, m := range msgs {
		log.Append(0, fmt.Appendf(nil, `{"ts": %d, "msg": %q}`, base+int64(i)*1000, m))
	}
	want := strings.Join([]string{
		"2026-11-21 10:00:00|user alice logged in from 10.0.0.1|1|user alice logged in from 10.0.0.1",
		"2026-11-21 10:00:01|user bob logged in from 10.0.0.2|1|user <*> logged in from <*>",
		"2026-11-21 10:00:02|disk full on /dev/sda|2|disk full on /dev/sda",
		"2026-11-21 10:00:03|user carol logged in from 10.0.0.3|1|user <*> logged in from <*>",
	}, "\n")
	waitFor(t, 20*time.Second, "templates", func() string {
		if got := te.rows(t, "SELECT * FROM tpl"); got != want {
			return fmt.Sprintf("\n got:\n%s\nwant:\n%s", got, want)
		}
		return ""
	})
	waitFor(t, 20*time.Second, "counts per template", func() string {
		if got := te.rows(t, "SELECT id, n FROM per_min"); got != "1|3\n2|1" {
			return "got " + got
		}
		return ""
	})
	// Wait for a checkpoint taken after every message was applied, so the
	// restart replays nothing and only the restored model knows the
	// clusters.
	checkpoints := func() int64 { return te.exec(t, "SELECT count(*) FROM tocsin_checkpoints").rows[0][0].I }
	seen := checkpoints()
	waitFor(t, 20*time.Second, "a checkpoint after the messages", func() string {
		if checkpoints() <= seen {
			return "no new checkpoint"
		}
		return ""
	})
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, 100*time.Millisecond, logs)
	defer te.Close()
	log.Append(0, fmt.Appendf(nil, `{"ts": %d, "msg": "disk full on /dev/sdb"}`, base+10_000))
	waitFor(t, 20*time.Second, "a message after the restart joins its cluster", func() string {
		got := te.rows(t, "SELECT id, tpl FROM tpl WHERE msg = 'disk full on /dev/sdb'")
		if got != "2|disk full on <*>" {
			return "got " + got
		}
		return ""
	})
}

// TestZScoreView checks ZSCORE OVER (PARTITION BY k ORDER BY ts) against
// a plain loop, with events out of order and a restart in the middle:
// the per-key models are checkpointed and restored.
func TestZScoreView(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(2)
	logs := map[string]*memory.Log{"ev": log}
	te := openEngine(t, dir, 100*time.Millisecond, logs)
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v DOUBLE PRECISION, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW z AS SELECT k, ts, v, ZSCORE(v, 4) OVER (PARTITION BY k ORDER BY ts) AS z FROM ev`)
	rng := rand.New(rand.NewSource(5))
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	type ev struct {
		ts int64
		k  string
		v  float64
	}
	var evs []ev
	add := func(from, to int) {
		for i := from; i < to; i++ {
			// A key's events are 3 s apart, give or take 2.9 s: out of
			// order across keys, in order within one.
			e := ev{ts: base + int64(i)*1000 - rng.Int63n(2900), k: fmt.Sprintf("k%d", i%3), v: float64(rng.Intn(100))}
			evs = append(evs, e)
			log.Append(int32(i%3%2), fmt.Appendf(nil, `{"ts": %d, "k": %q, "v": %g}`, e.ts, e.k, e.v))
		}
	}
	oracle := func() string {
		partMax := map[int]int64{}
		byKey := map[string][]ev{}
		for i, e := range evs {
			p := i % 3 % 2
			partMax[p] = max(partMax[p], e.ts)
			byKey[e.k] = append(byKey[e.k], e)
		}
		wm := min(partMax[0], partMax[1]) - 5000
		var lines []string
		for k, es := range byKey {
			sort.Slice(es, func(a, b int) bool { return es[a].ts < es[b].ts })
			for i, e := range es {
				if e.ts >= wm {
					break
				}
				z := "NULL"
				if prev := es[max(0, i-4):i]; len(prev) >= 2 {
					var mean, ss float64
					for _, p := range prev {
						mean += p.v
					}
					mean /= float64(len(prev))
					for _, p := range prev {
						ss += (p.v - mean) * (p.v - mean)
					}
					if sd := math.Sqrt(ss / float64(len(prev)-1)); sd > 0 {
						z = fmt.Sprintf("%.6f", (e.v-mean)/sd)
					}
				}
				lines = append(lines, fmt.Sprintf("%s|%d|%s", k, e.ts, z))
			}
		}
		return sortedLines(lines)
	}
	check := func(te *testEngine) {
		t.Helper()
		want := oracle()
		waitFor(t, 20*time.Second, "z-scores", func() string {
			r := te.exec(t, "SELECT k, ts, z FROM z")
			var lines []string
			for _, row := range r.rows {
				z := "NULL"
				if !row[2].Null {
					z = fmt.Sprintf("%.6f", row[2].F)
				}
				lines = append(lines, fmt.Sprintf("%s|%d|%s", row[0].S, row[1].I/1000, z))
			}
			if got := sortedLines(lines); got != want {
				return fmt.Sprintf("\n got:\n%s\nwant:\n%s", got, want)
			}
			return ""
		})
	}
	add(0, 60)
	check(te)
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, 100*time.Millisecond, logs)
	defer te.Close()
	add(60, 120)
	check(te)
}

// TestLSTMView runs LSTM_RESIDUAL in a view across a restart and compares
// it, bit for bit, with the model run directly over each key's values in
// time order: the view feeds the model in event-time order whatever the
// arrival order, and the restored model continues exactly.
func TestLSTMView(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(2)
	logs := map[string]*memory.Log{"ev": log}
	te := openEngine(t, dir, 100*time.Millisecond, logs)
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v DOUBLE PRECISION, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW r AS SELECT k, ts, LSTM_RESIDUAL(v, 4, 3) OVER (PARTITION BY k ORDER BY ts) AS res FROM ev`)
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	rng := rand.New(rand.NewSource(9))
	type ev struct {
		ts int64
		k  int
		v  float64
	}
	var evs []ev
	add := func(from, to int) {
		for i := from; i < to; i++ {
			e := ev{ts: base + int64(i)*1000 - rng.Int63n(1900), k: i % 2, v: math.Sin(float64(i)/5) * 10}
			evs = append(evs, e)
			log.Append(int32(i%2), fmt.Appendf(nil, `{"ts": %d, "k": "k%d", "v": %g}`, e.ts, e.k, e.v))
		}
	}
	lstm := anomaly.LSTMSpecs()[0]
	oracle := func() string {
		var lines []string
		for k := 0; k < 2; k++ {
			var es []ev
			for _, e := range evs {
				if e.k == k {
					es = append(es, e)
				}
			}
			sort.Slice(es, func(a, b int) bool { return es[a].ts < es[b].ts })
			xs := make([]float64, len(es))
			for i, e := range es {
				xs[i] = e.v
			}
			out, ok := make([]float64, len(xs)), make([]bool, len(xs))
			lstm.New([]float64{4, 3}).Step(xs, nil, out, ok)
			for i, e := range es {
				lines = append(lines, fmt.Sprintf("k%d|%d|%v|%x", k, e.ts, ok[i], math.Float64bits(out[i])))
			}
		}
		return sortedLines(lines)
	}
	released := func(te *testEngine) string {
		// Every row but those the watermark has not passed yet: the
		// oracle covers rows up to each partition's last 5 s, which the
		// last events leave out; compare the rows the view has.
		r := te.exec(t, "SELECT k, ts, res FROM r")
		var lines []string
		for _, row := range r.rows {
			lines = append(lines, fmt.Sprintf("%s|%d|%v|%x", row[0].S, row[1].I/1000, !row[2].Null, math.Float64bits(row[2].F)))
		}
		return sortedLines(lines)
	}
	check := func(te *testEngine, n int) {
		t.Helper()
		want := map[string]bool{}
		for _, l := range strings.Split(oracle(), "\n") {
			want[l] = true
		}
		waitFor(t, 20*time.Second, "LSTM residuals", func() string {
			got := released(te)
			lines := strings.Split(got, "\n")
			if len(lines) < n {
				return fmt.Sprintf("%d rows, want at least %d", len(lines), n)
			}
			for _, l := range lines {
				if !want[l] {
					return "row not in the oracle: " + l
				}
			}
			return ""
		})
	}
	add(0, 80)
	check(te, 70)
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, 100*time.Millisecond, logs)
	defer te.Close()
	add(80, 160)
	check(te, 150)
}
