// Package drift is the drift scenario: three sensors report a reading
// every two seconds; one keeps its distribution, one shifts abruptly and
// one drifts slowly. ADWIN_DRIFT flags the change of each shifting
// sensor's mean. See README.md.
package drift

import (
	_ "embed"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

//go:embed drift.sql
var sqlText string

//go:embed expected-alerts.txt
var expectedText string

// Scenario returns the scenario.
func Scenario() examples.Scenario {
	return examples.Scenario{
		Name:         "drift",
		Title:        "sensor readings whose distribution shifts; ADWIN_DRIFT flags the change",
		SQL:          sqlText,
		Expected:     expectedText,
		Topics:       []string{Topic},
		StepEvery:    time.Minute,
		Settle:       time.Minute,
		NewGenerator: func(cfg examples.Config) examples.Generator { return NewGenerator(cfg) },
	}
}
