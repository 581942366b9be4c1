package engine_test

import (
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// TestViewRejectsUnsupported: a query that cannot be maintained
// incrementally is refused at CREATE time with 0A000 and a message that
// names the construct, never run with other semantics.
func TestViewRejectsUnsupported(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"req": memory.NewLog(1)})
	defer te.Close()
	te.exec(t, `CREATE SOURCE req (ts TIMESTAMP, service VARCHAR, latency_ms DOUBLE PRECISION,
		WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'memory', topic = 'req') FORMAT JSON`)
	te.exec(t, `CREATE TABLE t (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION)`)
	for q, want := range map[string]string{
		`SELECT service FROM req WHERE service IN (SELECT service FROM t)`:                                     "subqueries",
		`SELECT service, (SELECT max_ms FROM t WHERE t.service = req.service) FROM req`:                        "subqueries",
		`SELECT service FROM req UNION ALL SELECT service FROM req`:                                            "UNION ALL",
		`SELECT service FROM req EXCEPT SELECT service FROM t`:                                                 "EXCEPT",
		`WITH x AS (SELECT service FROM req) SELECT * FROM x`:                                                  "WITH",
		`SELECT service, row_number() OVER (ORDER BY ts) FROM req`:                                             "row_number",
		`SELECT service, lead(latency_ms) OVER (ORDER BY ts) FROM req`:                                         "lead",
		`SELECT service, avg(latency_ms) OVER (ORDER BY service) FROM req`:                                     "event time",
		`SELECT service, avg(latency_ms) OVER (ORDER BY ts DESC) FROM req`:                                     "event time",
		`SELECT service, avg(latency_ms) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM req`: "window frame",
		`SELECT service FROM req ORDER BY ts LIMIT 3`:                                                          "ORDER BY",
		`SELECT r.service FROM req r FULL JOIN t ON r.service = t.service`:                                     "FULL JOIN",
	} {
		_, err := te.execErr("CREATE MATERIALIZED VIEW bad AS "+q, "")
		if sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant 0A000 naming %q", q, err, want)
		}
	}
}
