package query_test

import "testing"

// TestEmptyInputs runs every operator over empty relations.
func TestEmptyInputs(t *testing.T) {
	e := newEnv()
	e.table(t, "z", cols("k int", "v double precision", "s text"))
	e.table(t, "one", cols("k int"), []any{1})
	for _, q := range []string{
		"SELECT k, row_number() OVER (PARTITION BY k ORDER BY v), sum(v) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING), min(s) OVER (), ntile(2) OVER (), lag(s) OVER (), nth_value(v, 2) OVER () FROM z",
		"SELECT * FROM z JOIN one USING (k)",
		"SELECT * FROM z FULL JOIN one ON z.k < one.k WHERE one.k IS NULL",
		"SELECT k FROM z UNION SELECT k FROM z",
		"SELECT k FROM z INTERSECT ALL SELECT k FROM one",
		"SELECT (SELECT max(v) FROM z WHERE z.k = one.k) FROM one WHERE k IN (SELECT k FROM z)",
		"WITH unused AS (SELECT 1/(k-1) FROM one) SELECT k FROM z",
	} {
		got, err := e.query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(got) != 0 {
			t.Fatalf("%s: got %v, want no rows", q, got)
		}
	}
	e.check(t, "SELECT k, z.k FROM one LEFT JOIN z USING (k)", true, "1|NULL")
	e.check(t, "SELECT k FROM one EXCEPT SELECT k FROM z", true, "1")
	e.check(t, "SELECT (SELECT v FROM z), EXISTS (SELECT 1 FROM z), 1 = ALL (SELECT k FROM z) FROM one", true, "NULL|f|t")
}
