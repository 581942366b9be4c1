package alert

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Config is a sink's lifecycle options. NewManager uses the values as
// given (a zero GroupWait flushes a new group at once, a zero
// RepeatInterval never repeats); DefaultConfig and ParseConfig fill in
// the defaults.
type Config struct {
	// Sink is the sink's name: the alertname label and the Notification's
	// Sink.
	Sink string
	// IDBase offsets alert ids: they are IDBase+1, IDBase+2, ...
	IDBase int64
	// For is how long the condition must hold before a pending alert
	// fires; KeepFiringFor how long a firing alert keeps firing after
	// the condition stopped holding.
	For, KeepFiringFor time.Duration
	// ResolveTimeout, when positive, ends the condition of an alert that
	// has not been observed active for that long (append-only views
	// never retract a row).
	ResolveTimeout time.Duration
	// GroupBy lists the label names alerts are grouped by; empty means
	// one group for the whole sink.
	GroupBy []string
	// GroupWait delays a new group's first notification; GroupInterval
	// spaces a group's later notifications; RepeatInterval re-sends an
	// unchanged group that still has firing alerts (0: never).
	GroupWait, GroupInterval, RepeatInterval time.Duration
	// Routes names the channels of each severity; DefaultRoute serves
	// severities without a route (NewManager uses {"default"} when it
	// is empty).
	Routes       map[Severity][]string
	DefaultRoute []string
	// EscalateAfter is, per severity, how long a firing alert may stay
	// unacknowledged before it is re-sent to the next more urgent
	// severity's channels.
	EscalateAfter map[Severity]time.Duration
	// RateLimit caps the notifications per RateInterval (0: unlimited).
	RateLimit    int
	RateInterval time.Duration
	// FlapCount firing/resolved changes within FlapWindow mark a key as
	// flapping (0: off).
	FlapCount  int
	FlapWindow time.Duration
	// DedupDistance folds alerts of one notification whose annotation
	// SimHashes differ in at most this many bits (0: off).
	DedupDistance int
	// Retention is how long a resolved alert stays in Alerts() after its
	// resolution was notified (0: dropped at once).
	Retention time.Duration
}

// The defaults DefaultConfig and ParseConfig apply.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultRetention      = 24 * time.Hour
	// DefaultChannel is the channel of DefaultRoute when a sink routes
	// nothing.
	DefaultChannel = "default"
)

// DefaultConfig returns the configuration of a sink with no lifecycle
// options.
func DefaultConfig(sink string) *Config {
	return &Config{
		Sink:           sink,
		GroupWait:      DefaultGroupWait,
		GroupInterval:  DefaultGroupInterval,
		RepeatInterval: DefaultRepeatInterval,
		DefaultRoute:   []string{DefaultChannel},
		Retention:      DefaultRetention,
	}
}

// ParseConfig reads the lifecycle options from a sink's WITH options
// (keys lower-case) on top of DefaultConfig(sink):
//
//	for, keep_firing_for, resolve_timeout, group_wait, group_interval,
//	repeat_interval, retention        durations: '30s', '1h30m', '5 minutes'
//	group_by                          'a, b'
//	route.p0 .. route.p3, route.default   'ch1, ch2'
//	escalate_after.p1 .. escalate_after.p3   durations
//	rate_limit                        '10 per 1 minute', '10 per minute' or '10/1m'
//	flap_threshold                    '4 in 10 minutes' (count in window)
//	dedup_distance                    0..64
//
// It returns the keys it consumed, sorted, so the caller can reject the
// options nobody consumed. A bad value is a *sqlerr.Error with SQLSTATE
// 22023 naming the option.
func ParseConfig(sink string, opts map[string]string) (*Config, []string, error) {
	cfg := DefaultConfig(sink)
	var used []string
	durs := []struct {
		key string
		dst *time.Duration
	}{
		{"for", &cfg.For}, {"keep_firing_for", &cfg.KeepFiringFor},
		{"resolve_timeout", &cfg.ResolveTimeout}, {"group_wait", &cfg.GroupWait},
		{"group_interval", &cfg.GroupInterval}, {"repeat_interval", &cfg.RepeatInterval},
		{"retention", &cfg.Retention},
	}
	for _, d := range durs {
		v, ok := opts[d.key]
		if !ok {
			continue
		}
		used = append(used, d.key)
		dur, err := ParseDuration(v)
		if err != nil {
			return nil, nil, optionError(d.key, v, err.Error())
		}
		*d.dst = dur
	}
	if v, ok := opts["group_by"]; ok {
		used = append(used, "group_by")
		names, err := splitList(v)
		if err != nil {
			return nil, nil, optionError("group_by", v, err.Error())
		}
		cfg.GroupBy = names
	}
	if v, ok := opts["rate_limit"]; ok {
		used = append(used, "rate_limit")
		n, d, err := parseCountPer(v, []string{"per", "/"})
		if err != nil {
			return nil, nil, optionError("rate_limit", v, err.Error())
		}
		cfg.RateLimit, cfg.RateInterval = n, d
	}
	if v, ok := opts["flap_threshold"]; ok {
		used = append(used, "flap_threshold")
		n, d, err := parseCountPer(v, []string{"in"})
		if err != nil {
			return nil, nil, optionError("flap_threshold", v, err.Error())
		}
		if n < 2 {
			return nil, nil, optionError("flap_threshold", v, "the count must be at least 2")
		}
		cfg.FlapCount, cfg.FlapWindow = n, d
	}
	if v, ok := opts["dedup_distance"]; ok {
		used = append(used, "dedup_distance")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 64 {
			return nil, nil, optionError("dedup_distance", v, "expected an integer from 0 to 64")
		}
		cfg.DedupDistance = n
	}
	for key, v := range opts {
		switch {
		case strings.HasPrefix(key, "route."):
			used = append(used, key)
			chans, err := splitList(v)
			if err != nil {
				return nil, nil, optionError(key, v, err.Error())
			}
			name := strings.TrimPrefix(key, "route.")
			if name == "default" {
				cfg.DefaultRoute = chans
				continue
			}
			sev, err := ParseSeverity(name)
			if err != nil || sev == SeverityNone {
				return nil, nil, optionError(key, v, "the route must be route.p0 .. route.p3 or route.default")
			}
			if cfg.Routes == nil {
				cfg.Routes = map[Severity][]string{}
			}
			cfg.Routes[sev] = chans
		case strings.HasPrefix(key, "escalate_after."):
			used = append(used, key)
			sev, err := ParseSeverity(strings.TrimPrefix(key, "escalate_after."))
			if err != nil || sev == SeverityNone || sev == P0 {
				return nil, nil, optionError(key, v, "escalation is escalate_after.p1 .. escalate_after.p3 (P0 has nothing above it)")
			}
			d, err := ParseDuration(v)
			if err != nil {
				return nil, nil, optionError(key, v, err.Error())
			}
			if d <= 0 {
				return nil, nil, optionError(key, v, "the delay must be positive")
			}
			if cfg.EscalateAfter == nil {
				cfg.EscalateAfter = map[Severity]time.Duration{}
			}
			cfg.EscalateAfter[sev] = d
		}
	}
	if cfg.GroupInterval <= 0 {
		return nil, nil, optionError("group_interval", opts["group_interval"], "the interval must be positive")
	}
	sort.Strings(used)
	return cfg, used, nil
}

func optionError(key, value, why string) error {
	return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value %q for sink option %q: %s", value, key, why)
}

// splitList splits 'a, b' into non-empty trimmed names.
func splitList(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("expected a comma-separated list of names")
		}
		out = append(out, p)
	}
	return out, nil
}

// parseCountPer parses "<n> <sep> <duration>" for one of the separators;
// "10 per minute" reads as 10 per 1 minute.
func parseCountPer(v string, seps []string) (int, time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	for _, sep := range seps {
		i := strings.Index(s, sep)
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s[:i]))
		if err != nil || n <= 0 {
			return 0, 0, fmt.Errorf("expected a positive count before %q", sep)
		}
		rest := strings.TrimSpace(s[i+len(sep):])
		if rest != "" && (rest[0] < '0' || rest[0] > '9') {
			rest = "1 " + rest
		}
		d, err := ParseDuration(rest)
		if err != nil {
			return 0, 0, err
		}
		if d <= 0 {
			return 0, 0, fmt.Errorf("the interval must be positive")
		}
		return n, d, nil
	}
	return 0, 0, fmt.Errorf("expected '<count> %s <interval>'", seps[0])
}

// sqlUnits maps SQL interval unit words to durations.
var sqlUnits = map[string]time.Duration{
	"microsecond": time.Microsecond, "microseconds": time.Microsecond, "us": time.Microsecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond, "ms": time.Millisecond,
	"second": time.Second, "seconds": time.Second, "sec": time.Second, "secs": time.Second, "s": time.Second,
	"minute": time.Minute, "minutes": time.Minute, "min": time.Minute, "mins": time.Minute, "m": time.Minute,
	"hour": time.Hour, "hours": time.Hour, "hr": time.Hour, "hrs": time.Hour, "h": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour, "d": 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// ParseDuration parses a non-negative duration written in Go syntax
// ('30s', '1h30m') or as SQL interval text ('5 minutes', '1 hour 30
// minutes', '30 second').
func ParseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if s == "" {
		return 0, fmt.Errorf("expected a duration such as '30s' or '5 minutes'")
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("the duration must not be negative")
		}
		return d, nil
	}
	fields := strings.Fields(s)
	var total time.Duration
	for i := 0; i < len(fields); i++ {
		num, unit := fields[i], ""
		if j := strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); j > 0 {
			num, unit = num[:j], num[j:]
		} else if i+1 < len(fields) {
			i++
			unit = fields[i]
		}
		f, err := strconv.ParseFloat(num, 64)
		mult, ok := sqlUnits[unit]
		if err != nil || !ok || f < 0 {
			return 0, fmt.Errorf("expected a duration such as '30s' or '5 minutes'")
		}
		part := f * float64(mult)
		if part > float64(1<<62) || float64(total)+part > float64(1<<62) {
			return 0, fmt.Errorf("the duration is too long")
		}
		total += time.Duration(part)
	}
	return total, nil
}
