package servicemonitoring

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

// Topic is the topic the request events go to.
const Topic = "sm_requests"

// Minutes is how many minutes of live traffic the scenario has.
const Minutes = 80

// The injected incidents, as minutes from the start of the live data
// (each lasts from its first minute up to, not including, its end).
const (
	// ErrorService fails ErrorPercent of its requests.
	ErrorService       = "checkout"
	ErrorFrom, ErrorTo = 30, 35
	ErrorPercent       = 15
	// SlowService answers SlowFactor times slower (p95 well over 2 s).
	SlowService      = "search"
	SlowFrom, SlowTo = 45, 50
	SlowFactor       = 25
	// SpikeService receives SpikeFactor times its usual traffic.
	SpikeService       = "payments"
	SpikeFrom, SpikeTo = 60, 62
	SpikeFactor        = 5
)

// service is one service's usual traffic.
type service struct {
	name      string
	perMinute int     // requests per minute
	medianMS  float64 // median latency
	errRate   float64 // share of requests failing with a 5xx
	hosts     int
}

var services = [...]service{
	{"api", 120, 40, 0.010, 4},
	{"auth", 90, 25, 0.005, 2},
	{"checkout", 60, 120, 0.012, 3},
	{"inventory", 45, 60, 0.008, 2},
	{"payments", 30, 200, 0.015, 2},
	{"search", 75, 80, 0.010, 3},
}

// Generator writes one step of request events per minute. Counts and
// error shares vary by a few percent around each service's usual values
// (never near a threshold), latencies are log-normal; the incidents
// above are the only departures.
type Generator struct {
	examples.Minutes
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{Minutes: examples.NewMinutes(cfg, 0x5e41)}
}

// Request is one generated request event.
type Request struct {
	Time      time.Time
	Service   string
	Host      string
	LatencyMS float64
	Status    int
}

// Next implements examples.Generator.
func (g *Generator) Next() (examples.Step, bool) {
	if g.Elapsed >= Minutes {
		return examples.Step{}, false
	}
	at := g.Start.Add(time.Duration(g.Elapsed) * time.Minute)
	reqs := g.Minute()
	recs := make([]examples.Record, len(reqs))
	for i, r := range reqs {
		recs[i] = examples.Record{Topic: Topic, Key: []byte(r.Service), Value: r.JSON()}
	}
	return examples.Step{At: at, Records: recs}, true
}

// Minute returns the requests of the next minute, in event-time order.
func (g *Generator) Minute() []Request {
	m, from := g.Advance()
	var out []Request
	for _, s := range services {
		n := int(math.Round(float64(s.perMinute) * (1 + 0.1*(g.Rng.Float64()-0.5))))
		errShare := s.errRate * (1 + 0.6*(g.Rng.Float64()-0.5))
		slow := 1.0
		switch {
		case s.name == ErrorService && m >= ErrorFrom && m < ErrorTo:
			errShare = ErrorPercent / 100.0 * (1 + 0.1*(g.Rng.Float64()-0.5))
		case s.name == SlowService && m >= SlowFrom && m < SlowTo:
			slow = SlowFactor
		case s.name == SpikeService && m >= SpikeFrom && m < SpikeTo:
			n *= SpikeFactor
		}
		errs := int(math.Round(float64(n) * errShare))
		failing := g.Rng.Perm(n)[:errs]
		step := time.Minute / time.Duration(n)
		for i := range n {
			lat := s.medianMS * slow * math.Exp(0.35*g.Rng.NormFloat64())
			r := Request{
				Time:      from.Add(time.Duration(i)*step + time.Duration(g.Rng.Int64N(int64(step)))).Truncate(time.Millisecond),
				Service:   s.name,
				Host:      fmt.Sprintf("%s-%d", s.name, 1+g.Rng.IntN(s.hosts)),
				LatencyMS: math.Round(lat*10) / 10,
				Status:    200,
			}
			if slices.Contains(failing, i) {
				r.Status = [...]int{500, 502, 503}[g.Rng.IntN(3)]
			}
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Request) int { return a.Time.Compare(b.Time) })
	return out
}

// JSON returns r as the record value:
//
//	{"ts":1772442000123,"service":"api","host":"api-2","latency_ms":41.2,"status":200}
func (r Request) JSON() []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"ts":`...)
	b = strconv.AppendInt(b, r.Time.UnixMilli(), 10)
	b = append(b, `,"service":`...)
	b = strconv.AppendQuote(b, r.Service)
	b = append(b, `,"host":`...)
	b = strconv.AppendQuote(b, r.Host)
	b = append(b, `,"latency_ms":`...)
	b = strconv.AppendFloat(b, r.LatencyMS, 'f', -1, 64)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	return append(b, '}')
}
