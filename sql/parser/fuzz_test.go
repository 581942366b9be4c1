package parser

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// goldenInputs returns the inputs of every directive in the golden
// files, for seeding the fuzzers.
func goldenInputs(t testing.TB) []string {
	files, err := filepath.Glob("testdata/parse/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "\n----\n") {
			lines := strings.Split(block, "\n")
			// The input is what follows the last directive line.
			for i := len(lines) - 1; i >= 0; i-- {
				switch strings.TrimSpace(lines[i]) {
				case "parse", "parse-pos", "error", "expr":
					out = append(out, strings.Join(lines[i+1:], "\n"))
					i = -1
				}
			}
		}
	}
	return out
}

// FuzzParse checks that Parse never panics or hangs, and that whatever
// it accepts formats to text that parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range goldenInputs(f) {
		f.Add(s)
	}
	for _, q := range clientQueries(f) {
		f.Add(q.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := Parse(text)
		if err != nil {
			return
		}
		for _, s := range stmts {
			again, err := ParseOne(ast.Format(s))
			if err != nil {
				t.Fatalf("Format output does not parse: %v\ninput:  %q\nformat: %q", err, text, ast.Format(s))
			}
			if !reflect.DeepEqual(normalize(s), normalize(again)) {
				t.Fatalf("round trip changed the tree\ninput:  %q\nformat: %q\nagain:  %q", text, ast.Format(s), ast.Format(again))
			}
		}
	})
}

// FuzzParseExpr does the same for standalone expressions.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"ts - INTERVAL '5' SECOND", "a + b * c", "x::int[]", "f(x) FILTER (WHERE y)",
		"CASE WHEN a THEN b END", "(a, b)", "x IN (SELECT 1)", "'a' || $1", "payload->>'a' ~* 'b'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseExpr(text)
		if err != nil {
			return
		}
		again, err := ParseExpr(ast.Format(e))
		if err != nil {
			t.Fatalf("Format output does not parse: %v\ninput:  %q\nformat: %q", err, text, ast.Format(e))
		}
		if !reflect.DeepEqual(normalize(e), normalize(again)) {
			t.Fatalf("round trip changed the tree\ninput:  %q\nformat: %q", text, ast.Format(e))
		}
	})
}
