package metricforecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

// Topic is the topic the samples go to.
const Topic = "host_cpu"

// The data: one CPU sample per host every Every, HistoryDays of history
// before the live data, LiveSamples samples of live data.
const (
	Every       = 5 * time.Minute
	HistoryDays = 7
	LiveSamples = 24
)

// The injected anomalies, as live sample numbers (from the first up to,
// not including, the end).
const (
	// SpikeHost runs hot: SpikeBy percentage points above its usual load.
	SpikeHost          = "web-2"
	SpikeFrom, SpikeTo = 4, 7
	SpikeBy            = 35.0
	// DipHost's load drops to DipLevel (its service stopped taking work).
	DipHost        = "db-1"
	DipFrom, DipTo = 10, 14
	DipLevel       = 3.0
)

// host is one host's usual load: Base + Amplitude·sin(daily phase) +
// Trend per day, plus Gaussian noise.
type host struct {
	name                   string
	base, amplitude, trend float64
	phase, noise           float64
}

var hosts = [...]host{
	{"web-1", 40, 20, 0.8, 0, 1.5},
	{"web-2", 35, 18, 0.5, 0.3, 1.5},
	{"db-1", 55, 10, 1.5, -0.5, 1.0},
}

// Generator writes the history at once and then one step per sample.
type Generator struct {
	rng   *rand.Rand
	start time.Time
	live  int
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0xf04e)), start: cfg.Start.UTC().Truncate(time.Minute)}
}

// Usual returns h's load without noise at sample i, counted from the
// start of the history.
func Usual(h int, i int) float64 {
	s := hosts[h]
	day := float64(i) / float64(samplesPerDay)
	return s.base + s.amplitude*math.Sin(2*math.Pi*day+s.phase) + s.trend*day
}

// sample returns host h's record at sample i of the history (live
// samples continue the count), with the anomaly of live sample live
// (negative in the history).
func (g *Generator) sample(h, i, live int) examples.Record {
	s := hosts[h]
	v := Usual(h, i) + s.noise*g.rng.NormFloat64()
	switch {
	case s.name == SpikeHost && live >= SpikeFrom && live < SpikeTo:
		v += SpikeBy
	case s.name == DipHost && live >= DipFrom && live < DipTo:
		v = DipLevel + 0.5*g.rng.Float64()
	}
	v = math.Max(0, math.Min(100, v))
	ts := g.start.Add(time.Duration(i-historySamples) * Every)
	return examples.Record{Topic: Topic, Key: []byte(s.name),
		Value: fmt.Appendf(nil, `{"ts":%d,"host":%q,"cpu":%.2f}`, ts.UnixMilli(), s.name, v)}
}

const (
	samplesPerDay  = int(24 * time.Hour / Every)
	historySamples = HistoryDays * samplesPerDay
)

// History implements examples.Generator: a week of samples.
func (g *Generator) History() []examples.Record {
	out := make([]examples.Record, 0, historySamples*len(hosts))
	for i := range historySamples {
		for h := range hosts {
			out = append(out, g.sample(h, i, -1))
		}
	}
	return out
}

// Next implements examples.Generator.
func (g *Generator) Next() (examples.Step, bool) {
	if g.live >= LiveSamples {
		return examples.Step{}, false
	}
	live := g.live
	g.live++
	recs := make([]examples.Record, len(hosts))
	for h := range hosts {
		recs[h] = g.sample(h, historySamples+live, live)
	}
	return examples.Step{At: g.start.Add(time.Duration(live) * Every), Records: recs}, true
}
