// Package loganomalies is the log-anomalies scenario: an online shop's
// application logs are mined into templates with DRAIN_TEMPLATE and
// counted per minute; one rule alerts on a template never seen before,
// another on a template whose rate spikes (a z-score of its per-minute
// count). See README.md.
package loganomalies

import (
	_ "embed"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

//go:embed log-anomalies.sql
var sqlText string

//go:embed expected-alerts.txt
var expectedText string

// Scenario returns the scenario.
func Scenario() examples.Scenario {
	return examples.Scenario{
		Name:         "log-anomalies",
		Title:        "application logs mined into templates (DRAIN_TEMPLATE); a never-seen template and a template's rate spike alert",
		SQL:          sqlText,
		Expected:     expectedText,
		Topics:       []string{Topic},
		StepEvery:    time.Minute,
		Settle:       time.Minute,
		NewGenerator: func(cfg examples.Config) examples.Generator { return NewGenerator(cfg) },
	}
}
