package alertrouting

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

// The topics: each service reports its health every CheckEvery, each
// edge node sends a heartbeat a minute.
const (
	ChecksTopic = "fleet_checks"
	EdgeTopic   = "edge_heartbeats"
	CheckEvery  = 10 * time.Second
	EdgeNodes   = 200
)

// Minutes is how many minutes of data the scenario has.
const Minutes = 85

// Services are the fleet's services.
var Services = [...]string{"api", "auth", "billing", "checkout", "inventory", "search"}

// The incidents, as minutes from the start (from the first minute up
// to, not including, the end).
const (
	// The billing service is down for maintenance (every check fails);
	// the SQL silences it.
	MaintenanceService             = "billing"
	MaintenanceFrom, MaintenanceTo = 12, 22
	// The checkout service is down (OutageErrors% of requests fail) and
	// slow (OutageP95 ms) at once; it is slow for one minute less.
	OutageService        = "checkout"
	OutageFrom, OutageTo = 25, 35
	OutageErrors         = 85.0
	OutageP95            = 2500.0
	// The inventory service fails BurstErrors% of its requests.
	BurstService       = "inventory"
	BurstFrom, BurstTo = 40, 45
	BurstErrors        = 12.0
	// The search service is slow (SlowP95 ms) for most of the scenario,
	// and nobody acknowledges its alert.
	SlowService      = "search"
	SlowFrom, SlowTo = 8, 75
	SlowP95          = 1500.0
	// Every edge node loses StormLoss% of its packets.
	StormFrom, StormTo = 55, 68
	StormLoss          = 40.0
)

// Generator writes one step a minute: six checks per service and one
// heartbeat per edge node.
type Generator struct {
	examples.Minutes
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{Minutes: examples.NewMinutes(cfg, 0xa1e7)}
}

// in reports whether minute m is in [from, to).
func in(m, from, to int) bool { return m >= from && m < to }

// timed is a record with its event time, for sorting.
type timed struct {
	at  time.Time
	rec examples.Record
}

// Next implements examples.Generator.
func (g *Generator) Next() (examples.Step, bool) {
	if g.Elapsed >= Minutes {
		return examples.Step{}, false
	}
	m, from := g.Advance()
	r := g.Rng
	var out []timed
	for at := time.Duration(0); at < time.Minute; at += CheckEvery {
		for i, s := range Services {
			ts := from.Add(at + time.Duration(i)*time.Second)
			requests := 200 + r.IntN(100)
			errPct := 0.2 + 0.8*r.Float64()
			p95 := 120 + 150*r.Float64()
			switch {
			case s == MaintenanceService && in(m, MaintenanceFrom, MaintenanceTo):
				errPct = 100
			case s == OutageService && in(m, OutageFrom, OutageTo):
				errPct = OutageErrors + 5*(r.Float64()-0.5)
				if m < OutageTo-1 {
					p95 = OutageP95 + 200*r.Float64()
				}
			case s == BurstService && in(m, BurstFrom, BurstTo):
				errPct = BurstErrors + 2*(r.Float64()-0.5)
			case s == SlowService && in(m, SlowFrom, SlowTo):
				p95 = SlowP95 + 200*r.Float64()
			}
			errors := int(math.Round(float64(requests) * errPct / 100))
			out = append(out, timed{ts, examples.Record{Topic: ChecksTopic, Key: []byte(s), Value: fmt.Appendf(nil,
				`{"ts":%d,"service":%q,"requests":%d,"errors":%d,"p95_ms":%.1f}`, ts.UnixMilli(), s, requests, errors, p95)}})
		}
	}
	for n := range EdgeNodes {
		node := fmt.Sprintf("edge-%03d", n+1)
		ts := from.Add(time.Duration(n) * time.Minute / EdgeNodes).Truncate(time.Millisecond)
		loss := 2 * r.Float64()
		if in(m, StormFrom, StormTo) {
			loss = StormLoss + 10*(r.Float64()-0.5)
		}
		out = append(out, timed{ts, examples.Record{Topic: EdgeTopic, Key: []byte(node), Value: fmt.Appendf(nil,
			`{"ts":%d,"node":%q,"site":"site-%d","loss_pct":%.2f}`, ts.UnixMilli(), node, n/30+1, loss)}})
	}
	slices.SortStableFunc(out, func(a, b timed) int { return a.at.Compare(b.at) })
	recs := make([]examples.Record, len(out))
	for i, t := range out {
		recs[i] = t.rec
	}
	return examples.Step{At: from, Records: recs}, true
}
