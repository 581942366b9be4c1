package scenario

import (
	"github.com/tocsin-db/tocsin/examples"
	alertrouting "github.com/tocsin-db/tocsin/examples/alert-routing"
	"github.com/tocsin-db/tocsin/examples/drift"
	loganomalies "github.com/tocsin-db/tocsin/examples/log-anomalies"
	metricforecast "github.com/tocsin-db/tocsin/examples/metric-forecast"
	servicemonitoring "github.com/tocsin-db/tocsin/examples/service-monitoring"
)

// All returns every scenario, in the order `--scenario list` shows them.
func All() []examples.Scenario {
	return []examples.Scenario{
		servicemonitoring.Scenario(),
		loganomalies.Scenario(),
		metricforecast.Scenario(),
		alertrouting.Scenario(),
		drift.Scenario(),
	}
}

// Lookup returns the scenario called name.
func Lookup(name string) (examples.Scenario, bool) {
	for _, sc := range All() {
		if sc.Name == name {
			return sc, true
		}
	}
	return examples.Scenario{}, false
}
