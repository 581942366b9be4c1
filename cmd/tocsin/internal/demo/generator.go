package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The shape of the generated traffic.
const (
	// DefaultServices is the fleet size when none is given.
	DefaultServices = 20
	// HostsPerService is how many hosts serve each service.
	HostsPerService = 4
	// OutOfOrderFraction of events carry an event time up to MaxDisorder
	// behind the wall clock.
	OutOfOrderFraction = 0.2
	MaxDisorder        = 3 * time.Second
	// LateFraction of events are LateMin to LateMax old.
	LateFraction = 0.001
	LateMin      = 30 * time.Second
	LateMax      = 120 * time.Second
	// IncidentService degrades for IncidentFor starting IncidentAt into
	// every IncidentEvery of event time (when the fleet is big enough to
	// have it).
	IncidentService = "svc-13"
	IncidentEvery   = 10 * time.Minute
	IncidentAt      = 7 * time.Minute
	IncidentFor     = time.Minute
)

// Event is one generated request, as encoded in the record value.
type Event struct {
	// Time is the event time (millisecond precision, UTC).
	Time      time.Time
	Service   string
	Host      string
	LatencyMS float64
	Status    int
	// Lag is how far Time is behind the (millisecond-truncated) instant
	// passed to Next: 0 for in-order events.
	Lag time.Duration
	// Late is true for events LateMin or more behind.
	Late bool
	// Incident is true if the event falls in its service's incident.
	Incident bool
}

type service struct {
	name    string
	key     []byte
	weight  float64 // cumulative share of the traffic
	base    float64 // median latency, ms
	sigma   float64 // log-normal spread
	errRate float64 // 5xx probability outside incidents
	hosts   []string
}

// Generator produces request events deterministically from a seed. It is
// not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	services []service
}

// NewGenerator returns a generator over a fleet of services named
// svc-01...svc-NN (services <= 0 means DefaultServices). The same seed
// and the same sequence of Next instants give the same events.
func NewGenerator(seed int64, services int) *Generator {
	if services <= 0 {
		services = DefaultServices
	}
	// The fleet's fixed traits come from their own stream so that they
	// do not depend on how many events were drawn.
	traits := rand.New(rand.NewPCG(uint64(seed), 0x7e57))
	g := &Generator{
		rng:      rand.New(rand.NewPCG(uint64(seed), 0xe7e7)),
		services: make([]service, services),
	}
	total := 0.0
	for i := range g.services {
		name := fmt.Sprintf("svc-%02d", i+1)
		s := service{
			name:    name,
			key:     []byte(name),
			base:    5 * math.Pow(24, traits.Float64()), // 5 to 120 ms, log-uniform
			sigma:   0.25 + 0.35*traits.Float64(),
			errRate: 0.003 + 0.012*traits.Float64(),
		}
		// Some services are much busier than others (Zipf-like).
		total += 1 / math.Pow(float64(i+1), 0.8)
		s.weight = total
		for h := range HostsPerService {
			s.hosts = append(s.hosts, fmt.Sprintf("host-%02d", i*HostsPerService+h+1))
		}
		g.services[i] = s
	}
	for i := range g.services {
		g.services[i].weight /= total
	}
	return g
}

// Services returns the service names, in order.
func (g *Generator) Services() []string {
	names := make([]string, len(g.services))
	for i, s := range g.services {
		names[i] = s.name
	}
	return names
}

// Next returns the next event as a record key (the service name) and a
// JSON value, and the event itself. now is the wall-clock instant the
// event is generated at.
func (g *Generator) Next(now time.Time) (key, value []byte, e Event) {
	r := g.rng
	s := &g.services[g.pick()]
	nowMS := now.UnixMilli()

	var lagMS int64
	switch u := r.Float64(); {
	case u < LateFraction:
		lagMS = LateMin.Milliseconds() + r.Int64N((LateMax-LateMin).Milliseconds()+1)
	case u < LateFraction+OutOfOrderFraction:
		lagMS = 1 + r.Int64N(MaxDisorder.Milliseconds())
	}
	tsMS := nowMS - lagMS
	incident := s.name == IncidentService && inIncident(tsMS)

	latency := s.base * math.Exp(s.sigma*r.NormFloat64())
	slow := r.Float64() < 0.01
	if slow {
		latency *= 3 + 5*r.ExpFloat64() // the long tail
	}
	if incident {
		latency *= 4 + 2*r.Float64()
	}
	latency = math.Round(latency*1000) / 1000
	if latency < 0.001 {
		latency = 0.001
	}

	e = Event{
		Time:      time.UnixMilli(tsMS).UTC(),
		Service:   s.name,
		Host:      s.hosts[r.IntN(len(s.hosts))],
		LatencyMS: latency,
		Status:    g.status(s, slow, incident),
		Lag:       time.Duration(lagMS) * time.Millisecond,
		Late:      lagMS >= LateMin.Milliseconds(),
		Incident:  incident,
	}
	return s.key, appendJSON(make([]byte, 0, 112), &e), e
}

// pick chooses a service by traffic share.
func (g *Generator) pick() int {
	u := g.rng.Float64()
	for i := range g.services {
		if u < g.services[i].weight {
			return i
		}
	}
	return len(g.services) - 1
}

func (g *Generator) status(s *service, slow, incident bool) int {
	r := g.rng
	errRate := s.errRate
	if incident {
		errRate = 0.2
	}
	if slow && r.Float64() < 0.05 {
		return 504
	}
	switch u := r.Float64(); {
	case u < errRate:
		return [...]int{500, 502, 503}[r.IntN(3)]
	case u < errRate+0.04:
		return [...]int{404, 404, 404, 400, 400, 429}[r.IntN(6)]
	case u < errRate+0.04+0.03:
		return 201
	case u < errRate+0.04+0.03+0.01:
		return 204
	}
	return 200
}

// inIncident reports whether an event time falls in the incident window.
func inIncident(tsMS int64) bool {
	in := tsMS % IncidentEvery.Milliseconds()
	if in < 0 {
		in += IncidentEvery.Milliseconds()
	}
	return in >= IncidentAt.Milliseconds() && in < (IncidentAt+IncidentFor).Milliseconds()
}

// appendJSON appends e's record value.
func appendJSON(b []byte, e *Event) []byte {
	b = append(b, `{"ts":`...)
	b = strconv.AppendInt(b, e.Time.UnixMilli(), 10)
	b = append(b, `,"service":"`...)
	b = append(b, e.Service...)
	b = append(b, `","host":"`...)
	b = append(b, e.Host...)
	b = append(b, `","latency_ms":`...)
	b = strconv.AppendFloat(b, e.LatencyMS, 'f', -1, 64)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	return append(b, '}')
}
