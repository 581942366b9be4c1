package engine_test

import (
	"strings"
	"testing"
)

// TestClientSessionFunctions covers the functions and constructs that
// SQLAlchemy, pgcli, Grafana and Metabase send on connect or in their
// metadata queries (make compat found them missing): version(),
// current_user and its siblings, current_setting, pg_get_serial_sequence
// and a comparison of two reg* casts.
func TestClientSessionFunctions(t *testing.T) {
	te := openEngine(t, "", -1)
	defer te.Close()
	te.exec(t, "SET application_name = 'probe'")
	for _, c := range []struct{ sql, want string }{
		{`SELECT pg_catalog.version() LIKE 'PostgreSQL 15.%'`, "t"},
		{`SELECT current_user, user, session_user, current_role`, "test|test|test|test"},
		{`SELECT current_setting('server_version_num')::int / 100, current_setting('application_name'), current_setting('Search_Path')`,
			`1500|probe|"$user", public`},
		{`SELECT current_setting('no_such_setting', true) IS NULL`, "t"},
		{`SELECT pg_catalog.pg_get_serial_sequence('alerts', 'id') IS NULL`, "t"},
		{`SELECT 'int4'::regtype = 'integer'::regtype, 23::oid::regtype <> 'trigger'::regtype, 'int4'::regtype = 'text'::regtype`, "t|t|f"},
		{`SELECT count(*) > 0 FROM pg_proc p WHERE p.prorettype::regtype != 'trigger'::regtype`, "t"},
	} {
		r, err := te.execErr(c.sql, "")
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		var lines []string
		for _, row := range r.rows {
			var f []string
			for _, d := range row {
				f = append(f, d.String())
			}
			lines = append(lines, strings.Join(f, "|"))
		}
		if got := strings.Join(lines, "\n"); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.sql, got, c.want)
		}
	}
}
