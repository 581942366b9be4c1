//go:build linux

package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// This file records how each case of the differential test ended and
// prints a summary at the end of the run: which cases pass, which fail
// because Tocsin lacks a feature, which because it computes something
// else, and which because a case or the harness is wrong.

// pdOutcomeClass is why a case ended.
type pdOutcomeClass uint8

const (
	outcomePass        pdOutcomeClass = iota
	outcomeSkipped                    // the case did not run (t.Skip)
	outcomeUnsupported                // Tocsin rejects the SQL as unsupported (0A000) or lacks a function (42883, 42704)
	outcomeRejected                   // Tocsin rejects the SQL with another SQLSTATE
	outcomeViewFailed                 // a view failed while running
	outcomeWrong                      // Tocsin's rows differ from PostgreSQL's
	outcomeErrMismatch                // an error case: Tocsin does not fail like PostgreSQL
	outcomeCaseBug                    // PostgreSQL rejects the case, or its expected result proves nothing
	outcomeHarness                    // the harness could not run the case
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	outcomePass:        "pass",
	outcomeSkipped:     "skipped",
	outcomeUnsupported: "unsupported by Tocsin",
	outcomeRejected:    "rejected by Tocsin",
	outcomeViewFailed:  "view failed",
	outcomeWrong:       "wrong result",
	outcomeErrMismatch: "error differs",
	outcomeCaseBug:     "case bug",
	outcomeHarness:     "harness",
}

// pdOutcome is how one case ended.
type pdOutcome struct {
	class  pdOutcomeClass
	reason string // the first line of the failure
}

// caseT is a case's subtest, which records why it fails.
type caseT struct {
	*testing.T
	h       *diffHarness
	name    string
	outcome *pdOutcome
}

// fail records the failure and ends the subtest.
func (t *caseT) fail(class pdOutcomeClass, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if t.outcome == nil {
		first, rest, _ := strings.Cut(msg, "\n")
		if strings.HasSuffix(first, ":") {
			// "...differs:" is followed by the diff's counts.
			second, _, _ := strings.Cut(rest, "\n")
			first += " " + strings.TrimSpace(second)
		}
		t.outcome = &pdOutcome{class: class, reason: first}
	}
	t.Fatal(msg)
}

// failErr classifies a failure by the SQLSTATE of err.
func (t *caseT) failErr(err error, format string, args ...any) {
	t.Helper()
	class := outcomeRejected
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "0A000", "42883", "42704":
			class = outcomeUnsupported
		}
	}
	t.fail(class, format, args...)
}

// record stores the case's outcome for the summary.
func (t *caseT) record() {
	o := pdOutcome{class: outcomePass}
	switch {
	case t.outcome != nil:
		o = *t.outcome
	case t.Failed():
		o = pdOutcome{class: outcomeHarness, reason: "failed without a recorded reason"}
	case t.Skipped():
		o = pdOutcome{class: outcomeSkipped}
	}
	t.h.mu.Lock()
	t.h.outcomes[t.name] = o
	t.h.mu.Unlock()
}

// summarize logs every case's outcome, grouped by class.
func (h *diffHarness) summarize(t *testing.T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.outcomes) == 0 {
		return
	}
	byClass := make([][]string, numOutcomes)
	for name, o := range h.outcomes {
		line := name
		if o.reason != "" {
			line += ": " + o.reason
		}
		byClass[o.class] = append(byClass[o.class], line)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "differential summary: %d of %d cases pass", len(byClass[outcomePass]), len(h.outcomes))
	for class := outcomeSkipped; class < numOutcomes; class++ {
		lines := byClass[class]
		if len(lines) == 0 {
			continue
		}
		sort.Strings(lines)
		fmt.Fprintf(&sb, "\n%s (%d):", outcomeNames[class], len(lines))
		for _, l := range lines {
			fmt.Fprintf(&sb, "\n  %s", l)
		}
	}
	t.Log(sb.String())
}
