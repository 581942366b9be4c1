package parser

import (
	"reflect"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// TestRoundTrip checks Parse(Format(x)) == x, positions and statement
// texts aside, for every input of the golden files that parses, and for
// the captured client queries.
func TestRoundTrip(t *testing.T) {
	check := func(t *testing.T, input string) {
		stmts, err := Parse(input)
		if err != nil {
			return
		}
		for _, s := range stmts {
			text := ast.Format(s)
			again, err := ParseOne(text)
			if err != nil {
				t.Errorf("reparsing %q: %v\nfrom: %s", text, err, input)
				continue
			}
			if a, b := normalize(s), normalize(again); !reflect.DeepEqual(a, b) {
				t.Errorf("round trip changed the tree:\n  input:  %s\n  format: %s\n  again:  %s", input, text, ast.Format(again))
			}
		}
	}
	datadriven.Walk(t, "testdata/parse", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "parse" || d.Cmd == "parse-pos" {
				check(t, d.Input)
			}
			if d.Cmd == "expr" {
				if e, err := ParseExpr(d.Input); err == nil {
					again, err := ParseExpr(ast.Format(e))
					if err != nil || !reflect.DeepEqual(normalize(e), normalize(again)) {
						t.Errorf("expression round trip failed for %q: %v", d.Input, err)
					}
				}
			}
			return d.Expected
		})
	})
	for _, q := range clientQueries(t) {
		check(t, q.text)
	}
}

// normalize returns a copy of the tree with every position set to zero
// and statement texts cleared, for comparison.
func normalize[T any](n T) T {
	v := reflect.ValueOf(&n).Elem()
	clearPositions(v)
	return n
}

func clearPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		v.Set(c)
		clearPositions(c.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		clearPositions(c)
		v.Set(c)
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < v.Len(); i++ {
			clearPositions(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(ast.Pos{}) {
			v.Set(reflect.ValueOf(ast.Pos{}))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			switch {
			case !f.IsExported():
			case f.Name == "Text" || f.Name == "QueryText":
				v.Field(i).SetString("")
			default:
				clearPositions(v.Field(i))
			}
		}
	}
}
