package loganomalies

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/tocsin-db/tocsin/examples"
)

// Topic is the topic the log lines go to.
const Topic = "app_logs"

// Minutes is how many minutes of logs the scenario has.
const Minutes = 80

// The injected anomalies, as minutes from the start (from the first
// minute up to, not including, the end).
const (
	// NewFrom..NewTo: a message never logged before appears, NewPerMinute
	// times a minute (a bug shipped by a deploy, then rolled back).
	NewFrom, NewTo = 40, 44
	NewPerMinute   = 6
	// SpikeFrom..SpikeTo: the payment gateway's timeouts, usually a few
	// a minute, come SpikePerMinute a minute.
	SpikeFrom, SpikeTo = 55, 58
	SpikePerMinute     = 90
)

// kind is one kind of log line: its level, its usual count per minute
// (varied by up to ±spread) and how to render a message.
type kind struct {
	service, level string
	perMinute      int
	spread         int
	render         func(r *rand.Rand) string
}

var (
	regions  = [...]string{"eu-west", "us-east", "ap-south"}
	jobs     = [...]string{"reindex-catalog", "expire-carts", "send-digests"}
	products = [...]string{"shoes", "shirts", "hats", "bags"}
)

func id(r *rand.Rand, prefix string, n int) string { return prefix + strconv.Itoa(r.IntN(n)) }

var kinds = [...]kind{
	{"web", "INFO", 60, 8, func(r *rand.Rand) string {
		return fmt.Sprintf("GET /products/%s/%d served in %d ms", products[r.IntN(len(products))], r.IntN(5000), 5+r.IntN(80))
	}},
	{"auth", "INFO", 30, 5, func(r *rand.Rand) string {
		return fmt.Sprintf("user %s logged in from 10.%d.%d.%d", id(r, "u", 90000), r.IntN(256), r.IntN(256), r.IntN(256))
	}},
	{"orders", "INFO", 20, 4, func(r *rand.Rand) string {
		return fmt.Sprintf("order %s created for customer %s total %d.%02d EUR", id(r, "o", 1e6), id(r, "c", 5e4), 5+r.IntN(400), r.IntN(100))
	}},
	{"cache", "DEBUG", 12, 3, func(r *rand.Rand) string {
		return fmt.Sprintf("cache hit ratio %d%% in region %s", 80+r.IntN(20), regions[r.IntN(len(regions))])
	}},
	{"db", "INFO", 10, 3, func(r *rand.Rand) string {
		return fmt.Sprintf("connection pool: %d active, %d idle", r.IntN(40), r.IntN(20))
	}},
	{"scheduler", "INFO", 6, 2, func(r *rand.Rand) string {
		return fmt.Sprintf("job %s finished in %d ms", jobs[r.IntN(len(jobs))], 200+r.IntN(5000))
	}},
	{"payments", "WARN", 6, 2, paymentTimeout},
}

func paymentTimeout(r *rand.Rand) string {
	return fmt.Sprintf("payment gateway timeout after %d ms for order %s", 3000+r.IntN(2000), id(r, "o", 1e6))
}

func newError(r *rand.Rand) string {
	return fmt.Sprintf("NullPointerException in CouponService.apply at line 214 for cart %s", id(r, "k", 1e5))
}

// Line is one generated log line.
type Line struct {
	Time           time.Time
	Service, Level string
	Message        string
}

// JSON returns l as the record value.
func (l Line) JSON() []byte {
	return fmt.Appendf(nil, `{"ts":%d,"service":%q,"level":%q,"msg":%q}`, l.Time.UnixMilli(), l.Service, l.Level, l.Message)
}

// Generator writes one step of log lines per minute.
type Generator struct {
	examples.Minutes
}

var _ examples.Generator = (*Generator)(nil)

// NewGenerator returns the scenario's generator.
func NewGenerator(cfg examples.Config) *Generator {
	return &Generator{Minutes: examples.NewMinutes(cfg, 0x1065)}
}

// Next implements examples.Generator.
func (g *Generator) Next() (examples.Step, bool) {
	if g.Elapsed >= Minutes {
		return examples.Step{}, false
	}
	from := g.Start.Add(time.Duration(g.Elapsed) * time.Minute)
	lines := g.Minute()
	recs := make([]examples.Record, len(lines))
	for i, l := range lines {
		recs[i] = examples.Record{Topic: Topic, Key: []byte(l.Service), Value: l.JSON()}
	}
	return examples.Step{At: from, Records: recs}, true
}

// Minute returns the next minute's log lines in event-time order.
func (g *Generator) Minute() []Line {
	m, from := g.Advance()
	r := g.Rng
	var out []Line
	add := func(service, level string, n int, render func(*rand.Rand) string) {
		for range n {
			out = append(out, Line{Time: from.Add(time.Duration(r.Int64N(int64(time.Minute)))).Truncate(time.Millisecond),
				Service: service, Level: level, Message: render(r)})
		}
	}
	for _, k := range kinds {
		n := k.perMinute - k.spread + r.IntN(2*k.spread+1)
		if k.service == "payments" && m >= SpikeFrom && m < SpikeTo {
			n = SpikePerMinute
		}
		add(k.service, k.level, n, k.render)
	}
	if m >= NewFrom && m < NewTo {
		add("orders", "ERROR", NewPerMinute, newError)
	}
	slices.SortStableFunc(out, func(a, b Line) int { return a.Time.Compare(b.Time) })
	return out
}
