package pgwire

import (
	"go/build"
	"strings"
	"testing"
)

// TestDependencies enforces the layering rule for pgwire and
// pgwire/pgtypes (STYLE.md section 4): the server may import only
// pgwire/pgtypes, sql/sqlerr, sql/types, Arrow, pgproto3 and the
// standard library; pgtypes only sql/types, Arrow and the standard
// library. In particular neither may import the engine, the parser or
// the connectors. Test files are exempt.
func TestDependencies(t *testing.T) {
	const mod = "github.com/tocsin-db/tocsin/"
	arrow := "github.com/apache/arrow-go/v18/arrow"
	cases := []struct {
		dir     string
		allowed []string
	}{
		{".", []string{mod + "pgwire/pgtypes", mod + "sql/sqlerr", mod + "sql/types", arrow, "github.com/jackc/pgx/v5/pgproto3"}},
		{"pgtypes", []string{mod + "sql/types", arrow}},
	}
	for _, c := range cases {
		pkg, err := build.ImportDir(c.dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			ok := false
			for _, a := range c.allowed {
				if imp == a || strings.HasPrefix(imp, a+"/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("pgwire/%s imports %s", c.dir, imp)
			}
		}
	}
}
