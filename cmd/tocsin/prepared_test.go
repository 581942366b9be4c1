package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPreparedStatements drives the extended query protocol with pgx in
// its default mode (statements prepared and cached, parameters sent
// typed as the server described them) against a real server: INSERT
// with parameters, queries whose parameter types are inferred, NULLs,
// SHOW, errors and transaction status. Every result is checked against
// the same statement over the simple protocol.
func TestPreparedStatements(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := startServer(ctx, serverFlags{dataDir: t.TempDir(), pgAddr: "127.0.0.1:0", idleTimeout: 30 * time.Second}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.close() }()
	connect := func(mode pgx.QueryExecMode) *pgx.Conn {
		cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://tocsin@%s/tocsin?sslmode=disable", srv.pgAddr))
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		return conn
	}
	conn := connect(pgx.QueryExecModeCacheStatement)
	simple := connect(pgx.QueryExecModeSimpleProtocol)
	code := func(err error) string {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code
		}
		return fmt.Sprintf("no SQLSTATE (%v)", err)
	}

	if _, err := simple.Exec(ctx, `CREATE TABLE thresholds (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION, owner TEXT, since TIMESTAMPTZ, tier INT)`); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_, err = conn.Exec(ctx, `INSERT INTO thresholds VALUES ($1, $2, $3, $4, $5)`, "svc-01", 250.0, "ana", since, 1)
	if err != nil && strings.Contains(err.Error(), "extended query protocol is not supported") {
		t.Skip("pgwire does not implement the extended query protocol yet (pgwire/extended.go is a stub)")
	}
	if err != nil {
		t.Fatalf("prepared INSERT: %v", err)
	}
	for i, args := range [][]any{
		{"svc-02", 400.5, nil, nil, 2},
		{"svc-03", 99, "bo", since.Add(time.Hour), nil},
		{"svc-04", 1500.25, "cy", since.Add(2 * time.Hour), 3},
	} {
		if tag, err := conn.Exec(ctx, `INSERT INTO thresholds VALUES ($1, $2, $3, $4, $5)`, args...); err != nil || tag.String() != "INSERT 0 1" {
			t.Fatalf("insert %d: %v %v", i, tag, err)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO thresholds VALUES ($1, $2, $3, $4, $5)`, "svc-01", 1.0, "x", nil, nil); code(err) != "23505" {
		t.Fatalf("duplicate key: %v", err)
	}
	if tag, err := conn.Exec(ctx, `UPDATE thresholds SET max_ms = max_ms * $1 WHERE service = $2`, 2, "svc-03"); err != nil || tag.String() != "UPDATE 1" {
		t.Fatalf("update: %v %v", tag, err)
	}

	// render reads every row of a query as text.
	render := func(c *pgx.Conn, sql string, args ...any) string {
		t.Helper()
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		var b strings.Builder
		for _, f := range rows.FieldDescriptions() {
			fmt.Fprintf(&b, "%s:%d ", f.Name, f.DataTypeOID)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			fmt.Fprintf(&b, "\n%v", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return b.String()
	}
	for _, c := range []struct {
		sql, literal string
		args         []any
	}{
		{`SELECT service, max_ms, owner, since, tier FROM thresholds WHERE max_ms > $1 ORDER BY service LIMIT $2`,
			`SELECT service, max_ms, owner, since, tier FROM thresholds WHERE max_ms > 200 ORDER BY service LIMIT 2`, []any{200, 2}},
		{`SELECT service FROM thresholds WHERE owner LIKE $1 OR tier IN ($2, $3) ORDER BY 1`,
			`SELECT service FROM thresholds WHERE owner LIKE 'a%' OR tier IN (3, 9) ORDER BY 1`, []any{"a%", 3, 9}},
		{`SELECT service FROM thresholds WHERE since BETWEEN $1 AND $2 ORDER BY 1`,
			`SELECT service FROM thresholds WHERE since BETWEEN '2026-03-01 12:30:00+00' AND '2026-03-01 14:00:00+00' ORDER BY 1`,
			[]any{since.Add(30 * time.Minute), since.Add(2 * time.Hour)}},
		{`SELECT count(*), sum(tier) FROM thresholds WHERE owner IS NOT NULL AND service <> $1`,
			`SELECT count(*), sum(tier) FROM thresholds WHERE owner IS NOT NULL AND service <> 'svc-01'`, []any{"svc-01"}},
		{`SELECT $1::int + 1, upper($2), CAST($3 AS double precision)`, `SELECT 41 + 1, upper('x'), CAST('2.5' AS double precision)`, []any{41, "x", 2.5}},
		{`SHOW timezone`, `SHOW timezone`, nil},
		{`SELECT service FROM thresholds WHERE tier = $1`, `SELECT service FROM thresholds WHERE tier = NULL`, []any{nil}},
	} {
		if got, want := render(conn, c.sql, c.args...), render(simple, c.literal); got != want {
			t.Errorf("%s %v:\nprepared %s\nsimple   %s", c.sql, c.args, got, want)
		}
	}

	// Errors reach the client with their SQLSTATE; the connection stays
	// usable.
	for _, c := range []struct{ sql, code string }{
		{"SELECT * FROM nope WHERE x = $1", "42P01"},
		{"SELECT 1; SELECT 2", "42601"},
		{"SELECT service, 10 / $1 FROM thresholds", "22012"},
	} {
		rows, err := conn.Query(ctx, c.sql, 0)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
		}
		if code(err) != c.code {
			t.Errorf("%s: got %v, want %s", c.sql, err, c.code)
		}
	}

	// A failed statement fails the transaction block.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM thresholds WHERE nope = $1", 1); code(err) != "42703" {
		t.Fatalf("delete: %v", err)
	}
	if conn.PgConn().TxStatus() != 'E' {
		t.Fatalf("status %c after a failed statement", conn.PgConn().TxStatus())
	}
	if _, err := tx.Exec(ctx, "DELETE FROM thresholds WHERE service = $1", "svc-01"); code(err) != "25P02" {
		t.Fatalf("in failed transaction: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM thresholds WHERE service <> $1", "none").Scan(&n); err != nil || n != 4 {
		t.Fatalf("after rollback: %d %v", n, err)
	}
}
