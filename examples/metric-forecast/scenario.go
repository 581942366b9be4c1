// Package metricforecast is the metric-forecast scenario: three hosts'
// CPU load follows a daily cycle plus a trend; a week of history is
// replayed from the earliest offset to warm an LSTM per host
// (LSTM_SCORE), which then flags the anomalies injected into the live
// data. See README.md.
package metricforecast

import (
	_ "embed"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

//go:embed metric-forecast.sql
var sqlText string

//go:embed expected-alerts.txt
var expectedText string

// Scenario returns the scenario.
func Scenario() examples.Scenario {
	return examples.Scenario{
		Name:         "metric-forecast",
		Title:        "seasonal CPU load per host; LSTM_SCORE warmed on a replayed week of history flags injected anomalies",
		SQL:          sqlText,
		Expected:     expectedText,
		Topics:       []string{Topic},
		StepEvery:    Every,
		Settle:       time.Minute,
		NewGenerator: func(cfg examples.Config) examples.Generator { return NewGenerator(cfg) },
	}
}
