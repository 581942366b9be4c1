package engine_test

import (
	"strings"
	"testing"
)

// TestCatalogArrayQueries runs the array forms client catalog queries
// use over the catalog: reg* array casts of oidvector columns (pgcli's
// function completion), array_agg, unnest of a catalog vector in a
// select list and regexp_split_to_table grouped by its alias (pgcli's
// casing query).
func TestCatalogArrayQueries(t *testing.T) {
	te := openEngine(t, "", -1)
	defer te.Close()
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
		{`SELECT proargtypes, COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[], prorettype::regtype::text
		  FROM pg_proc WHERE proname = 'array_upper' AND prorettype::regtype != 'trigger'::regtype`, "25 23|{text,integer}|integer"},
		{`SELECT '23 25'::regtype[], NULL::text::regtype[] IS NULL`, "{integer,text}|t"},
		{`SELECT array_agg(x ORDER BY x DESC), array_agg(x) FILTER (WHERE false) FROM generate_series(1, 3) x`, "{3,2,1}|NULL"},
		{`SELECT unnest(proargtypes::regtype[]), generate_subscripts(proargtypes, 1) FROM pg_proc WHERE proname = 'array_upper'`,
			"text|0\ninteger|1"},
		{`SELECT regexp_split_to_table('b a,b', '\W+') AS w, count(1) FROM pg_namespace WHERE oid = 11 GROUP BY w ORDER BY w`, "a|1\nb|2"},
	} {
		if got := rows(c.sql); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.sql, got, c.want)
		}
	}
}
