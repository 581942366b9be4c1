package sqlerr

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

func TestCodeOfWrapped(t *testing.T) {
	base := At(UndefinedColumn, 7, "column %q does not exist", "x")
	wrapped := fmt.Errorf("bind: %w", base)
	if got := CodeOf(wrapped); got != UndefinedColumn {
		t.Fatalf("CodeOf = %v", got)
	}
	if got := CodeOf(errors.New("boom")); got != Internal {
		t.Fatalf("CodeOf(plain) = %v", got)
	}
	if base.Pos != 8 {
		t.Fatalf("Pos = %d, want 8", base.Pos)
	}
}

func TestShift(t *testing.T) {
	e := At(SyntaxError, 0, "x")
	s := Shift(e, 10).(*Error)
	if s.Pos != 11 || e.Pos != 1 {
		t.Fatalf("shifted %d original %d", s.Pos, e.Pos)
	}
	none := New(SyntaxError, "x")
	if Shift(none, 5).(*Error).Pos != 0 {
		t.Fatal("shift moved an error with no position")
	}
}

func TestCharPos(t *testing.T) {
	text := "SELECT 'é', x"
	// 'x' is at byte offset 13 (0-based), rune offset 12.
	if got := CharPos(text, 14); got != 13 {
		t.Fatalf("CharPos = %d, want 13", got)
	}
	if CharPos(text, 0) != 0 {
		t.Fatal("zero position must stay zero")
	}
	if got := CharPos(text, 1000); got != 14 {
		t.Fatalf("clamped CharPos = %d", got)
	}
}

func TestWrapKeepsCause(t *testing.T) {
	cause := errors.New("disk full")
	e := Wrap(cause, IOError, "checkpoint %d", 3)
	if !errors.Is(e, cause) || e.Msg != "checkpoint 3: disk full" {
		t.Fatalf("wrap: %v", e)
	}
}

// TestCatalogComplete checks that Lookup's catalog holds every code
// declared in codes.go, once, and finds each by its SQLSTATE.
func TestCatalogComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			declared += len(spec.(*ast.ValueSpec).Names)
		}
	}
	if declared != len(catalog) {
		t.Fatalf("codes.go declares %d codes, catalog lists %d", declared, len(catalog))
	}
	seen := map[string]bool{}
	for _, c := range catalog {
		if len(c.s) != 5 || seen[c.s] {
			t.Errorf("code %q is malformed or listed twice", c.s)
		}
		seen[c.s] = true
		if got, ok := Lookup(c.s); !ok || got != c {
			t.Errorf("Lookup(%q) = %v, %v", c.s, got, ok)
		}
	}
	if _, ok := Lookup("99999"); ok {
		t.Error("Lookup found an undeclared code")
	}
	for _, c := range []Code{DuplicateCursor, DuplicatePreparedStatement, InvalidSQLStatementName, IdleSessionTimeout,
		AmbiguousParameter, CharacterNotInRepertoire, ActiveSQLTransaction, InvalidCursorName, DuplicateObject,
		UndefinedObject, InvalidPassword, InvalidAuthorization} {
		if !seen[c.s] {
			t.Errorf("%s missing", c)
		}
	}
}
