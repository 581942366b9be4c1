package query_test

import (
	"testing"
)

// joinEnv has two small relations with duplicate and NULL keys.
func joinEnv() *env {
	e := newEnv()
	e.batchRows = 2
	return e
}

func loadJoinTables(t *testing.T, e *env) {
	e.table(t, "l", cols("k int", "a text"),
		[]any{1, "l1"}, []any{2, "l2"}, []any{2, "l2b"}, []any{nil, "lnull"}, []any{4, "l4"})
	e.table(t, "r", cols("k bigint", "b text"),
		[]any{2, "r2"}, []any{3, "r3"}, []any{nil, "rnull"}, []any{2, "r2b"}, []any{1, "r1"})
}

func TestJoinKinds(t *testing.T) {
	e := joinEnv()
	loadJoinTables(t, e)
	e.check(t, "SELECT l.a, r.b FROM l JOIN r ON l.k = r.k", false,
		"l1|r1", "l2|r2", "l2|r2b", "l2b|r2", "l2b|r2b")
	e.check(t, "SELECT l.a, r.b FROM l LEFT JOIN r ON l.k = r.k", false,
		"l1|r1", "l2|r2", "l2|r2b", "l2b|r2", "l2b|r2b", "lnull|NULL", "l4|NULL")
	e.check(t, "SELECT l.a, r.b FROM l RIGHT JOIN r ON l.k = r.k", false,
		"l1|r1", "l2|r2", "l2|r2b", "l2b|r2", "l2b|r2b", "NULL|r3", "NULL|rnull")
	e.check(t, "SELECT l.a, r.b FROM l FULL JOIN r ON l.k = r.k", false,
		"l1|r1", "l2|r2", "l2|r2b", "l2b|r2", "l2b|r2b", "lnull|NULL", "l4|NULL", "NULL|r3", "NULL|rnull")
	// A residual condition decides matching; unmatched rows are padded.
	e.check(t, "SELECT l.a, r.b FROM l LEFT JOIN r ON l.k = r.k AND r.b <> 'r2'", false,
		"l1|r1", "l2|r2b", "l2b|r2b", "lnull|NULL", "l4|NULL")
	e.check(t, "SELECT l.a, r.b FROM l FULL JOIN r ON l.k = r.k AND l.a = 'l2'", false,
		"l2|r2", "l2|r2b", "l1|NULL", "l2b|NULL", "lnull|NULL", "l4|NULL", "NULL|r1", "NULL|r3", "NULL|rnull")
	// No equi-key: nested loops.
	e.check(t, "SELECT l.a, r.b FROM l JOIN r ON l.k < r.k AND r.k < 3", false,
		"l1|r2", "l1|r2b")
	e.check(t, "SELECT count(*) FROM l CROSS JOIN r", true, "25")
	e.check(t, "SELECT count(*) FROM l, r WHERE l.k = r.k", true, "5")
	e.check(t, "SELECT l.a FROM l LEFT JOIN r ON false", false, "l1", "l2", "l2b", "lnull", "l4")
	e.check(t, "SELECT l.a, r.b FROM l RIGHT JOIN r ON true WHERE l.k = 4", false, "l4|r2", "l4|r3", "l4|rnull", "l4|r2b", "l4|r1")
	// WHERE over an outer join filters after padding.
	e.check(t, "SELECT l.a FROM l LEFT JOIN r ON l.k = r.k WHERE r.k IS NULL", false, "lnull", "l4")
}

func TestJoinUsingNatural(t *testing.T) {
	e := joinEnv()
	loadJoinTables(t, e)
	e.check(t, "SELECT * FROM l JOIN r USING (k) ORDER BY k, a, b", true,
		"1|l1|r1", "2|l2|r2", "2|l2|r2b", "2|l2b|r2", "2|l2b|r2b")
	e.check(t, "SELECT k, l.k, r.k FROM l FULL JOIN r USING (k) WHERE l.k IS NULL OR r.k IS NULL", false,
		"NULL|NULL|NULL", "4|4|NULL", "3|NULL|3", "NULL|NULL|NULL")
	e.check(t, "SELECT k FROM l RIGHT JOIN r USING (k)", false, "1", "2", "2", "2", "2", "3", "NULL")
	e.check(t, "SELECT * FROM l NATURAL JOIN r WHERE k = 1", true, "1|l1|r1")
	e.check(t, "SELECT l.* FROM l NATURAL JOIN r WHERE a = 'l1'", true, "1|l1")
	e.check(t, "SELECT k, count(*), max(b) FROM l JOIN r USING (k) GROUP BY k ORDER BY k", true, "1|1|r1", "2|4|r2b")
	e.check(t, "SELECT coalesce(l.k, r.k), count(*) FROM l FULL JOIN r USING (k) GROUP BY 1 ORDER BY 1", true,
		"1|1", "2|4", "3|1", "4|1", "NULL|2")
	e.table(t, "s", cols("x int"), []any{7})
	// No common column: a cross join.
	e.check(t, "SELECT count(*) FROM l NATURAL JOIN s", true, "5")
}

func TestJoinErrors(t *testing.T) {
	e := joinEnv()
	loadJoinTables(t, e)
	e.checkErr(t, "SELECT k FROM l, r", "42702")
	e.checkErr(t, "SELECT * FROM l JOIN r USING (a)", "42703")
	e.checkErr(t, "SELECT * FROM l JOIN l ON true", "42712")
	e.checkErr(t, "SELECT * FROM l JOIN r ON l.k", "42804")
	e.checkErr(t, "SELECT * FROM l JOIN r ON count(*) > 0", "42803")
	e.checkErr(t, "SELECT x.a FROM l", "42P01")
}

func TestSelfJoinAndDerived(t *testing.T) {
	e := newEnv()
	e.table(t, "emp", cols("id int", "name text", "mgr int", "salary double precision"),
		[]any{1, "ann", nil, 100.0}, []any{2, "bob", 1, 80.0}, []any{3, "cid", 1, 90.0}, []any{4, "dan", 2, 50.0})
	e.check(t, "SELECT e.name, m.name FROM emp e LEFT JOIN emp m ON e.mgr = m.id ORDER BY e.id", true,
		"ann|NULL", "bob|ann", "cid|ann", "dan|bob")
	e.check(t, `SELECT s.mgr, s.total FROM (SELECT mgr, sum(salary) AS total FROM emp GROUP BY mgr) s
		WHERE s.mgr IS NOT NULL ORDER BY 1`, true, "1|170", "2|50")
	e.check(t, "SELECT v.column1, v.column2 FROM (VALUES (1, 'x'), (2, NULL)) v ORDER BY 1", true, "1|x", "2|NULL")
	e.check(t, "SELECT * FROM (SELECT 1 AS a) x JOIN (SELECT 1 AS a) y USING (a)", true, "1")
}
