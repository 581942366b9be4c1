package query_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPostgresParity runs joins, subqueries, set operations and window
// functions over the same random relations in Tocsin's batch runner and
// in a real PostgreSQL, and compares the rows. It needs a scratch
// database: set TOCSIN_PG_PARITY_DSN (for example
// "host=/tmp port=5432 user=postgres dbname=postgres"); the test creates
// and drops its own tables (prefixed qp_).
func TestPostgresParity(t *testing.T) {
	dsn := os.Getenv("TOCSIN_PG_PARITY_DSN")
	if dsn == "" {
		t.Skip("set TOCSIN_PG_PARITY_DSN to compare with PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for seed := uint64(0); seed < 4; seed++ {
		parityRound(ctx, t, conn, seed)
	}
}

// parityRound compares one set of random relations and queries.
func parityRound(ctx context.Context, t *testing.T, conn *pgx.Conn, seed uint64) {
	e := newEnv()
	e.batchRows = 7
	rng := rand.New(rand.NewPCG(11, seed))
	type table struct {
		name string
		cols []string
		gen  []func() any
	}
	nullable := func(every int, f func() any) func() any {
		return func() any {
			if rng.IntN(every) == 0 {
				return nil
			}
			return f()
		}
	}
	intIn := func(n int) func() any { return func() any { return rng.IntN(n) - n/4 } }
	floatIn := func() any {
		switch rng.IntN(25) {
		case 0:
			return "NaN"
		case 1:
			return "Infinity"
		case 2:
			return "-Infinity"
		}
		return float64(rng.IntN(400)-100) / 4
	}
	text := func() any { return string(rune('a' + rng.IntN(4))) }
	ts := func() any { return fmt.Sprintf("2024-01-01 %02d:%02d:00", rng.IntN(3), rng.IntN(60)) }
	tables := []table{
		{"qp_a", []string{"id int", "k int", "g text", "v int", "f double precision", "ts timestamp"},
			[]func() any{nil, nullable(6, intIn(8)), nullable(8, text), nullable(5, intIn(30)), nullable(7, floatIn), nullable(9, ts)}},
		{"qp_b", []string{"id int", "k bigint", "g text", "w int"},
			[]func() any{nil, nullable(6, intIn(8)), nullable(8, text), nullable(5, intIn(30))}},
	}
	for _, tb := range tables {
		n := 30 + rng.IntN(30)
		var rows [][]any
		var values []string
		for i := 0; i < n; i++ {
			row := []any{i}
			lits := []string{fmt.Sprint(i)}
			for _, g := range tb.gen[1:] {
				v := g()
				row = append(row, v)
				switch x := v.(type) {
				case nil:
					lits = append(lits, "NULL")
				case string:
					lits = append(lits, "'"+x+"'")
					if x == "NaN" || strings.HasSuffix(x, "Infinity") {
						lits[len(lits)-1] += "::float8"
					}
				default:
					lits = append(lits, fmt.Sprint(x))
				}
			}
			rows = append(rows, row)
			values = append(values, "("+strings.Join(lits, ", ")+")")
		}
		e.table(t, tb.name, cols(tb.cols...), rows...)
		for _, stmt := range []string{
			"DROP TABLE IF EXISTS " + tb.name,
			"CREATE TABLE " + tb.name + " (" + strings.Join(tb.cols, ", ") + ")",
			"INSERT INTO " + tb.name + " VALUES " + strings.Join(values, ", "),
		} {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		defer conn.Exec(ctx, "DROP TABLE IF EXISTS "+tb.name) //nolint:errcheck
	}
	queries := []string{
		"SELECT a.id, b.id FROM qp_a a JOIN qp_b b ON a.k = b.k",
		"SELECT a.id, b.id FROM qp_a a LEFT JOIN qp_b b ON a.k = b.k AND a.v < b.w",
		"SELECT a.id, b.id FROM qp_a a RIGHT JOIN qp_b b ON a.k = b.k AND a.g = b.g",
		"SELECT a.id, b.id FROM qp_a a FULL JOIN qp_b b ON a.k = b.k AND a.v > b.w",
		"SELECT a.id, b.id FROM qp_a a RIGHT JOIN qp_b b ON a.v < b.w - 25",
		"SELECT * FROM qp_a JOIN qp_b USING (k, g) ORDER BY 1, 2, 3, 6",
		"SELECT k, g, count(*) FROM qp_a NATURAL FULL JOIN qp_b GROUP BY k, g",
		"SELECT id FROM qp_a WHERE k IN (SELECT k FROM qp_b WHERE w > 10)",
		"SELECT id, k NOT IN (SELECT k FROM qp_b WHERE w > 20), v > ALL (SELECT w FROM qp_b WHERE g = 'a'), v <= ANY (SELECT w FROM qp_b WHERE k = 1) FROM qp_a",
		"SELECT id FROM qp_a a WHERE EXISTS (SELECT 1 FROM qp_b b WHERE b.k = a.k AND b.w > a.v)",
		"SELECT id, (SELECT max(w) FROM qp_b b WHERE b.g = a.g AND b.k < a.k) FROM qp_a a",
		"SELECT g, (SELECT count(*) FROM qp_b b WHERE b.g = a.g), sum(v) FROM qp_a a GROUP BY g",
		"WITH s AS (SELECT k, sum(v) AS sv FROM qp_a GROUP BY k) SELECT x.k, x.sv, y.sv FROM s x LEFT JOIN s y ON x.k = y.k + 1",
		"SELECT k, g FROM qp_a UNION SELECT k, g FROM qp_b",
		"SELECT k, g FROM qp_a UNION ALL SELECT k, g FROM qp_b",
		"SELECT k, g FROM qp_a INTERSECT SELECT k, g FROM qp_b",
		"SELECT k, g FROM qp_a INTERSECT ALL SELECT k, g FROM qp_b",
		"SELECT k, g FROM qp_a EXCEPT SELECT k, g FROM qp_b",
		"SELECT k, g FROM qp_a EXCEPT ALL SELECT k, g FROM qp_b",
		"SELECT k FROM qp_a UNION SELECT w FROM qp_b ORDER BY 1 DESC LIMIT 5",
		`SELECT id, row_number() OVER (PARTITION BY g ORDER BY v, id), rank() OVER (PARTITION BY g ORDER BY v),
			dense_rank() OVER (PARTITION BY g ORDER BY v DESC), percent_rank() OVER (PARTITION BY g ORDER BY v),
			cume_dist() OVER (PARTITION BY k ORDER BY v DESC NULLS LAST), ntile(4) OVER (PARTITION BY g ORDER BY id) FROM qp_a`,
		`SELECT id, lag(v) OVER w, lead(v, 2, -1) OVER w, lag(f, 3) OVER w, first_value(v) OVER w, last_value(v) OVER w, nth_value(v, 3) OVER w
			FROM qp_a WINDOW w AS (PARTITION BY k ORDER BY id)`,
		`SELECT id, sum(v) OVER (PARTITION BY g ORDER BY v), count(*) OVER (PARTITION BY g ORDER BY v), avg(f) OVER (PARTITION BY g),
			min(v) OVER (PARTITION BY g ORDER BY v DESC), max(f) OVER (ORDER BY k NULLS FIRST) FROM qp_a`,
		`SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING), min(f) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING),
			max(v) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING), count(v) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) FROM qp_a`,
		`SELECT id, sum(v) OVER (PARTITION BY g ORDER BY k RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING),
			count(*) OVER (PARTITION BY g ORDER BY k DESC RANGE BETWEEN 2 PRECEDING AND CURRENT ROW),
			max(v) OVER (ORDER BY f RANGE BETWEEN 5.5 PRECEDING AND 2 FOLLOWING),
			sum(v) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '20 minutes' PRECEDING AND INTERVAL '5 minutes' FOLLOWING),
			count(*) OVER (ORDER BY ts DESC NULLS LAST RANGE BETWEEN INTERVAL '1 hour' PRECEDING AND INTERVAL '10 minutes' PRECEDING) FROM qp_a`,
		`SELECT id, sum(v) OVER (PARTITION BY g ORDER BY k GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING),
			first_value(id) OVER (PARTITION BY g ORDER BY k, id GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING),
			count(*) OVER (ORDER BY k DESC GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM qp_a`,
		`SELECT g, sum(v), rank() OVER (ORDER BY sum(v) DESC NULLS LAST), sum(sum(v)) OVER (ORDER BY g) FROM qp_a GROUP BY g`,
		`SELECT id, sum(v) FILTER (WHERE f > 0) OVER (PARTITION BY k ORDER BY id), count(*) FILTER (WHERE g = 'a') OVER () FROM qp_a`,
	}
	queries = append(queries, randomWindowQueries(rng, 60)...)
	for _, q := range queries {
		want, err := pgRows(ctx, conn, q)
		if err != nil {
			t.Fatalf("postgres: %s: %v", q, err)
		}
		e.check(t, q, false, want...)
	}
}

// randomWindowQueries makes window queries over qp_a with random
// partitions, orders and frames. Orders are total (ending in id) where a
// result could depend on the order of peers.
func randomWindowQueries(rng *rand.Rand, n int) []string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	// Bound kinds: 0 UNBOUNDED PRECEDING, 1 n PRECEDING, 2 CURRENT ROW,
	// 3 n FOLLOWING, 4 UNBOUNDED FOLLOWING.
	bound := func(kind int, offset string) string {
		return [...]string{"UNBOUNDED PRECEDING", offset + " PRECEDING", "CURRENT ROW", offset + " FOLLOWING", "UNBOUNDED FOLLOWING"}[kind]
	}
	var out []string
	for len(out) < n {
		sk, ek := rng.IntN(4), 1+rng.IntN(4)
		if ek < sk || (sk == 2 && ek == 1) || (sk == 3 && ek < 3) {
			continue
		}
		unit := pick("ROWS", "RANGE", "GROUPS")
		dir := pick("", " DESC", " NULLS FIRST", " DESC NULLS LAST")
		part := pick("", "PARTITION BY g ", "PARTITION BY k, g ")
		offset := func() string { return fmt.Sprint(rng.IntN(4)) }
		var order, fn string
		switch unit {
		case "RANGE":
			col := pick("k", "v", "f", "ts")
			order = col + dir
			if col == "ts" {
				offset = func() string { return fmt.Sprintf("INTERVAL '%d minutes'", 10*rng.IntN(4)) }
			} else if col == "f" {
				offset = func() string { return fmt.Sprintf("%g", float64(rng.IntN(12))/4) }
			}
			fn = pick("sum(v)", "count(*)", "count(f)", "min(v)", "max(f)", "avg(f)", "sum(f)")
		default:
			order = pick("k", "v", "g") + dir + ", id"
			fn = pick("sum(v)", "count(*)", "min(f)", "max(v)", "avg(f)", "first_value(v)", "last_value(f)", "nth_value(v, 2)", "min(g)")
		}
		out = append(out, fmt.Sprintf("SELECT id, %s OVER (%sORDER BY %s %s BETWEEN %s AND %s) FROM qp_a",
			fn, part, order, unit, bound(sk, offset()), bound(ek, offset())))
	}
	return out
}

// pgRows runs q on PostgreSQL and formats its rows like env.query.
func pgRows(ctx context.Context, conn *pgx.Conn, q string) ([]string, error) {
	res, err := conn.PgConn().Exec(ctx, q).ReadAll()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, row := range r.Rows {
			parts := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					parts[i] = "NULL"
				} else {
					parts[i] = string(v)
				}
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	return out, nil
}
