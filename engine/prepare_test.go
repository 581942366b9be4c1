package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors/memory"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// render prints a result's columns, rows (in order) and tags.
func (r *result) render() string {
	var b strings.Builder
	for _, c := range r.cols {
		fmt.Fprintf(&b, "%s %s|", c.Name, c.Type)
	}
	for _, row := range r.rows {
		b.WriteString("\n")
		for _, d := range row {
			b.WriteString(d.String() + "|")
		}
	}
	fmt.Fprintf(&b, "\n%v", r.tags)
	return b.String()
}

// prepare prepares sql on the test session, failing the test on error.
func (te *testEngine) prepare(t testing.TB, sql string, declared ...types.Type) *engine.Prepared {
	t.Helper()
	p, err := te.sess.Prepare(context.Background(), sql, declared)
	if err != nil {
		t.Fatalf("prepare %s: %v", sql, err)
	}
	return p
}

// run executes p with params, failing the test on error.
func run(t testing.TB, p *engine.Prepared, params ...types.Datum) *result {
	t.Helper()
	r := &result{}
	if err := p.Execute(context.Background(), params, r); err != nil {
		t.Fatalf("execute: %v", err)
	}
	return r
}

func typeList(ts []types.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

func columnList(cols []engine.Column) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = c.Name + " " + c.Type.String()
	}
	return strings.Join(s, ", ")
}

func txt(s string) types.Datum { return types.StringDatum(types.TextType, s) }

// TestPrepareTable prepares INSERT, UPDATE, DELETE and SELECT over a
// table, checks the inferred parameter types and described columns, and
// compares every execution with the same statement written with
// literals over the simple protocol.
func TestPrepareTable(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1)
	defer te.Close()
	te.exec(t, `CREATE TABLE thresholds (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION, owner TEXT, since TIMESTAMPTZ)`)

	ins := te.prepare(t, `INSERT INTO thresholds VALUES ($1, $2, $3, $4)`)
	if got, want := typeList(ins.ParamTypes()), "character varying, double precision, text, timestamp with time zone"; got != want {
		t.Fatalf("insert params: %s, want %s", got, want)
	}
	if ins.Columns() != nil {
		t.Fatalf("insert has columns %v", ins.Columns())
	}
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMicro()
	for i, row := range [][]types.Datum{
		{types.StringDatum(types.VarcharType, "svc-01"), types.FloatDatum(types.Float64Type, 250), txt("ana"), types.IntDatum(types.TimestampTZType, since)},
		{types.StringDatum(types.VarcharType, "svc-02"), types.FloatDatum(types.Float64Type, 400.5), types.NullDatum(types.UnknownType), types.NullDatum(types.TimestampTZType)},
		// A value of another type is converted as by a cast.
		{txt("svc-03"), types.IntDatum(types.Int32Type, 99), txt("bo"), types.IntDatum(types.TimestampTZType, since+1)},
	} {
		if r := run(t, ins, row...); len(r.tags) != 1 || r.tags[0] != "INSERT 0 1" {
			t.Fatalf("insert %d: tags %v", i, r.tags)
		}
	}
	// A constraint error is the same as over the simple protocol.
	r := &result{}
	err := ins.Execute(context.Background(), []types.Datum{txt("svc-01"), types.FloatDatum(types.Float64Type, 1), txt("x"), types.NullDatum(types.TimestampTZType)}, r)
	if sqlerr.CodeOf(err) != sqlerr.UniqueViolation {
		t.Fatalf("duplicate insert: %v", err)
	}

	upd := te.prepare(t, `UPDATE thresholds SET max_ms = max_ms * $1 WHERE service <> $2`)
	if got := typeList(upd.ParamTypes()); got != "double precision, text" {
		t.Fatalf("update params: %s", got)
	}
	if r := run(t, upd, types.FloatDatum(types.Float64Type, 2), txt("svc-03")); r.tags[0] != "UPDATE 2" {
		t.Fatalf("update tag %v", r.tags)
	}

	sel := te.prepare(t, `SELECT service, max_ms, owner, since FROM thresholds WHERE max_ms > $1 AND owner IS NOT NULL ORDER BY service LIMIT $2`)
	if got := typeList(sel.ParamTypes()); got != "double precision, bigint" {
		t.Fatalf("select params: %s", got)
	}
	if got, want := columnList(sel.Columns()), "service character varying, max_ms double precision, owner text, since timestamp with time zone"; got != want {
		t.Fatalf("select columns: %s, want %s", got, want)
	}
	for _, c := range []struct {
		min   float64
		limit int64
	}{{0, 10}, {100, 10}, {0, 1}, {1000, 5}} {
		got := run(t, sel, types.FloatDatum(types.Float64Type, c.min), types.IntDatum(types.Int64Type, c.limit)).render()
		want := te.exec(t, fmt.Sprintf(`SELECT service, max_ms, owner, since FROM thresholds WHERE max_ms > %g AND owner IS NOT NULL ORDER BY service LIMIT %d`, c.min, c.limit)).render()
		if got != want {
			t.Fatalf("min %g limit %d: prepared\n%s\nsimple\n%s", c.min, c.limit, got, want)
		}
	}
	// A NULL parameter is a typed NULL: nothing compares equal to it.
	if r := run(t, sel, types.NullDatum(types.UnknownType), types.IntDatum(types.Int64Type, 10)); len(r.rows) != 0 || r.tags[0] != "SELECT 0" {
		t.Fatalf("NULL parameter: %s", r.render())
	}
	// An untyped parameter is text, in the parameters and the columns.
	echo := te.prepare(t, `SELECT $1 AS v, $1 || '!' AS w`)
	if got := typeList(echo.ParamTypes()) + " / " + columnList(echo.Columns()); got != "text / v text, w text" {
		t.Fatalf("echo: %s", got)
	}
	if got := run(t, echo, txt("hi")).render(); got != "v text|w text|\nhi|hi!|\n[SELECT 1]" {
		t.Fatalf("echo: %s", got)
	}

	del := te.prepare(t, `DELETE FROM thresholds WHERE owner LIKE $1`)
	if r := run(t, del, txt("a%")); r.tags[0] != "DELETE 1" {
		t.Fatalf("delete tag %v", r.tags)
	}
	if got, want := te.rows(t, "SELECT service, max_ms, owner FROM thresholds"), "svc-02|801|NULL\nsvc-03|99|bo"; got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
}

// TestPrepareView runs a prepared query over a materialized view and
// compares it with the simple protocol.
func TestPrepareView(t *testing.T) {
	log := memory.NewLog(1)
	te := openEngine(t, t.TempDir(), -1, map[string]*memory.Log{"ev": log})
	defer te.Close()
	te.exec(t, `CREATE SOURCE ev (ts TIMESTAMP, k VARCHAR, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
		WITH (connector = 'memory', topic = 'ev') FORMAT JSON`)
	te.exec(t, `CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS s FROM ev GROUP BY k`)
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := 0; i < 40; i++ {
		log.Append(0, fmt.Appendf(nil, `{"ts":%d,"k":"k%d","v":%d}`, base+int64(i)*1000, i%4, i))
	}
	waitFor(t, 10*time.Second, "view caught up", func() string {
		if got := te.rows(t, "SELECT sum(n) FROM per_key"); got != "40" {
			return "rows: " + got
		}
		return ""
	})
	p := te.prepare(t, `SELECT k, n, s FROM per_key WHERE k = $1 OR s > $2 ORDER BY k`)
	if got := typeList(p.ParamTypes()); got != "text, bigint" {
		t.Fatalf("params: %s", got)
	}
	if got := columnList(p.Columns()); got != "k character varying, n bigint, s bigint" {
		t.Fatalf("columns: %s", got)
	}
	for _, c := range []struct {
		k string
		s int64
	}{{"k1", 1000}, {"k0", 195}, {"none", 0}, {"none", 1000}} {
		got := run(t, p, txt(c.k), types.IntDatum(types.Int64Type, c.s)).render()
		want := te.exec(t, fmt.Sprintf(`SELECT k, n, s FROM per_key WHERE k = '%s' OR s > %d ORDER BY k`, c.k, c.s)).render()
		if got != want {
			t.Fatalf("%+v: prepared\n%s\nsimple\n%s", c, got, want)
		}
	}
}

// TestPrepareStatements covers statements other than queries and DML,
// and the errors of Prepare and Execute.
func TestPrepareStatements(t *testing.T) {
	te := openEngine(t, t.TempDir(), -1)
	defer te.Close()
	ctx := context.Background()
	mustFail := func(sql string, code sqlerr.Code) {
		t.Helper()
		if _, err := te.sess.Prepare(ctx, sql, nil); sqlerr.CodeOf(err) != code {
			t.Fatalf("%s: got %v, want %s", sql, err, code)
		}
	}

	// DDL: no columns, no parameters; it runs at Execute, not before.
	ddl := te.prepare(t, `CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT)`)
	if ddl.Columns() != nil || len(ddl.ParamTypes()) != 0 {
		t.Fatalf("ddl: %v %v", ddl.Columns(), ddl.ParamTypes())
	}
	if _, err := te.execErr("SELECT * FROM kv", ""); sqlerr.CodeOf(err) != sqlerr.UndefinedTable {
		t.Fatalf("table created by Prepare: %v", err)
	}
	if r := run(t, ddl); r.tags[0] != "CREATE TABLE" {
		t.Fatalf("ddl tag %v", r.tags)
	}
	// Declared parameter types are kept even where nothing reads them.
	begin, err := te.sess.Prepare(ctx, "BEGIN", []types.Type{types.Int32Type, {}})
	if err != nil || typeList(begin.ParamTypes()) != "integer, text" {
		t.Fatalf("declared types: %v %v", begin, err)
	}
	mustFail(`CREATE MATERIALIZED VIEW mv AS SELECT k FROM kv WHERE v > $1`, sqlerr.UndefinedParameter)
	mustFail(`SELECT 1; SELECT 2`, sqlerr.SyntaxError)
	mustFail(`SELECT * FROM nope WHERE x = $1`, sqlerr.UndefinedTable)
	mustFail(`SELECT $1 + `, sqlerr.SyntaxError)

	// SHOW and DESCRIBE describe their columns; Execute gives the same.
	for _, sql := range []string{"SHOW TABLES", "SHOW ALL", "SHOW timezone", "DESCRIBE kv"} {
		p := te.prepare(t, sql)
		if p.Columns() == nil {
			t.Fatalf("%s: no columns", sql)
		}
		got, want := run(t, p).render(), te.exec(t, sql).render()
		if got != want || columnList(p.Columns()) != columnList(te.exec(t, sql).cols) {
			t.Fatalf("%s: prepared\n%s\nsimple\n%s", sql, got, want)
		}
	}

	// An empty statement.
	empty := te.prepare(t, " ; ")
	if empty.Columns() != nil || len(empty.ParamTypes()) != 0 {
		t.Fatal("empty statement has a description")
	}
	if r := run(t, empty); len(r.tags) != 0 {
		t.Fatalf("empty: %v", r.tags)
	}

	// The wrong number of parameters fails the transaction block like
	// any other error; COMMIT then rolls back.
	p := te.prepare(t, `SELECT v FROM kv WHERE k = $1`)
	te.exec(t, "BEGIN")
	if err := p.Execute(ctx, nil, &result{}); sqlerr.CodeOf(err) != sqlerr.ProtocolViolation {
		t.Fatalf("no parameters: %v", err)
	}
	if te.sess.TxStatus() != 'E' {
		t.Fatalf("status %c after error", te.sess.TxStatus())
	}
	if err := p.Execute(ctx, []types.Datum{txt("a")}, &result{}); sqlerr.CodeOf(err) != sqlerr.InFailedSQLTransaction {
		t.Fatalf("in failed transaction: %v", err)
	}
	mustFail(`SELECT 1`, sqlerr.InFailedSQLTransaction)
	commit := te.prepare(t, "COMMIT")
	if r := run(t, commit); r.tags[0] != "ROLLBACK" || te.sess.TxStatus() != 'I' {
		t.Fatalf("commit: %v %c", r.tags, te.sess.TxStatus())
	}
	if err := p.Execute(ctx, []types.Datum{txt("a"), txt("b")}, &result{}); sqlerr.CodeOf(err) != sqlerr.ProtocolViolation {
		t.Fatalf("two parameters: %v", err)
	}

	// A canceled context cancels the statement.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Execute(canceled, []types.Datum{txt("a")}, &result{}); sqlerr.CodeOf(err) != sqlerr.QueryCanceled {
		t.Fatalf("canceled: %v", err)
	}

	// An untyped value is read as input for the parameter's type, and
	// fails if it does not parse.
	if err := p.Execute(ctx, []types.Datum{types.StringDatum(types.UnknownType, "x")}, &result{}); err != nil {
		t.Fatalf("text value: %v", err)
	}
	lim := te.prepare(t, `SELECT k FROM kv LIMIT $1`)
	if err := lim.Execute(ctx, []types.Datum{types.StringDatum(types.UnknownType, "many")}, &result{}); sqlerr.CodeOf(err) != sqlerr.InvalidTextRepresentation {
		t.Fatalf("bad limit: %v", err)
	}

	// The table changes type under a prepared statement.
	te.exec(t, "DROP TABLE kv")
	te.exec(t, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
	if err := p.Execute(ctx, []types.Datum{txt("a")}, &result{}); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("changed result type: %v", err)
	}
}

// BenchmarkPreparedExecute runs a point query over a table as a prepared
// statement (what pgx does for every cached query) and, for comparison,
// as simple-protocol text.
func BenchmarkPreparedExecute(b *testing.B) {
	te := openEngine(b, b.TempDir(), -1)
	defer te.Close()
	te.exec(b, `CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT)`)
	ins := te.prepare(b, `INSERT INTO kv VALUES ($1, $2)`)
	for i := 0; i < 100; i++ {
		run(b, ins, txt(fmt.Sprintf("k%03d", i)), types.IntDatum(types.Int64Type, int64(i)))
	}
	ctx := context.Background()
	b.Run("prepared", func(b *testing.B) {
		p := te.prepare(b, `SELECT v FROM kv WHERE k = $1 AND v > $2`)
		params := []types.Datum{txt("k042"), types.IntDatum(types.Int64Type, 0)}
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Execute(ctx, params, &result{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("simple", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := te.sess.Query(ctx, `SELECT v FROM kv WHERE k = 'k042' AND v > 0`, &result{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := te.sess.Prepare(ctx, `SELECT v FROM kv WHERE k = $1 AND v > $2`, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzPrepare prepares arbitrary SELECTs over a small table and runs
// them with NULL and sample parameter values: inference must never panic
// or report an internal error, and a statement that prepares must
// execute with the types it described.
func FuzzPrepare(f *testing.F) {
	for _, seed := range []string{
		`SELECT k, v FROM kv WHERE k = $1 AND v > $2`,
		`SELECT $1, $2 + 1, upper($3), $4::int8 FROM kv LIMIT $5 OFFSET $6`,
		`SELECT * FROM kv WHERE v IN ($1, $2) OR v BETWEEN $3 AND $4 OR k LIKE $5`,
		`SELECT CASE WHEN v > $1 THEN $2 ELSE k END, COALESCE($3, v) FROM kv`,
		`SELECT * FROM (VALUES ($1, $1::int)) t`,
		`SELECT k FROM kv WHERE v = (SELECT max(v) FROM kv WHERE k <> $1)`,
		`SELECT -$1, $1 || 'x'`,
		`SELECT sum(v) FILTER (WHERE v > $1) FROM kv GROUP BY k HAVING count(*) > $2`,
	} {
		f.Add(seed)
	}
	te := openEngine(f, f.TempDir(), -1)
	defer te.Close()
	te.exec(f, `CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT)`)
	te.exec(f, `INSERT INTO kv VALUES ('a', 1), ('b', 2)`)
	ctx := context.Background()
	internal := func(err error) bool { return err != nil && sqlerr.CodeOf(err) == sqlerr.Internal }
	f.Fuzz(func(t *testing.T, text string) {
		if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(text)), "SELECT") {
			return
		}
		p, err := te.sess.Prepare(ctx, text, nil)
		if internal(err) {
			t.Fatalf("prepare %q: %v", text, err)
		}
		if err != nil {
			return
		}
		nulls := make([]types.Datum, len(p.ParamTypes()))
		for i, pt := range p.ParamTypes() {
			nulls[i] = types.NullDatum(pt)
		}
		if err := p.Execute(ctx, nulls, &result{}); internal(err) || sqlerr.CodeOf(err) == sqlerr.FeatureNotSupported && strings.Contains(err.Error(), "cached plan") {
			t.Fatalf("execute %q with NULLs: %v", text, err)
		}
		if te.sess.TxStatus() != 'I' {
			t.Fatalf("status %c", te.sess.TxStatus())
		}
	})
}
