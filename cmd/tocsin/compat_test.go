package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// capturedQuery is one statement of testdata/compat/captured_queries.json:
// a catalog or session query that a real client (psql 15, psycopg2,
// SQLAlchemy, pgJDBC, pgcli, Grafana, Metabase, pgx) sent to PostgreSQL
// 15. The capture database's objects are replaced by this test's:
// "{{oid name}}" stands for the oid of relation name, and the plain view
// v_alerts is requests_errors (Tocsin has no plain views).
type capturedQuery struct {
	Client  string `json:"client"`
	Context string `json:"context"`
	SQL     string `json:"sql"`
	Args    []any  `json:"args"`
	// KnownFailure says why Tocsin cannot run the statement yet. The
	// test fails if such a statement starts to pass (drop the field), and
	// under TOCSIN_COMPAT_STRICT=1 (make compat) if it still fails.
	KnownFailure string `json:"known_failure"`
}

// compatSetup creates the objects the captured queries name: a source,
// a table, a materialized view over the source and a sink over the view.
const compatSetup = `CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, host VARCHAR, latency_ms DOUBLE PRECISION, status INT,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector='kafka', topic='requests', properties.bootstrap.server='%[1]s', scan.startup.mode='earliest') FORMAT PLAIN ENCODE JSON;
CREATE TABLE alerts (id INT PRIMARY KEY, host TEXT NOT NULL, ts TIMESTAMPTZ, v DOUBLE PRECISION);
INSERT INTO alerts VALUES (1, 'h1', '2026-01-01 00:00:00+00', 1.5), (2, 'h2', '2026-01-01 00:01:00+00', 2.5);
CREATE MATERIALIZED VIEW mv_alerts AS SELECT service, count(*) AS n, max(latency_ms) AS max_ms FROM requests GROUP BY service;
CREATE SINK alerts_out FROM mv_alerts WITH (connector = 'kafka', topic = 'alerts_out', properties.bootstrap.server = '%[1]s')`

// TestClientCapturedQueries runs every captured client statement against
// a server holding a source, a table, a materialized view and a sink:
// each must execute without error. Statements the client sent over the
// extended protocol go through pgx's prepared path with the arguments
// the capture file gives (an array argument as its text literal: Tocsin
// carries catalog arrays as text); the others go through the simple
// protocol. Each statement's outcome is logged as "PASS captured N" or
// "FAIL captured N" for make compat.
func TestClientCapturedQueries(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "compat", "captured_queries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var queries []capturedQuery
	if err := json.Unmarshal(raw, &queries); err != nil {
		t.Fatal(err)
	}
	env := newEnv(t)
	ctx := env.ctx
	if err := kafka.CreateTopic(ctx, []string{env.broker.Addr()}, "requests", 1); err != nil {
		t.Fatal(err)
	}
	simple := env.connect(t)
	for _, st := range strings.Split(fmt.Sprintf(compatSetup, env.broker.Addr()), ";\n") {
		if _, err := simple.Exec(ctx, st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable", env.srv.pgAddr))
	if err != nil {
		t.Fatal(err)
	}
	extended, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = extended.Close(ctx) })

	strict := os.Getenv("TOCSIN_COMPAT_STRICT") != ""
	oidRef := regexp.MustCompile(`\{\{oid (\w+)\}\}`)
	oids := map[string]string{}
	for _, rel := range []string{"alerts", "requests_errors", "mv_alerts"} {
		var oid uint32
		if err := simple.QueryRow(ctx, `SELECT oid FROM pg_class WHERE relname = $1`, rel).Scan(&oid); err != nil {
			t.Fatalf("oid of %s: %v", rel, err)
		}
		oids[rel] = fmt.Sprint(oid)
	}
	for i, q := range queries {
		sql := oidRef.ReplaceAllStringFunc(q.SQL, func(m string) string { return oids[oidRef.FindStringSubmatch(m)[1]] })
		conn := simple
		if strings.Contains(q.Context, "extended") {
			conn = extended
		}
		rows, err := conn.Query(ctx, sql, q.Args...)
		if err == nil {
			for rows.Next() {
			}
			rows.Close()
			err = rows.Err()
		}
		switch {
		case err == nil && q.KnownFailure != "":
			t.Errorf("statement %d (%s, %s) now runs: drop its known_failure", i, q.Client, q.Context)
		case err == nil:
			t.Logf("PASS captured %d (%s, %s)", i, q.Client, q.Context)
		case q.KnownFailure != "" && !strict:
			t.Logf("FAIL captured %d (%s, %s), known: %s", i, q.Client, q.Context, q.KnownFailure)
		default:
			t.Errorf("FAIL captured %d (%s, %s): %v\n%s", i, q.Client, q.Context, err, sql)
		}
	}
}
