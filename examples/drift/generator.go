package drift

import (
	"fmt"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

// Topic is the topic the readings go to.
const Topic = "drift_readings"

// Minutes is how many minutes of readings the scenario has; each sensor
// reports every Every.
const (
	Minutes = 90
	Every   = 2 * time.Second
)

// The sensors: Stable keeps mean StableMean; Shifted jumps from
// ShiftFrom to ShiftTo at minute ShiftAt; Drifting moves linearly from
// DriftFrom to DriftTo between minutes DriftStart and DriftEnd. Every
// reading has Gaussian noise of standard deviation Noise.
const (
	Stable     = "sensor-a"
	StableMean = 20.0

	Shifted            = "sensor-b"
	ShiftFrom, ShiftTo = 35.0, 38.0
	ShiftAt            = 30

	Drifting             = "sensor-c"
	DriftFrom, DriftTo   = 50.0, 56.0
	DriftStart, DriftEnd = 40, 70

	Noise = 1.0
)

// Generator writes one step of readings per minute.
type Generator struct {
	examples.Minutes
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{Minutes: examples.NewMinutes(cfg, 0xd41f7)}
}

// Mean returns sensor's true mean at t minutes into the scenario.
func Mean(sensor string, t float64) float64 {
	switch sensor {
	case Shifted:
		if t >= ShiftAt {
			return ShiftTo
		}
		return ShiftFrom
	case Drifting:
		switch {
		case t < DriftStart:
			return DriftFrom
		case t >= DriftEnd:
			return DriftTo
		}
		return DriftFrom + (DriftTo-DriftFrom)*(t-DriftStart)/(DriftEnd-DriftStart)
	}
	return StableMean
}

// Next implements examples.Generator.
func (g *Generator) Next() (examples.Step, bool) {
	if g.Elapsed >= Minutes {
		return examples.Step{}, false
	}
	_, from := g.Advance()
	var recs []examples.Record
	for at := time.Duration(0); at < time.Minute; at += Every {
		t := from.Add(at)
		for _, s := range [...]string{Stable, Shifted, Drifting} {
			v := Mean(s, t.Sub(g.Start).Minutes()) + Noise*g.Rng.NormFloat64()
			recs = append(recs, examples.Record{Topic: Topic, Key: []byte(s),
				Value: fmt.Appendf(nil, `{"ts":%d,"sensor":%q,"value":%.3f}`, t.UnixMilli(), s, v)})
		}
	}
	return examples.Step{At: from, Records: recs}, true
}
