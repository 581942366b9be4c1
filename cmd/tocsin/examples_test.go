package main

import (
	"os"
	"strings"
	"testing"
)

// TestNABExampleMatches keeps examples/nab/detector.sql equal to the
// recipe `tocsin eval nab` scores as the best detector.
func TestNABExampleMatches(t *testing.T) {
	raw, err := os.ReadFile("../../examples/nab/detector.sql")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	doc := norm(string(raw))
	best := nabDetectors[len(nabDetectors)-1]
	for _, part := range append([]string{best.score}, best.setup...) {
		if !strings.Contains(doc, norm(part)) {
			t.Errorf("examples/nab/detector.sql lacks:\n%s", part)
		}
	}
}
