package query_test

import (
	"testing"
)

// FuzzRelational parses, binds and runs arbitrary queries over small
// relations: any outcome but a panic (or an internal error) is fine.
func FuzzRelational(f *testing.F) {
	for _, s := range []string{
		"SELECT l.a, r.b FROM l FULL JOIN r ON l.k = r.k AND l.a < r.b",
		"SELECT * FROM l JOIN r USING (k) WHERE k IN (SELECT k FROM r WHERE b IS NULL)",
		"SELECT a FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k) ORDER BY a",
		"SELECT (SELECT max(b) FROM r WHERE r.k = l.k), a FROM l",
		"WITH x AS (SELECT k, count(*) AS n FROM l GROUP BY k) SELECT * FROM x a, x b WHERE a.k = b.k",
		"SELECT k FROM l UNION SELECT k FROM r EXCEPT ALL SELECT 1 ORDER BY 1 LIMIT 2",
		"SELECT a, sum(a) OVER (PARTITION BY k ORDER BY a ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING) FROM l",
		"SELECT a, rank() OVER w, lag(a, 2, 0) OVER w, ntile(2) OVER w FROM l WINDOW w AS (ORDER BY k DESC)",
		"SELECT k, max(a) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM l",
		"SELECT * FROM (VALUES (1, 'x'), (NULL, 'y')) v WHERE column1 > ALL (SELECT k FROM r)",
	} {
		f.Add(s)
	}
	e := newEnv()
	e.batchRows = 2
	e.table(f, "l", cols("k int", "a int"), []any{1, 10}, []any{2, nil}, []any{nil, 30}, []any{2, 40})
	e.table(f, "r", cols("k bigint", "b int"), []any{2, 5}, []any{3, nil}, []any{nil, 7})
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 400 {
			return
		}
		_, err := e.query(sql)
		if err != nil && err.Error() != "" && isInternal(err) {
			t.Fatalf("%s: internal error: %v", sql, err)
		}
	})
}
