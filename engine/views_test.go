package engine_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/sql/types"
)

// rows renders a query's rows sorted, for comparison with an oracle.
func (te *testEngine) rows(t testing.TB, sql string) string {
	r := te.exec(t, sql)
	out := make([]string, len(r.rows))
	for i, row := range r.rows {
		parts := make([]string, len(row))
		for j, d := range row {
			parts[j] = d.String()
		}
		out[i] = strings.Join(parts, "|")
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func sortedLines(lines []string) string {
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestViewsOverViews maintains views that read other views: an updating
// count per key; a view grouping keys by their count (every new event
// moves a key from one count to the next: a retraction and an insertion);
// a filter over the updating view; and a 5-minute rollup of a 1-minute
// windowed view. Each is compared with a plain loop, before and after a
// restart.
func TestViewsOverViews(t *testing.T) {
	dir := t.TempDir()
	log := memory.NewLog(2)
	logs := map[string]*memory.Log{"ev": log}
	te := openEngine(t, dir, 100*time.Millisecond, logs)
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS s FROM ev GROUP BY k`)
	te.exec(t, `CREATE MATERIALIZED VIEW by_count AS SELECT n, count(*) AS keys, sum(s) AS total FROM per_key GROUP BY n`)
	te.exec(t, `CREATE MATERIALIZED VIEW busy AS SELECT k, n FROM per_key WHERE n >= 3`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_min AS SELECT window_start AS minute, k, count(*) AS n
		FROM TUMBLE(ev, ts, INTERVAL '1' MINUTE) GROUP BY window_start, k`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_5min AS SELECT window_start, sum(n) AS n, count(*) AS key_minutes
		FROM TUMBLE(per_min, minute, INTERVAL '5' MINUTE) GROUP BY window_start EMIT ON WINDOW CLOSE`)

	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	type ev struct {
		ts time.Time
		k  string
		v  int64
	}
	var evs []ev
	add := func(from, to int) {
		for i := from; i < to; i++ {
			e := ev{base.Add(time.Duration(i) * 700 * time.Millisecond), fmt.Sprintf("k%d", (i*7)%11+(i%5)), int64(i % 13)}
			evs = append(evs, e)
			log.Append(int32(i%2), fmt.Appendf(nil, `{"ts":%d,"k":"%s","v":%d}`, e.ts.UnixMilli(), e.k, e.v))
		}
	}
	check := func(te *testEngine) {
		t.Helper()
		n, s := map[string]int64{}, map[string]int64{}
		perMin := map[string]int64{}
		var maxTS time.Time
		for _, e := range evs {
			n[e.k]++
			s[e.k] += e.v
			perMin[e.ts.Truncate(time.Minute).Format(time.RFC3339)+"|"+e.k]++
			if e.ts.After(maxTS) {
				maxTS = e.ts
			}
		}
		var perKey, busy []string
		byN := map[int64][2]int64{}
		for k, c := range n {
			perKey = append(perKey, fmt.Sprintf("%s|%d|%d", k, c, s[k]))
			if c >= 3 {
				busy = append(busy, fmt.Sprintf("%s|%d", k, c))
			}
			x := byN[c]
			byN[c] = [2]int64{x[0] + 1, x[1] + s[k]}
		}
		var byCount []string
		for c, x := range byN {
			byCount = append(byCount, fmt.Sprintf("%d|%d|%d", c, x[0], x[1]))
		}
		// 5-minute windows closed once the watermark (max ts - 1 s) passes
		// both the 1-minute windows inside them and their own end.
		wm := maxTS.Add(-time.Second)
		fives := map[time.Time][2]int64{}
		for key, c := range perMin {
			minute, _ := time.Parse(time.RFC3339, strings.SplitN(key, "|", 2)[0])
			start := minute.Truncate(5 * time.Minute)
			if !start.Add(5 * time.Minute).After(wm) {
				x := fives[start]
				fives[start] = [2]int64{x[0] + c, x[1] + 1}
			}
		}
		var per5 []string
		for st, x := range fives {
			per5 = append(per5, fmt.Sprintf("%s|%d|%d", types.FormatTimestamp(st.UnixMicro(), false), x[0], x[1]))
		}
		want := map[string]string{
			"SELECT k, n, s FROM per_key":                       sortedLines(perKey),
			"SELECT n, keys, total FROM by_count":               sortedLines(byCount),
			"SELECT k, n FROM busy":                             sortedLines(busy),
			"SELECT window_start, n, key_minutes FROM per_5min": sortedLines(per5),
		}
		for q, w := range want {
			waitFor(t, 30*time.Second, q, func() string {
				if got := te.rows(t, q); got != w {
					return fmt.Sprintf("\n got:\n%s\nwant:\n%s", got, w)
				}
				return ""
			})
		}
	}
	add(0, 1500)
	check(te)
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, 100*time.Millisecond, logs)
	defer te.Close()
	add(1500, 2500)
	check(te)
	// A view created over a running view starts from its current rows.
	te.exec(t, `CREATE MATERIALIZED VIEW keys_total AS SELECT count(*) AS keys, sum(n) AS events FROM per_key`)
	waitFor(t, 30*time.Second, "keys_total backfilled", func() string {
		if got, want := te.rows(t, "SELECT events FROM keys_total"), fmt.Sprint(len(evs)); got != want {
			return got + " != " + want
		}
		return ""
	})
}
