package engine_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/sql/types"
)

// TestSessionWindows checks SESSION windows per key against a plain loop,
// with events out of order (within the watermark delay) so that later
// events bridge and merge earlier sessions, for both emit modes and
// across a restart.
func TestSessionWindows(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(3)
	logs := map[string]*memory.Log{"ev": log}
	te := openEngine(t, dir, 100*time.Millisecond, logs)
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW sessions AS SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
		FROM SESSION(ev, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end`)
	te.exec(t, `CREATE MATERIALIZED VIEW closed AS SELECT k, window_start, window_end, count(*) AS n
		FROM SESSION(ev, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE`)

	rng := rand.New(rand.NewSource(3))
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	type ev struct {
		ts   int64
		k    string
		v    int64
		part int32
	}
	var evs []ev
	clock := base
	add := func(n int) {
		for i := 0; i < n; i++ {
			clock += int64(rng.Intn(4000)) // ~2 s apart on average over 4 keys
			if rng.Intn(40) == 0 {
				clock += 25_000 // a pause that ends sessions
			}
			e := ev{ts: clock - int64(rng.Intn(15_000)), k: fmt.Sprintf("k%d", rng.Intn(4)), v: int64(rng.Intn(10)), part: int32(i % 3)}
			evs = append(evs, e)
			log.Append(e.part, fmt.Appendf(nil, `{"ts":%d,"k":"%s","v":%d}`, e.ts, e.k, e.v))
		}
	}
	oracle := func() (all, closedOnly string) {
		byKey := map[string][]ev{}
		partMax := map[int32]int64{}
		for _, e := range evs {
			byKey[e.k] = append(byKey[e.k], e)
			partMax[e.part] = max(partMax[e.part], e.ts)
		}
		// The watermark: the lowest partition's largest time, minus 30 s.
		wm := int64(1 << 62)
		for _, m := range partMax {
			wm = min(wm, m-30_000)
		}
		var rows, closedRows []string
		for k, list := range byKey {
			sort.Slice(list, func(a, b int) bool { return list[a].ts < list[b].ts })
			flush := func(start, end, n, s int64) {
				st, en := types.FormatTimestamp(start*1000, false), types.FormatTimestamp(end*1000, false)
				rows = append(rows, fmt.Sprintf("%s|%s|%s|%d|%d", k, st, en, n, s))
				if end <= wm {
					closedRows = append(closedRows, fmt.Sprintf("%s|%s|%s|%d", k, st, en, n))
				}
			}
			start, end, n, s := list[0].ts, list[0].ts+10_000, int64(1), list[0].v
			for _, e := range list[1:] {
				if e.ts < end {
					end = max(end, e.ts+10_000)
					n++
					s += e.v
					continue
				}
				flush(start, end, n, s)
				start, end, n, s = e.ts, e.ts+10_000, 1, e.v
			}
			flush(start, end, n, s)
		}
		return sortedLines(rows), sortedLines(closedRows)
	}
	check := func(te *testEngine) {
		t.Helper()
		all, closedOnly := oracle()
		waitFor(t, 30*time.Second, "sessions", func() string {
			if got := te.rows(t, "SELECT k, window_start, window_end, n, s FROM sessions"); got != all {
				return fmt.Sprintf("\n got:\n%s\nwant:\n%s", got, all)
			}
			return ""
		})
		waitFor(t, 30*time.Second, "closed sessions", func() string {
			if got := te.rows(t, "SELECT k, window_start, window_end, n FROM closed"); got != closedOnly {
				return fmt.Sprintf("\n got:\n%s\nwant:\n%s", got, closedOnly)
			}
			return ""
		})
	}
	add(600)
	check(te)
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, 100*time.Millisecond, logs)
	defer te.Close()
	add(600)
	check(te)
}
