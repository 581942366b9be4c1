package query_test

import (
	"testing"
)

func windowEnv(t *testing.T) *env {
	e := newEnv()
	e.batchRows = 3
	e.table(t, "ev", cols("id int", "k text", "ts timestamp", "v int", "f double precision"),
		[]any{1, "a", "2024-01-01 00:00:00", 1, 1.5},
		[]any{2, "a", "2024-01-01 00:10:00", 2, -2.0},
		[]any{3, "a", "2024-01-01 00:10:00", 3, "NaN"},
		[]any{4, "a", "2024-01-01 01:05:00", nil, 0.0},
		[]any{5, "a", "2024-01-01 02:00:00", 5, 4.0},
		[]any{6, "b", "2024-01-01 00:00:00", 10, nil},
		[]any{7, "b", nil, 20, 3.0},
	)
	return e
}

func TestWindowRanking(t *testing.T) {
	e := windowEnv(t)
	e.check(t, `SELECT id, row_number() OVER w, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w
		FROM ev WINDOW w AS (PARTITION BY k ORDER BY ts) ORDER BY id`, true,
		"1|1|1|1|0|0.2", "2|2|2|2|0.25|0.6", "3|3|2|2|0.25|0.6", "4|4|4|3|0.75|0.8", "5|5|5|4|1|1",
		"6|1|1|1|0|0.5", "7|2|2|2|1|1")
	e.check(t, "SELECT id, ntile(3) OVER (ORDER BY id), ntile(10) OVER (ORDER BY id) FROM ev ORDER BY id", true,
		"1|1|1", "2|1|2", "3|1|3", "4|2|4", "5|2|5", "6|3|6", "7|3|7")
	// Without ORDER BY every row is a peer.
	e.check(t, "SELECT id, rank() OVER (PARTITION BY k), count(*) OVER () FROM ev WHERE id < 3 OR id = 7", false,
		"1|1|3", "2|1|3", "7|1|3")
	// DESC puts NULLs first.
	e.check(t, "SELECT id, row_number() OVER (ORDER BY v DESC) FROM ev ORDER BY 2 LIMIT 3", true, "4|1", "7|2", "6|3")
}

func TestWindowNavigation(t *testing.T) {
	e := windowEnv(t)
	e.check(t, `SELECT id, lag(v) OVER w, lead(v, 2, -1) OVER w, first_value(v) OVER w, last_value(v) OVER w, nth_value(v, 2) OVER w
		FROM ev WINDOW w AS (PARTITION BY k ORDER BY ts, v) ORDER BY id`, true,
		"1|NULL|3|1|1|NULL", "2|1|NULL|1|2|2", "3|2|5|1|3|2", "4|3|-1|1|NULL|2", "5|NULL|-1|1|5|2",
		"6|NULL|-1|10|10|NULL", "7|10|-1|10|20|20")
	e.check(t, `SELECT id, last_value(id) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
		first_value(id) OVER (ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING),
		lag(id, -1) OVER (ORDER BY id), lead(id, 0) OVER (ORDER BY id) FROM ev ORDER BY id`, true,
		"1|5|3|2|1", "2|5|4|3|2", "3|5|5|4|3", "4|5|6|5|4", "5|5|7|6|5", "6|7|NULL|7|6", "7|7|NULL|NULL|7")
	e.check(t, "SELECT id, lag(k, 1, 'none') OVER (ORDER BY id) FROM ev WHERE id > 5 ORDER BY id", true, "6|none", "7|b")
}

func TestWindowAggregates(t *testing.T) {
	e := windowEnv(t)
	// The default frame: up to the current row's last peer.
	e.check(t, `SELECT id, sum(v) OVER w, count(v) OVER w, count(*) OVER w, avg(v) OVER w, min(v) OVER w, max(f) OVER w
		FROM ev WINDOW w AS (PARTITION BY k ORDER BY ts) ORDER BY id`, true,
		"1|1|1|1|1|1|1.5", "2|6|3|3|2|1|NaN", "3|6|3|3|2|1|NaN", "4|6|3|4|2|1|NaN", "5|11|4|5|2.75|1|NaN",
		"6|10|1|1|10|10|NULL", "7|30|2|2|15|10|3")
	e.check(t, `SELECT id, sum(v) OVER (PARTITION BY k ORDER BY ts, v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
		min(f) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),
		max(f) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING),
		sum(f) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM ev ORDER BY id`, true,
		"1|1|-2|1.5|NULL", "2|3|-2|NaN|1.5", "3|5|-2|NaN|-0.5", "4|3|0|4|NaN", "5|5|0|4|NaN", "6|10|3|3|4", "7|30|3|3|4")
	e.check(t, `SELECT id, sum(v) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '10 minutes' PRECEDING AND CURRENT ROW),
		sum(v) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN CURRENT ROW AND INTERVAL '1 hour' FOLLOWING),
		sum(v) OVER (PARTITION BY k ORDER BY ts GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW),
		count(*) OVER (PARTITION BY k ORDER BY ts DESC RANGE BETWEEN INTERVAL '1 hour' PRECEDING AND INTERVAL '10 minutes' PRECEDING)
		FROM ev ORDER BY id`, true,
		"1|1|6|1|2", "2|6|5|6|1", "3|6|5|6|1", "4|NULL|5|5|1", "5|5|5|5|0", "6|10|10|10|0", "7|20|20|30|1")
	e.check(t, "SELECT id, sum(v) OVER (ORDER BY v RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING) FROM ev ORDER BY id", true,
		"1|6", "2|6", "3|10", "4|NULL", "5|5", "6|10", "7|20")
	e.check(t, "SELECT id, sum(f) FILTER (WHERE f > 0) OVER (PARTITION BY k), count(*) FILTER (WHERE v > 2) OVER () FROM ev ORDER BY id", true,
		"1|NaN|4", "2|NaN|4", "3|NaN|4", "4|NaN|4", "5|NaN|4", "6|3|4", "7|3|4")
	// A registry aggregate without a typed path runs through its state.
	e.check(t, "SELECT id, min(k) OVER (ORDER BY id DESC ROWS 1 PRECEDING), max(ts) OVER (PARTITION BY k) FROM ev WHERE id IN (1, 5, 6, 7) ORDER BY id", true,
		"1|a|2024-01-01 02:00:00", "5|a|2024-01-01 02:00:00", "6|b|2024-01-01 00:00:00", "7|b|2024-01-01 00:00:00")
	e.check(t, `SELECT id, min(k || id::text) FILTER (WHERE v > 1) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),
		max(k || id::text) OVER (PARTITION BY k ORDER BY id) FROM ev ORDER BY id`, true,
		"1|a2|a1", "2|a2|a2", "3|a2|a3", "4|a3|a4", "5|a5|a5", "6|a5|b6", "7|b6|b7")
	e.check(t, "SELECT id, sum(ts - ts) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM ev WHERE id < 3 ORDER BY id", true,
		"1|00:00:00", "2|00:00:00")
}

func TestWindowWithGrouping(t *testing.T) {
	e := windowEnv(t)
	e.check(t, "SELECT k, sum(v), rank() OVER (ORDER BY sum(v) DESC), sum(sum(v)) OVER () FROM ev GROUP BY k ORDER BY k", true,
		"a|11|2|41", "b|30|1|41")
	e.check(t, "SELECT DISTINCT k, count(*) OVER (PARTITION BY k) FROM ev ORDER BY 1", true, "a|5", "b|2")
	e.check(t, "SELECT id FROM ev ORDER BY row_number() OVER (ORDER BY f DESC NULLS LAST) LIMIT 3", true, "3", "5", "7")
	e.check(t, "SELECT s FROM (SELECT sum(v) OVER (ORDER BY id) AS s FROM ev) x WHERE s > 20", false, "21", "41")
}

func TestWindowErrors(t *testing.T) {
	e := windowEnv(t)
	e.checkErr(t, "SELECT id FROM ev WHERE row_number() OVER () > 1", "42P20")
	e.checkErr(t, "SELECT sum(row_number() OVER ()) OVER () FROM ev", "42P20")
	e.checkErr(t, "SELECT sum(row_number() OVER ()) FROM ev", "42803")
	e.checkErr(t, "SELECT row_number() FROM ev", "42809")
	e.checkErr(t, "SELECT sum(v) OVER w FROM ev", "42704")
	e.checkErr(t, "SELECT sum(v) OVER (w ORDER BY id) FROM ev WINDOW w AS (ORDER BY ts)", "42P20")
	e.checkErr(t, "SELECT sum(v) OVER (ORDER BY ts, id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM ev", "42P20")
	e.checkErr(t, "SELECT sum(v) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM ev", "0A000")
	e.checkErr(t, "SELECT sum(v) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM ev", "22013")
	e.checkErr(t, "SELECT ntile(0) OVER () FROM ev", "22014")
	e.checkErr(t, "SELECT nth_value(v, 0) OVER () FROM ev", "22016")
	e.checkErr(t, "SELECT count(DISTINCT v) OVER () FROM ev", "0A000")
	e.checkErr(t, "SELECT sum(v) OVER (GROUPS 1 PRECEDING) FROM ev", "42P20")
	e.checkErr(t, "SELECT k FROM ev GROUP BY k HAVING rank() OVER () > 1", "42P20")
	e.checkErr(t, "SELECT lower(k) OVER () FROM ev", "42809")
	e.checkErr(t, "SELECT v FROM ev GROUP BY k ORDER BY rank() OVER (ORDER BY v)", "42803")
}
