package alert

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Severity is an alert's urgency: P0 is the most urgent, P3 the least.
// SeverityNone means the sink declares no severity. The numeric order is
// SeverityNone < P0 < P1 < P2 < P3, so the next more urgent severity of s
// (for escalation) is s-1, down to P0.
type Severity uint8

// The severities.
const (
	SeverityNone Severity = iota
	P0
	P1
	P2
	P3
)

// numSeverities bounds the valid values (used when decoding snapshots).
const numSeverities = 5

// String returns "P0".."P3", or "" for SeverityNone.
func (s Severity) String() string {
	switch s {
	case P0:
		return "P0"
	case P1:
		return "P1"
	case P2:
		return "P2"
	case P3:
		return "P3"
	}
	return ""
}

// ParseSeverity parses "P0".."P3" (case-insensitive, surrounding blanks
// ignored); the empty string is SeverityNone. Anything else is a
// *sqlerr.Error with SQLSTATE 22023.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "":
		return SeverityNone, nil
	case "P0":
		return P0, nil
	case "P1":
		return P1, nil
	case "P2":
		return P2, nil
	case "P3":
		return P3, nil
	}
	return SeverityNone, sqlerr.New(sqlerr.InvalidParameterValue,
		"invalid severity %q", s).WithHint("Severities are P0, P1, P2 and P3 (P0 is the most urgent).")
}

// escalated returns the severity level steps more urgent than s, and
// whether it exists (P0 cannot escalate).
func (s Severity) escalated(level int) (Severity, bool) {
	if s == SeverityNone || int(s)-level < int(P0) {
		return SeverityNone, false
	}
	return s - Severity(level), true
}
