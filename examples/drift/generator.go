package drift

import (
	"fmt"
	"math/rand/v2"
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
	rng    *rand.Rand
	start  time.Time
	minute int
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0xd41f7)), start: cfg.Start.UTC().Truncate(time.Minute)}
}

// History implements examples.Generator: the scenario has none.
func (g *Generator) History() []examples.Record { return nil }

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
	if g.minute >= Minutes {
		return examples.Step{}, false
	}
	from := g.start.Add(time.Duration(g.minute) * time.Minute)
	g.minute++
	var recs []examples.Record
	for at := time.Duration(0); at < time.Minute; at += Every {
		t := from.Add(at)
		for _, s := range [...]string{Stable, Shifted, Drifting} {
			v := Mean(s, t.Sub(g.start).Minutes()) + Noise*g.rng.NormFloat64()
			recs = append(recs, examples.Record{Topic: Topic, Key: []byte(s),
				Value: fmt.Appendf(nil, `{"ts":%d,"sensor":%q,"value":%.3f}`, t.UnixMilli(), s, v)})
		}
	}
	return examples.Step{At: from, Records: recs}, true
}
