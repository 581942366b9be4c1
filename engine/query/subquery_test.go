package query_test

import (
	"testing"
)

func subqueryEnv(t *testing.T) *env {
	e := newEnv()
	e.batchRows = 2
	e.table(t, "emp", cols("id int", "name text", "dept int", "salary double precision", "mgr int"),
		[]any{1, "ann", 10, 100.0, nil}, []any{2, "bob", 10, 80.0, 1}, []any{3, "cid", 20, 90.0, 1},
		[]any{4, "dan", 20, 50.0, 2}, []any{5, "eve", nil, 70.0, 9})
	e.table(t, "dept", cols("id bigint", "dname text"),
		[]any{10, "eng"}, []any{20, "ops"}, []any{30, "hr"})
	e.table(t, "nums", cols("x int"), []any{1}, []any{2}, []any{nil})
	e.table(t, "empty", cols("x int"))
	return e
}

func TestInSubquery(t *testing.T) {
	e := subqueryEnv(t)
	e.check(t, "SELECT name FROM emp WHERE dept IN (SELECT id FROM dept WHERE dname <> 'ops')", false, "ann", "bob")
	e.check(t, "SELECT name FROM emp WHERE dept NOT IN (SELECT id FROM dept WHERE dname = 'ops')", false, "ann", "bob")
	// NOT IN over a set with a NULL is never true; IN yields NULL for
	// misses.
	e.check(t, "SELECT x, x IN (SELECT x FROM nums WHERE x = 1 OR x IS NULL), x NOT IN (SELECT x FROM nums WHERE x = 1 OR x IS NULL) FROM nums ORDER BY x", true,
		"1|t|f", "2|NULL|NULL", "NULL|NULL|NULL")
	e.check(t, "SELECT x, x IN (SELECT x FROM empty), x NOT IN (SELECT x FROM empty) FROM nums ORDER BY x", true,
		"1|f|t", "2|f|t", "NULL|f|t")
	e.check(t, "SELECT count(*) FROM emp WHERE id NOT IN (SELECT mgr FROM emp)", true, "0")
	e.check(t, "SELECT count(*) FROM emp WHERE id NOT IN (SELECT mgr FROM emp WHERE mgr IS NOT NULL)", true, "3")
	// Cross-type: integer IN bigint subquery, text literal IN.
	e.check(t, "SELECT 'ops' IN (SELECT dname FROM dept), 3 IN (SELECT id FROM dept)", true, "t|f")
}

func TestQuantifiedSubquery(t *testing.T) {
	e := subqueryEnv(t)
	e.check(t, "SELECT name FROM emp WHERE salary > ALL (SELECT salary FROM emp WHERE dept = 20)", false, "ann")
	e.check(t, "SELECT name FROM emp WHERE salary < ANY (SELECT salary FROM emp WHERE dept = 20)", false, "bob", "dan", "eve")
	e.check(t, "SELECT x, x > ALL (SELECT x FROM nums), x >= ANY (SELECT x FROM nums), x < ALL (SELECT x FROM empty) FROM nums ORDER BY x", true,
		"1|f|t|t", "2|f|t|t", "NULL|NULL|NULL|t")
	e.check(t, "SELECT x, x > ALL (SELECT x FROM nums WHERE x < 2 OR x IS NULL) FROM nums ORDER BY x", true,
		"1|f", "2|NULL", "NULL|NULL")
	e.check(t, "SELECT x = ANY (SELECT x FROM nums WHERE x = 2), x <> ALL (SELECT x FROM nums WHERE x = 2) FROM nums ORDER BY x", true,
		"f|t", "t|f", "NULL|NULL")
}

func TestExistsAndScalar(t *testing.T) {
	e := subqueryEnv(t)
	// Correlated EXISTS: employees who manage someone.
	e.check(t, "SELECT name FROM emp e WHERE EXISTS (SELECT 1 FROM emp r WHERE r.mgr = e.id)", false, "ann", "bob")
	e.check(t, "SELECT name FROM emp e WHERE NOT EXISTS (SELECT 1 FROM emp r WHERE r.mgr = e.id)", false, "cid", "dan", "eve")
	// Correlated scalar subqueries in the select list and WHERE.
	e.check(t, "SELECT name, (SELECT dname FROM dept d WHERE d.id = e.dept) FROM emp e ORDER BY id", true,
		"ann|eng", "bob|eng", "cid|ops", "dan|ops", "eve|NULL")
	e.check(t, "SELECT name FROM emp e WHERE salary > (SELECT avg(salary) FROM emp x WHERE x.dept = e.dept)", false, "ann", "cid")
	e.check(t, "SELECT (SELECT max(salary) FROM emp), (SELECT x FROM empty)", true, "100|NULL")
	e.checkErr(t, "SELECT (SELECT x FROM nums)", "21000")
	e.checkErr(t, "SELECT (SELECT id, name FROM emp)", "42601")
	e.checkErr(t, "SELECT 1 IN (SELECT id, name FROM emp)", "42601")
	// A correlated subquery inside a grouped query reads group keys.
	e.check(t, "SELECT dept, (SELECT dname FROM dept WHERE id = emp.dept), count(*) FROM emp GROUP BY dept ORDER BY dept", true,
		"10|eng|2", "20|ops|2", "NULL|NULL|1")
	e.checkErr(t, "SELECT dept, (SELECT name) FROM emp GROUP BY dept", "42803")
	// Two levels of correlation.
	e.check(t, `SELECT d.dname FROM dept d WHERE EXISTS (
		SELECT 1 FROM emp e WHERE e.dept = d.id AND EXISTS (
			SELECT 1 FROM emp m WHERE m.id = e.mgr AND m.dept = d.id AND m.salary > 95))`, false, "eng")
	// A correlated subquery in FROM's derived table.
	e.check(t, `SELECT d.dname FROM dept d WHERE (SELECT count(*) FROM (SELECT * FROM emp e WHERE e.dept = d.id) s) = 0`, false, "hr")
	// In a join condition and in HAVING.
	e.check(t, `SELECT e.name, d.dname FROM emp e JOIN dept d ON d.id = e.dept AND e.salary >= (SELECT min(salary) FROM emp WHERE dept = d.id) + 30`, false,
		"cid|ops")
	e.check(t, `SELECT dept FROM emp GROUP BY dept HAVING sum(salary) > (SELECT salary FROM emp WHERE id = 1)`, false, "10", "20")
}

func TestCTEs(t *testing.T) {
	e := subqueryEnv(t)
	e.check(t, `WITH d AS (SELECT dept, sum(salary) AS total FROM emp WHERE dept IS NOT NULL GROUP BY dept)
		SELECT a.dept, b.dept FROM d a JOIN d b ON a.total > b.total`, false, "10|20")
	e.check(t, `WITH a(v) AS (SELECT x FROM nums), b AS (SELECT v * 10 AS w FROM a)
		SELECT w FROM b WHERE w IS NOT NULL ORDER BY w`, true, "10", "20")
	// A CTE seen from a subquery, and a CTE that shadows a table.
	e.check(t, `WITH emp AS (SELECT 1 AS id) SELECT (SELECT count(*) FROM emp), id FROM emp`, true, "1|1")
	e.check(t, `WITH top AS (SELECT max(salary) AS m FROM emp) SELECT name FROM emp WHERE salary = (SELECT m FROM top)`, true, "ann")
	e.checkErr(t, "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a", "42712")
	e.checkErr(t, "WITH a(x, y) AS (SELECT 1) SELECT * FROM a", "42P10")
	e.checkErr(t, "WITH RECURSIVE a AS (SELECT 1) SELECT * FROM a", "0A000")
}

func TestSetOps(t *testing.T) {
	e := newEnv()
	e.batchRows = 2
	e.table(t, "a", cols("x int", "y text"),
		[]any{1, "p"}, []any{1, "p"}, []any{2, "q"}, []any{nil, nil}, []any{nil, nil}, []any{3, "r"})
	e.table(t, "b", cols("x bigint", "y text"),
		[]any{1, "p"}, []any{nil, nil}, []any{4, "s"}, []any{2, "q"}, []any{2, "q"})
	e.check(t, "SELECT * FROM a UNION SELECT * FROM b", false, "1|p", "2|q", "NULL|NULL", "3|r", "4|s")
	e.check(t, "SELECT x FROM a UNION ALL SELECT x FROM b", false, "1", "1", "2", "NULL", "NULL", "3", "1", "NULL", "4", "2", "2")
	e.check(t, "SELECT * FROM a INTERSECT SELECT * FROM b", false, "1|p", "2|q", "NULL|NULL")
	e.check(t, "SELECT * FROM a INTERSECT ALL SELECT * FROM b", false, "1|p", "2|q", "NULL|NULL")
	e.check(t, "SELECT * FROM a EXCEPT SELECT * FROM b", false, "3|r")
	e.check(t, "SELECT * FROM a EXCEPT ALL SELECT * FROM b", false, "1|p", "NULL|NULL", "3|r")
	e.check(t, "SELECT * FROM b EXCEPT ALL SELECT * FROM a", false, "4|s", "2|q")
	e.check(t, "SELECT x FROM a UNION SELECT x FROM b ORDER BY x DESC LIMIT 3", true, "NULL", "4", "3")
	e.check(t, "SELECT x AS v FROM a UNION SELECT 10 ORDER BY v LIMIT 2 OFFSET 1", true, "2", "3")
	e.check(t, "SELECT 1 UNION SELECT 2 INTERSECT SELECT 2", false, "1", "2")
	e.check(t, "SELECT 'a' UNION SELECT 'b' UNION SELECT 'a'", false, "a", "b")
	e.check(t, "SELECT 1.5 UNION ALL SELECT 2", false, "1.5", "2")
	e.check(t, "(SELECT x FROM a WHERE x IS NOT NULL ORDER BY x DESC LIMIT 1) UNION ALL (SELECT x FROM b ORDER BY x LIMIT 1)", false, "3", "1")
	e.check(t, "SELECT NULL UNION SELECT 1", false, "NULL", "1")
	e.checkErr(t, "SELECT 1 UNION SELECT 1, 2", "42601")
	e.checkErr(t, "SELECT 1 UNION SELECT 'x'::text", "42804")
	e.checkErr(t, "SELECT x FROM a UNION SELECT x FROM b ORDER BY x + 1", "0A000")
}
