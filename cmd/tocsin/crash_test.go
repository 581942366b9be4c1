package main

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// envInt reads an integer override for the large crash run.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// seqEvent is one record of the crash test: key k's seq-th record.
type seqEvent struct {
	k    int
	seq  int64
	tsMS int64
	v    int64
}

func (e seqEvent) json() []byte {
	return fmt.Appendf(nil, `{"ts":%d,"k":"k%02d","seq":%d,"v":%d}`, e.tsMS, e.k, e.seq, e.v)
}

// genSeqEvents makes n records over keys keys, key k in partition
// k%partitions, with per-key sequence numbers and event times that lag
// production order by at most 2 s.
func genSeqEvents(n, keys int, seed int64) []seqEvent {
	rng := rand.New(rand.NewSource(seed))
	base := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMilli()
	next := make([]int64, keys)
	evs := make([]seqEvent, n)
	for i := range evs {
		k := rng.Intn(keys)
		evs[i] = seqEvent{k: k, seq: next[k], tsMS: base + int64(i) - rng.Int63n(2000), v: rng.Int63n(1000)}
		next[k]++
	}
	return evs
}

const crashSource = `CREATE SOURCE src (ts TIMESTAMP, k VARCHAR, seq BIGINT, v BIGINT,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
  WITH (connector = 'kafka', topic = 'seq', properties.bootstrap.server = '%s') FORMAT JSON`

var crashViews = []string{
	`CREATE MATERIALIZED VIEW v_keys AS SELECT k, count(*) AS n, sum(seq) AS s, min(seq) AS lo, max(seq) AS hi FROM src GROUP BY k`,
	`CREATE MATERIALIZED VIEW v_rows AS SELECT k, seq FROM src`,
	`CREATE MATERIALIZED VIEW v_win AS SELECT window_start, k, count(*) AS n, sum(v) AS sv
	   FROM TUMBLE(src, ts, INTERVAL '10' SECOND) GROUP BY window_start, k`,
	`CREATE MATERIALIZED VIEW v_closed AS SELECT window_start, k, count(*) AS n, sum(v) AS sv
	   FROM TUMBLE(src, ts, INTERVAL '10' SECOND) GROUP BY window_start, k EMIT ON WINDOW CLOSE`,
	// Per-key events are ~24 ms apart on average, so 50 ms sessions split
	// often, and the disorder makes later events merge earlier sessions.
	`CREATE MATERIALIZED VIEW v_over AS SELECT k, seq, count(*) OVER w AS n, sum(seq) OVER w AS s
	   FROM src WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW)`,
	`CREATE MATERIALIZED VIEW v_sess AS SELECT k, window_start, window_end, count(*) AS n, sum(seq) AS s
	   FROM SESSION(src, ts, INTERVAL '50 milliseconds') GROUP BY k, window_start, window_end`,
}

// overOracle computes v_over in batch for the rows the final watermark
// releases (ts before it): per key, rows in time order, ties in the
// order they were produced (one key lives in one partition).
func overOracle(evs []seqEvent, partitions int) map[string][2]int64 {
	maxTS := make([]int64, partitions)
	for i := range maxTS {
		maxTS[i] = math.MinInt64
	}
	byKey := map[int][]seqEvent{}
	for _, e := range evs {
		maxTS[e.k%partitions] = max(maxTS[e.k%partitions], e.tsMS)
		byKey[e.k] = append(byKey[e.k], e)
	}
	wm := slices.Min(maxTS) - 5_000
	out := map[string][2]int64{}
	for k, es := range byKey {
		sort.SliceStable(es, func(i, j int) bool { return es[i].tsMS < es[j].tsMS })
		for i, e := range es {
			if e.tsMS >= wm {
				break
			}
			var n, s int64
			for j := max(0, i-4); j <= i; j++ {
				n++
				s += es[j].seq
			}
			out[fmt.Sprintf("k%02d/%d", k, e.seq)] = [2]int64{n, s}
		}
	}
	return out
}

// sessionOracle computes v_sess in batch: per key, events ordered by
// time chain into one session while each starts before the session's
// end (last event + gap).
func sessionOracle(evs []seqEvent, gapMS int64) map[string][2]int64 {
	byKey := map[int][]seqEvent{}
	for _, e := range evs {
		byKey[e.k] = append(byKey[e.k], e)
	}
	out := map[string][2]int64{}
	for k, es := range byKey {
		sort.Slice(es, func(i, j int) bool { return es[i].tsMS < es[j].tsMS })
		flush := func(start, end, n, s int64) {
			out[fmt.Sprintf("k%02d/%d/%d", k, start, end)] = [2]int64{n, s}
		}
		start, end, n, sum := es[0].tsMS, es[0].tsMS+gapMS, int64(0), int64(0)
		for _, e := range es {
			if e.tsMS >= end {
				flush(start, end, n, sum)
				start, end, n, sum = e.tsMS, e.tsMS+gapMS, 0, 0
			}
			end = max(end, e.tsMS+gapMS)
			n++
			sum += e.seq
		}
		flush(start, end, n, sum)
	}
	return out
}

// TestCrashRecovery is the exactly-once test: the broker runs in its own
// process with its log on disk; a generator writes N records with per-key
// sequence numbers over 8 partitions while `tocsin serve` is killed with
// SIGKILL at random moments K times and restarted. Afterwards every view
// equals the oracle and every key's sequence has no gap and no duplicate.
// CI runs N = 100,000, K = 10; `make crash-large` runs N = 10^7, K = 200.
func TestCrashRecovery(t *testing.T) {
	n := envInt("TOCSIN_CRASH_N", 100_000)
	kills := envInt("TOCSIN_CRASH_K", 10)
	const keys, partitions = 24, 8
	dir := t.TempDir()
	broker := startProc(t, "Kafka broker: ", "broker", "--addr", "127.0.0.1:0", "--data-dir", dir+"/kafka", "--partitions", "8")
	brokers := []string{broker.addr}
	ctx := context.Background()
	if err := kafka.CreateTopic(ctx, brokers, "seq", partitions); err != nil {
		t.Fatal(err)
	}
	serveArgs := []string{"serve", "--data-dir", dir + "/tocsin", "--pg-addr", "127.0.0.1:0", "--checkpoint-interval", "200ms", "--log-level", "warn"}
	serve := startProc(t, "serving Postgres wire on ", serveArgs...)
	conn := connectTo(t, serve.addr)
	for _, sql := range append([]string{fmt.Sprintf(crashSource, broker.addr)}, crashViews...) {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	_ = conn.Close(ctx)

	evs := genSeqEvents(n, keys, 99)
	produced := make(chan error, 1)
	go func() {
		w := kafka.NewWriter(brokers, "seq")
		defer w.Close()
		const chunk = 2000
		for i := 0; i < len(evs); i += chunk {
			msgs := make([]kafka.Message, 0, chunk)
			for _, e := range evs[i:min(len(evs), i+chunk)] {
				msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("k%02d", e.k)), Value: e.json(), Partition: int32(e.k % partitions)})
			}
			if err := w.Write(ctx, msgs...); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(100+rng.Intn(1200)) * time.Millisecond) // a random moment, not synchronisation
		serve.kill()
		serve = startProc(t, "serving Postgres wire on ", serveArgs...)
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	// Recovery time: from a kill after all records were produced to every
	// view having read them all again.
	serve.kill()
	restart := time.Now()
	serve = startProc(t, "serving Postgres wire on ", serveArgs...)
	conn = connectTo(t, serve.addr)
	poll(t, 10*time.Minute, "every view catches up after the last restart", func() string {
		rows, err := conn.Query(ctx, "SHOW MATERIALIZED VIEWS")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return err.Error()
			}
			if rec := vals[3].(int64); rec < int64(n) {
				return fmt.Sprintf("%s has read %d of %d", vals[0], rec, n)
			}
		}
		return ""
	})
	t.Logf("N=%d K=%d: recovery, from restart to every view caught up: %v", n, kills, time.Since(restart).Round(time.Millisecond))
	checkCrashViews(t, conn, evs, keys)

	// Offsets the last checkpoints recorded reach the consumer groups.
	ends, err := kafka.PartitionEnds(ctx, brokers, "seq")
	if err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "checkpointed offsets committed to the consumer group", func() string {
		got, err := kafka.CommittedOffsets(ctx, brokers, "tocsin.src.v_keys", "seq")
		if err != nil {
			return err.Error()
		}
		for p, end := range ends {
			if got[p] != end {
				return fmt.Sprintf("committed %v, ends %v", got, ends)
			}
		}
		return ""
	})
}

func checkCrashViews(t *testing.T, conn *pgx.Conn, evs []seqEvent, keys int) {
	t.Helper()
	ctx := context.Background()
	count := make([]int64, keys)
	for _, e := range evs {
		count[e.k]++
	}
	type win struct{ n, sv int64 }
	wins := map[string]win{}
	maxTS := int64(0)
	for _, e := range evs {
		start := e.tsMS - e.tsMS%10_000
		key := fmt.Sprintf("%d/k%02d", start, e.k)
		w := wins[key]
		w.n++
		w.sv += e.v
		wins[key] = w
		maxTS = max(maxTS, e.tsMS)
	}
	poll(t, 3*time.Minute, "v_keys: every key's count and sequence sums", func() string {
		rows, err := conn.Query(ctx, "SELECT k, n, s, lo, hi FROM v_keys ORDER BY k")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var k string
			var nn, s, lo, hi int64
			if err := rows.Scan(&k, &nn, &s, &lo, &hi); err != nil {
				return err.Error()
			}
			ki, _ := strconv.Atoi(k[1:])
			c := count[ki]
			if nn != c || s != c*(c-1)/2 || lo != 0 || hi != c-1 {
				return fmt.Sprintf("%s: n=%d s=%d lo=%d hi=%d, want n=%d s=%d lo=0 hi=%d", k, nn, s, lo, hi, c, c*(c-1)/2, c-1)
			}
			seen++
		}
		if seen != keys {
			return fmt.Sprintf("%d keys, want %d", seen, keys)
		}
		if err := rows.Err(); err != nil {
			return err.Error()
		}
		return ""
	})
	poll(t, time.Minute, "v_rows: every sequence without gap or duplicate", func() string {
		rows, err := conn.Query(ctx, "SELECT k, seq FROM v_rows")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		seqs := map[string][]int64{}
		total := 0
		for rows.Next() {
			var k string
			var seq int64
			if err := rows.Scan(&k, &seq); err != nil {
				return err.Error()
			}
			seqs[k] = append(seqs[k], seq)
			total++
		}
		if total != len(evs) {
			return fmt.Sprintf("%d rows, want %d", total, len(evs))
		}
		for k, s := range seqs {
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
			for i, v := range s {
				if v != int64(i) {
					return fmt.Sprintf("key %s: position %d holds seq %d (gap or duplicate)", k, i, v)
				}
			}
		}
		return ""
	})
	checkWindows := func(view string, want map[string]win, closedOnly bool) string {
		rows, err := conn.Query(ctx, "SELECT window_start, k, n, sv FROM "+view)
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		got := map[string]win{}
		for rows.Next() {
			var ws time.Time
			var k string
			var w win
			if err := rows.Scan(&ws, &k, &w.n, &w.sv); err != nil {
				return err.Error()
			}
			got[fmt.Sprintf("%d/%s", ws.UnixMilli(), k)] = w
		}
		for key, w := range want {
			var start int64
			fmt.Sscanf(key, "%d/", &start)
			if closedOnly && start+10_000 > maxTS-5_000-2_000 {
				continue // may still be open
			}
			if got[key] != w {
				return fmt.Sprintf("%s window %s: %+v, want %+v", view, key, got[key], w)
			}
		}
		for key, w := range got {
			if want[key] != w {
				return fmt.Sprintf("%s window %s: %+v, want %+v", view, key, w, want[key])
			}
		}
		return ""
	}
	poll(t, time.Minute, "v_win equals the oracle", func() string { return checkWindows("v_win", wins, false) })
	overs := overOracle(evs, 8)
	poll(t, time.Minute, "v_over equals the oracle", func() string {
		rows, err := conn.Query(ctx, "SELECT k, seq, n, s FROM v_over")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		got := map[string][2]int64{}
		for rows.Next() {
			var k string
			var seq, n, s int64
			if err := rows.Scan(&k, &seq, &n, &s); err != nil {
				return err.Error()
			}
			key := fmt.Sprintf("%s/%d", k, seq)
			if _, dup := got[key]; dup {
				return "duplicate row " + key
			}
			got[key] = [2]int64{n, s}
		}
		if err := rows.Err(); err != nil {
			return err.Error()
		}
		for key, w := range overs {
			if got[key] != w {
				return fmt.Sprintf("row %s: (n, sum seq) = %v, want %v (%d rows, want %d)", key, got[key], w, len(got), len(overs))
			}
		}
		if len(got) != len(overs) {
			return fmt.Sprintf("%d rows, want %d", len(got), len(overs))
		}
		return ""
	})
	sessions := sessionOracle(evs, 50)
	poll(t, time.Minute, "v_sess equals the oracle", func() string {
		rows, err := conn.Query(ctx, "SELECT k, window_start, window_end, n, s FROM v_sess")
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		got := map[string][2]int64{}
		for rows.Next() {
			var k string
			var ws, we time.Time
			var n, s int64
			if err := rows.Scan(&k, &ws, &we, &n, &s); err != nil {
				return err.Error()
			}
			got[fmt.Sprintf("%s/%d/%d", k, ws.UnixMilli(), we.UnixMilli())] = [2]int64{n, s}
		}
		if err := rows.Err(); err != nil {
			return err.Error()
		}
		for key, w := range sessions {
			if got[key] != w {
				return fmt.Sprintf("session %s: (n, sum seq) = %v, want %v (%d sessions, want %d)", key, got[key], w, len(got), len(sessions))
			}
		}
		if len(got) != len(sessions) {
			return fmt.Sprintf("%d sessions, want %d", len(got), len(sessions))
		}
		return ""
	})
	poll(t, time.Minute, "v_closed holds the closed windows", func() string { return checkWindows("v_closed", wins, true) })
	c, err := showSource(ctx, conn, "src")
	if err != nil {
		t.Fatal(err)
	}
	records, deadLetters := c.records, c.malformed
	if records != int64(len(evs)) || deadLetters != 0 {
		t.Fatalf("SHOW SOURCES: records %d dead letters %d, want %d and 0", records, deadLetters, len(evs))
	}
}
