package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPsqlCatalogQueries executes every catalog query psql 15 sends for
// its meta-commands (testdata/psql15_echo_hidden*.txt, captured from
// psql -E) against an engine holding a table, a source and a view.
func TestPsqlCatalogQueries(t *testing.T) {
	te := openEngine(t, "", -1)
	defer te.Close()
	te.exec(t, "CREATE TABLE alerts (id INT PRIMARY KEY, host TEXT NOT NULL, ts TIMESTAMPTZ, v DOUBLE PRECISION)")
	files, err := filepath.Glob("testdata/psql15_echo_hidden*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured queries: %v", err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range strings.Split(string(b), "********* QUERY **********\n")[1:] {
			q, _, _ := strings.Cut(part, "**************************")
			if _, err := te.execErr(q, ""); err != nil {
				t.Errorf("%s: %v\n%s", f, err, q)
			}
			n++
		}
	}
	if n < 40 {
		t.Fatalf("only %d queries found", n)
	}
}

// TestPgCatalogContents checks the catalog rows that psql's listings are
// built from.
func TestPgCatalogContents(t *testing.T) {
	te := openEngine(t, "", -1)
	defer te.Close()
	te.exec(t, "CREATE TABLE alerts (id INT PRIMARY KEY, host TEXT NOT NULL)")
	rows := func(sql string) string {
		r := te.exec(t, sql)
		var lines []string
		for _, row := range r.rows {
			var f []string
			for _, d := range row {
				f = append(f, d.String())
			}
			lines = append(lines, strings.Join(f, "|"))
		}
		return strings.Join(lines, "\n")
	}
	for _, c := range []struct{ sql, want string }{
		{`SELECT relname, relkind, relnamespace FROM pg_catalog.pg_class WHERE relnamespace = 2200 ORDER BY 1`,
			"alerts|r|2200\ntocsin_alerts|v|2200\ntocsin_checkpoints|v|2200\ntocsin_jobs|v|2200\ntocsin_operators|v|2200\ntocsin_sink_channels|v|2200\ntocsin_sink_errors|v|2200\ntocsin_sinks|v|2200\ntocsin_sources|v|2200"},
		{`SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a
		  WHERE a.attrelid = 'alerts'::regclass ORDER BY a.attnum`, "id|integer|t\nhost|text|t"},
		{`SELECT 'alerts'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'alerts'), c.oid::regclass FROM pg_class c WHERE relname = 'pg_class'`, "t|pg_class"},
		{`SELECT nspname FROM pg_namespace ORDER BY oid`, "pg_catalog\npublic\ninformation_schema"},
		{`SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'alerts'`, "alerts|BASE TABLE"},
		{`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'alerts' ORDER BY ordinal_position`,
			"id|integer|NO\nhost|text|NO"},
		{`SELECT rolname, rolsuper FROM pg_roles ORDER BY 1`, "test|t\ntocsin|t"},
		{`SELECT datname, pg_encoding_to_char(encoding) FROM pg_database`, "tocsin|UTF8"},
		{`SELECT ARRAY(SELECT nspname FROM pg_namespace ORDER BY 1), array_to_string(ARRAY(SELECT 'a b' UNION ALL SELECT 'c'), '+')`,
			`{information_schema,pg_catalog,public}|a b+c`},
		{`SELECT 'x' = ANY('{a,x}'), 2 = ANY('{1,3}'), ('{4,5,6}'::int2[])[2] + 1`, "t|f|6"},
		{`SELECT s, u FROM generate_series(1, 3) s, unnest('{p,"q r"}') u ORDER BY 1, 2 LIMIT 3`, "1|p\n1|q r\n2|p"},
		{`SELECT pg_size_pretty(123456789::int8), quote_ident('Ab'), has_table_privilege('alerts', 'SELECT')`, `118 MB|"Ab"|t`},
		{`SELECT count(*) > 100 FROM pg_proc WHERE pronamespace = 2200`, "t"},
		{`SELECT count(*) FROM pg_index`, "0"},
	} {
		if got := rows(c.sql); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.sql, got, c.want)
		}
	}
}
