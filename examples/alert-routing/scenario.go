// Package alertrouting is the alert-routing scenario: a fleet of six
// services and two hundred edge nodes, watched by P0, P1, P2 and P3
// rules routed to different channels, with escalation of an
// unacknowledged warning, a maintenance silence, inhibition of warnings
// by a critical alert, and storm control when every edge node alerts at
// once. See README.md.
package alertrouting

import (
	_ "embed"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

//go:embed alert-routing.sql
var sqlText string

//go:embed expected-alerts.txt
var expectedText string

// Scenario returns the scenario.
func Scenario() examples.Scenario {
	return examples.Scenario{
		Name:         "alert-routing",
		Title:        "P0/P1/P2 routing, escalation, a maintenance silence, inhibition and storm control over 200 keys",
		SQL:          sqlText,
		Expected:     expectedText,
		Topics:       []string{ChecksTopic, EdgeTopic},
		StepEvery:    time.Minute,
		Settle:       time.Minute,
		NewGenerator: func(cfg examples.Config) examples.Generator { return NewGenerator(cfg) },
	}
}
