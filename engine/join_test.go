package engine_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// TestStreamTableJoin joins a stream with a thresholds table: each event
// sees the table as it is when processed; a LEFT join keeps events
// without a threshold; an updating view joined with the table updates;
// the table cannot be dropped while views join it.
func TestStreamTableJoin(t *testing.T) {
	log := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"req": log})
	defer te.Close()
	te.exec(t, `CREATE TABLE thresholds (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION)`)
	te.exec(t, `INSERT INTO thresholds VALUES ('a', 100), ('b', 10)`)
	te.exec(t, `CREATE SOURCE req (ts TIMESTAMP, service VARCHAR, latency_ms DOUBLE PRECISION,
		WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'memory', topic = 'req') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW slow AS
		SELECT r.ts, r.service, r.latency_ms, t.max_ms FROM req r JOIN thresholds t ON r.service = t.service
		WHERE r.latency_ms > t.max_ms`)
	te.exec(t, `CREATE MATERIALIZED VIEW all_req AS
		SELECT r.service, r.latency_ms, t.max_ms FROM req r LEFT JOIN thresholds t ON t.service = r.service`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_service AS SELECT service, max(latency_ms) AS worst FROM req GROUP BY service`)
	te.exec(t, `CREATE MATERIALIZED VIEW over AS
		SELECT p.service, p.worst, t.max_ms FROM per_service p JOIN thresholds t ON p.service = t.service WHERE p.worst > t.max_ms`)
	send := func(i int, svc string, lat float64) {
		log.Append(0, fmt.Appendf(nil, `{"ts":%d,"service":"%s","latency_ms":%g}`, int64(1_700_000_000_000)+int64(i)*1000, svc, lat))
	}
	send(0, "a", 150) // slow (100)
	send(1, "a", 50)
	send(2, "b", 20)  // slow (10)
	send(3, "c", 999) // no threshold
	// Every view must have joined the first events before the table
	// changes (each view reads the source on its own).
	for q, w := range map[string]string{
		"SELECT service, latency_ms, max_ms FROM slow":    "a|150|100\nb|20|10",
		"SELECT service, latency_ms, max_ms FROM all_req": "a|150|100\na|50|100\nb|20|10\nc|999|NULL",
		"SELECT service, worst FROM per_service":          "a|150\nb|20\nc|999",
		"SELECT service, worst, max_ms FROM over":         "a|150|100\nb|20|10",
	} {
		waitFor(t, 10*time.Second, "first events: "+q, func() string {
			if got := te.rows(t, q); got != w {
				return "\n got:\n" + got + "\nwant:\n" + w
			}
			return ""
		})
	}
	// The table changes: later events see the new threshold, earlier
	// results stand.
	te.exec(t, `UPDATE thresholds SET max_ms = 1000 WHERE service = 'a'`)
	te.exec(t, `INSERT INTO thresholds VALUES ('c', 5)`)
	send(4, "a", 150) // not slow any more
	send(5, "c", 6)   // now slow
	send(6, "b", 30)  // b's worst changes: its joined row is replaced
	want := map[string]string{
		"SELECT service, latency_ms, max_ms FROM slow":    "a|150|100\nb|20|10\nb|30|10\nc|6|5",
		"SELECT service, latency_ms, max_ms FROM all_req": "a|150|100\na|150|1000\na|50|100\nb|20|10\nb|30|10\nc|6|5\nc|999|NULL",
		// The updating view re-joins when it changes (b), not when the
		// table does (c's worst is still 999, joined before c had a row).
		"SELECT service, worst, max_ms FROM over": "a|150|100\nb|30|10",
	}
	for q, w := range want {
		waitFor(t, 10*time.Second, q, func() string {
			if got := te.rows(t, q); got != w {
				return "\n got:\n" + got + "\nwant:\n" + w
			}
			return ""
		})
	}
	if _, err := te.execErr("DROP TABLE thresholds", ""); sqlerr.CodeOf(err) != sqlerr.DependentObjectsStillExist {
		t.Fatalf("DROP TABLE with joining views: %v", err)
	}
	if _, err := te.execErr(`CREATE MATERIALIZED VIEW bad AS SELECT * FROM req r FULL JOIN thresholds t ON r.service = t.service`, ""); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("FULL JOIN of a stream: %v", err)
	}
}

// TestIntervalJoin joins two streams on a key and a bounded time
// difference, against a nested-loop reference: every matching pair is
// emitted once, across a checkpoint and a restart; rows behind their
// side's watermark are late and counted on that source; joins that
// cannot be bounded are refused.
func TestIntervalJoin(t *testing.T) {
	orders, payments := memory.NewLog(2), memory.NewLog(1)
	logs := map[string]*memory.Log{"orders": orders, "payments": payments}
	dir := t.TempDir()
	te := openEngine(t, dir, -1, logs)
	te.exec(t, `CREATE SOURCE orders (ts TIMESTAMP, id BIGINT, amount DOUBLE PRECISION,
		WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH (connector = 'memory', topic = 'orders') FORMAT JSON`)
	te.exec(t, `CREATE SOURCE payments (ts TIMESTAMP, order_id BIGINT, paid DOUBLE PRECISION,
		WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH (connector = 'memory', topic = 'payments') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW paid AS
		SELECT o.id, o.amount, p.paid, o.ts AS ordered, p.ts AS paid_at
		FROM orders o JOIN payments p ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '10' SECOND
		WHERE p.paid >= o.amount`)
	for _, bad := range []string{
		`SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id`,
		`SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id AND p.ts >= o.ts`,
		`SELECT o.id FROM orders o LEFT JOIN payments p ON p.order_id = o.id AND p.ts BETWEEN o.ts AND o.ts + INTERVAL '1' SECOND`,
	} {
		if _, err := te.execErr("CREATE MATERIALIZED VIEW bad AS "+bad, ""); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
			t.Fatalf("%s: got %v, want feature_not_supported", bad, err)
		}
	}

	type ev struct {
		ts  int64 // seconds
		id  int64
		val float64
	}
	const base = int64(1_700_000_000_000)
	var os, ps, sent []ev
	// Orders every second over 10 ids; payments for some of them between
	// 0 and 14 s later (some beyond the bound), with a shuffle of up to
	// 1 s (inside the watermark delay, so nothing is late).
	emit := func(from, to int64) {
		for s := from; s < to; s++ {
			o := ev{ts: s, id: s % 10, val: float64(s%7) * 10}
			os = append(os, o)
			orders.Append(int32(s%2), fmt.Appendf(nil, `{"ts":%d,"id":%d,"amount":%g}`, base+o.ts*1000, o.id, o.val))
			if s%3 != 0 {
				p := ev{ts: s + s%15, id: o.id, val: float64(s%5) * 15}
				ps = append(ps, p)
			}
		}
	}
	flush := func(upTo int64) {
		// Payments are sent in time order once the orders have reached them.
		sort.Slice(ps, func(a, b int) bool { return ps[a].ts < ps[b].ts })
		k := 0
		for ; k < len(ps) && ps[k].ts < upTo; k++ {
			p := ps[k]
			payments.Append(0, fmt.Appendf(nil, `{"ts":%d,"order_id":%d,"paid":%g}`, base+p.ts*1000, p.id, p.val))
		}
		sent = append(sent, ps[:k]...)
		ps = ps[k:]
	}
	reference := func() string {
		var lines []string
		for _, o := range os {
			for _, p := range sent {
				if p.id == o.id && p.ts >= o.ts && p.ts <= o.ts+10 && p.val >= o.val {
					lines = append(lines, fmt.Sprintf("%d|%g|%g|%d|%d", o.id, o.val, p.val, o.ts, p.ts))
				}
			}
		}
		return sortedLines(lines)
	}
	const q = `SELECT id, amount, paid, extract(epoch FROM ordered)::bigint - 1700000000, extract(epoch FROM paid_at)::bigint - 1700000000 FROM paid`
	check := func(te *testEngine, what string) {
		want := reference()
		waitFor(t, 20*time.Second, what, func() string {
			if got := te.rows(t, q); got != want {
				return fmt.Sprintf("\n got %d rows, want %d", strings.Count(got, "\n")+1, strings.Count(want, "\n")+1)
			}
			return ""
		})
	}
	emit(0, 200)
	flush(180)
	check(te, "first half")
	if err := te.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	// Rows after the checkpoint are replayed after the restart: the join's
	// buffered rows come from the checkpoint, the replay re-matches.
	emit(200, 260)
	flush(240)
	te.Close()

	te = openEngine(t, dir, -1, logs)
	defer te.Close()
	emit(260, 400)
	flush(400)
	check(te, "after restart")

	// A payment behind the payments watermark is late, on payments.
	payments.Append(0, fmt.Appendf(nil, `{"ts":%d,"order_id":1,"paid":1000}`, base+100*1000))
	orders.Append(0, fmt.Appendf(nil, `{"ts":%d,"id":1,"amount":1}`, base+10*1000))
	waitFor(t, 10*time.Second, "late rows", func() string {
		r := te.exec(t, "SHOW SOURCES")
		got := map[string]int64{}
		for i := range r.rows {
			got[r.col(i, "name").S] = r.col(i, "late").I
		}
		if got["orders"] != 1 || got["payments"] != 1 {
			return fmt.Sprintf("late %v\n%v", got, r.rows)
		}
		return ""
	})
	check(te, "after late rows")
}
