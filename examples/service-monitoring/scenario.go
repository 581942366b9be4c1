// Package servicemonitoring is the service-monitoring scenario: request
// events of six services become per-service request rate, error rate,
// average and p95 latency per minute, watched by two threshold rules and
// a z-score rule that alert to a Slack-format webhook. See README.md.
package servicemonitoring

import (
	_ "embed"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

//go:embed service-monitoring.sql
var sqlText string

//go:embed expected-alerts.txt
var expectedText string

// Scenario returns the scenario.
func Scenario() examples.Scenario {
	return examples.Scenario{
		Name:         "service-monitoring",
		Title:        "request rate, error rate and p95 latency per service; threshold and z-score rules to Slack",
		SQL:          sqlText,
		Expected:     expectedText,
		Topics:       []string{Topic},
		StepEvery:    time.Minute,
		Settle:       time.Minute,
		NewGenerator: func(cfg examples.Config) examples.Generator { return NewGenerator(cfg) },
	}
}
