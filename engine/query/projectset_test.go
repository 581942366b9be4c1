package query_test

import "testing"

// The expected rows of these tests are PostgreSQL 15's for the same
// statements (with NULL printed as NULL).

func srfEnv(t *testing.T) *env {
	e := newEnv()
	e.batchRows = 2
	e.table(t, "srf", cols("id int", "n int", "tags text"),
		[]any{1, 2, "a,b,c"}, []any{2, 0, ""}, []any{3, nil, "x"}, []any{4, 1, nil})
	return e
}

// TestSelectListSRFLockstep: several set-returning functions of a select
// list advance together, the shorter padded with NULL; a row whose
// functions all return nothing disappears (ids 2 and 3 for
// generate_series alone).
func TestSelectListSRFLockstep(t *testing.T) {
	e := srfEnv(t)
	e.check(t, "SELECT id, generate_series(1, n), unnest(string_to_array(tags, ',')) FROM srf ORDER BY id, 2, 3", true,
		"1|1|a", "1|2|b", "1|NULL|c", "3|NULL|x", "4|1|NULL")
	e.check(t, "SELECT id, generate_series(1, n) FROM srf ORDER BY 1, 2", true, "1|1", "1|2", "4|1")
	// ORDER BY and LIMIT apply to the generated rows.
	e.check(t, "SELECT id, generate_series(1, n) + 10 AS g, n FROM srf WHERE id < 3 ORDER BY g DESC LIMIT 2", true,
		"1|12|2", "1|11|2")
	// Over aggregates: the functions run on the grouped rows.
	e.check(t, "SELECT n, count(*), generate_series(1, count(*)::int) FROM srf GROUP BY n ORDER BY 1, 3", true,
		"0|1|1", "1|1|1", "2|1|1", "NULL|1|1")
	e.check(t, "SELECT generate_subscripts('{a,b,c}'::text[], 1) AS s, unnest('{a,b,c}'::text[]) AS u", true,
		"1|a", "2|b", "3|c")
}

// TestSelectListSRFComposite: a function with several output columns is
// a composite value, and (f(x)).field selects one of them.
func TestSelectListSRFComposite(t *testing.T) {
	e := srfEnv(t)
	e.check(t, "SELECT (information_schema._pg_expandarray('{7,8}'::int[])).n, (information_schema._pg_expandarray('{7,8}'::int[])).x", true,
		"1|7", "2|8")
	e.check(t, "SELECT information_schema._pg_expandarray('{7,8}'::int[])", true, "(7,1)", "(8,2)")
	// A derived table's composite column keeps its fields.
	e.check(t, "SELECT (r.k).x, (r.k).n FROM (SELECT information_schema._pg_expandarray('{7,8}'::int[]) AS k) r WHERE (r.k).x = 8", true,
		"8|2")
	e.checkErr(t, "SELECT (information_schema._pg_expandarray('{7,8}'::int[])).z", "42703")
	e.checkErr(t, "SELECT (r.id).x FROM srf r", "42809")
}

// TestVectorArrays: int2vector and oidvector values (text such as
// '1 5', as pg_index.indkey carries them) are arrays whose subscripts
// start at 0.
func TestVectorArrays(t *testing.T) {
	e := srfEnv(t)
	e.check(t, "SELECT array_lower('1 5', 1), array_upper('1 5', 1), generate_subscripts('1 5', 1), unnest('1 5')", true,
		"0|1|0|1", "0|1|1|5")
	// An untyped element adapts to its context, as a smallint would.
	e.check(t, "SELECT k.a FROM (SELECT unnest('3 4') AS a) k WHERE k.a = 4::int2", true, "4")
}

// TestSelectListSRFPlacement: where PostgreSQL rejects a set-returning
// function, so does Tocsin.
func TestSelectListSRFPlacement(t *testing.T) {
	e := srfEnv(t)
	for _, sql := range []string{
		"SELECT id FROM srf WHERE unnest('{1}') = '1'",
		"SELECT count(unnest('{1}')) FROM srf",
		"SELECT CASE WHEN true THEN unnest('{1}') END",
		"SELECT sum(unnest('{1}')::int) OVER () FROM srf",
	} {
		e.checkErr(t, sql, "0A000")
	}
}

// TestScalarFunctionInFrom: a scalar function as a FROM item is one row
// (Grafana's table listing indexes the search path this way).
func TestScalarFunctionInFrom(t *testing.T) {
	e := srfEnv(t)
	e.check(t, "SELECT i, s[i], trim(s[i]) FROM generate_series(1, 2) AS i, string_to_array('a, b', ',') s ORDER BY i", true,
		"1|a|a", "2| b|b")
	e.check(t, "SELECT s FROM upper('x') AS s", true, "X")
}
