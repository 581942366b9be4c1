package main

import (
	"os"
	"strings"
	"testing"
)

// TestSQLReferenceCoversRegistry fails when a built-in function or
// operator is missing from docs/sql.md: each must appear in backquotes
// (a pipe escaped as \| inside tables).
func TestSQLReferenceCoversRegistry(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sql.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, name := range builtins().Names() {
		plain := "`" + name + "`"
		escaped := "`" + strings.ReplaceAll(name, "|", `\|`) + "`"
		if !strings.Contains(text, plain) && !strings.Contains(text, escaped) {
			t.Errorf("docs/sql.md does not document %s", plain)
		}
	}
}
