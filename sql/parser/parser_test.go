package parser

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cockroachdb/datadriven"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// TestDataDriven runs the golden files in testdata/parse. Directives:
//
//	parse      prints ast.Format of each statement, one per line
//	parse-pos  prints the positioned nodes (column references, calls,
//	           tables, constants, casts, operators, select items) with
//	           their offsets and the source text found there
//	expr       like parse, for ParseExpr
//	error      prints the error's SQLSTATE, message and position with a
//	           psql-style caret
//
// Run with -rewrite to regenerate the expectations.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/parse", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				stmts, err := Parse(d.Input)
				if err != nil {
					return showError(d.Input, err)
				}
				var out strings.Builder
				for _, s := range stmts {
					out.WriteString(ast.Format(s))
					out.WriteByte('\n')
				}
				return out.String()
			case "expr":
				e, err := ParseExpr(d.Input)
				if err != nil {
					return showError(d.Input, err)
				}
				return ast.Format(e) + "\n"
			case "parse-pos":
				stmts, err := Parse(d.Input)
				if err != nil {
					return showError(d.Input, err)
				}
				return positions(d.Input, stmts)
			case "error":
				_, err := Parse(d.Input)
				if err == nil {
					return "no error\n"
				}
				return showError(d.Input, err)
			}
			t.Fatalf("unknown directive %q", d.Cmd)
			return ""
		})
	})
}

// showError renders err like psql: the message, then the line holding
// the position with a caret under the character.
func showError(text string, err error) string {
	var e *sqlerr.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("not a *sqlerr.Error: %v\n", err)
	}
	if e.Pos == 0 {
		return fmt.Sprintf("ERROR %s: %s\n(no position)\n", e.Code, e.Msg)
	}
	// The first line shows the byte offset (Pos-1); the caret is placed
	// by characters, as psql does.
	out := fmt.Sprintf("ERROR %s at byte %d: %s\n", e.Code, e.Pos-1, e.Msg)
	if e.Hint != "" {
		out += "HINT: " + e.Hint + "\n"
	}
	off := e.Pos - 1
	if off > len(text) {
		return out + fmt.Sprintf("position %d is past the end of the text\n", e.Pos)
	}
	lineStart := strings.LastIndexByte(text[:off], '\n') + 1
	lineEnd := strings.IndexByte(text[off:], '\n')
	if lineEnd < 0 {
		lineEnd = len(text)
	} else {
		lineEnd += off
	}
	line := strings.Count(text[:off], "\n") + 1
	prefix := fmt.Sprintf("LINE %d: ", line)
	col := utf8.RuneCountInString(text[lineStart:off])
	return out + prefix + text[lineStart:lineEnd] + "\n" + strings.Repeat(" ", len(prefix)+col) + "^\n"
}

// positions lists the nodes whose positions the binder reports errors
// at, in textual order, each with the token found at its offset.
func positions(text string, stmts []ast.Statement) string {
	toks, _ := lex(text)
	tokAt := map[int]string{}
	for _, t := range toks {
		tokAt[t.off] = text[t.off:t.end]
	}
	type entry struct {
		off  int
		line string
	}
	var entries []entry
	seen := map[any]bool{}
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return
			}
			if v.Kind() == reflect.Pointer {
				if seen[v.Interface()] {
					return
				}
				seen[v.Interface()] = true
			}
			visit(v.Elem())
			return
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				visit(v.Index(i))
			}
			return
		case reflect.Struct:
		default:
			return
		}
		if n, ok := v.Addr().Interface().(ast.Node); ok && v.Type() != reflect.TypeOf(ast.Pos{}) {
			if desc := describe(n); desc != "" {
				off := n.Position()
				src, ok := tokAt[off]
				if !ok {
					src = "!! no token starts here"
				}
				entries = append(entries, entry{off, fmt.Sprintf("%s @%d %s", desc, off, src)})
			}
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				visit(v.Field(i))
			}
		}
	}
	for _, s := range stmts {
		visit(reflect.ValueOf(s))
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].off < entries[j].off })
	var out strings.Builder
	for _, e := range entries {
		out.WriteString(e.line)
		out.WriteByte('\n')
	}
	return out.String()
}

func describe(n ast.Node) string {
	switch n := n.(type) {
	case *ast.ColumnRef:
		return "ColumnRef " + strings.Join(n.Parts, ".")
	case *ast.FuncCall:
		return "FuncCall " + n.Name
	case *ast.TableName:
		return "TableName " + n.Name.String()
	case *ast.TableFunc:
		return "TableFunc " + n.Name
	case *ast.Literal:
		return "Literal " + n.Value
	case *ast.Param:
		return fmt.Sprintf("Param $%d", n.Index)
	case *ast.Cast:
		return "Cast " + n.Type.Name
	case *ast.Binary:
		return "Binary " + n.Op.String()
	case *ast.SelectItem:
		return "SelectItem"
	case *ast.IntervalLit, *ast.TypedLit:
		return strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
	}
	return ""
}
