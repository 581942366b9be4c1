package parser

import (
	"reflect"
	"testing"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// TestStatementFields checks what Format does not show: statement
// texts, query texts, positions of statements and Generic verbs.
func TestStatementFields(t *testing.T) {
	text := "SELECT 1;\n  CREATE MATERIALIZED VIEW v AS SELECT a FROM t EMIT ON WINDOW CLOSE ;" +
		" CREATE SOURCE s (a INT) FORMAT JSON; VACUUM FULL; EXPLAIN CREATE SINK k FROM v WITH (x = 'y')"
	stmts, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 5 {
		t.Fatalf("got %d statements", len(stmts))
	}
	cv := stmts[1].(*ast.CreateView)
	if cv.Text != "CREATE MATERIALIZED VIEW v AS SELECT a FROM t EMIT ON WINDOW CLOSE" ||
		cv.QueryText != "SELECT a FROM t" || cv.Position() != 12 || cv.Emit != ast.EmitOnWindowClose {
		t.Errorf("CreateView: text %q, query %q, pos %d", cv.Text, cv.QueryText, cv.Position())
	}
	if cs := stmts[2].(*ast.CreateSource); cs.Text != "CREATE SOURCE s (a INT) FORMAT JSON" {
		t.Errorf("CreateSource text %q", cs.Text)
	}
	g := stmts[3].(*ast.Generic)
	if g.Verb != "vacuum" || !reflect.DeepEqual(g.Args, []string{"FULL"}) || g.Text != "VACUUM FULL" {
		t.Errorf("Generic: %+v", g)
	}
	ex := stmts[4].(*ast.Explain)
	if sink, ok := ex.Stmt.(*ast.CreateSink); !ok || sink.Text != "CREATE SINK k FROM v WITH (x = 'y')" {
		t.Errorf("Explain inner: %#v", ex.Stmt)
	}
	sel := stmts[0].(*ast.SelectStmt)
	if sel.Position() != 0 || sel.Query.Position() != 0 {
		t.Errorf("SelectStmt position %d", sel.Position())
	}
}

// TestMarkerNamesStayInternal checks that the converter never leaks an
// invented name into the tree.
func TestMarkerNamesStayInternal(t *testing.T) {
	stmts, err := Parse(productExample + "; SELECT x::int, a || b, count(*) FILTER (WHERE c) OVER w FROM t WINDOW w AS ()")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if len(v.String()) >= len(reservedPrefix) && v.String()[:len(reservedPrefix)] == reservedPrefix {
				t.Errorf("invented name %q in the tree", v.String())
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	for _, s := range stmts {
		walk(reflect.ValueOf(s))
	}
}
