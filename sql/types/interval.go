package types

import (
	"fmt"
	"strconv"
	"strings"
)

// IntervalValue is a Postgres interval: months, days and microseconds are
// kept apart because a month and a day have no fixed length.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// Fixed reports whether the interval has a fixed length (no months) and
// returns it in microseconds, counting a day as 24 hours as Postgres's
// window functions and date_bin do.
func (iv IntervalValue) Fixed() (int64, bool) {
	if iv.Months != 0 {
		return 0, false
	}
	return int64(iv.Days)*MicrosPerDay + iv.Micros, true
}

// String renders the interval in Postgres's "postgres" IntervalStyle:
// "1 year 2 mons -3 days +04:05:06.5".
func (iv IntervalValue) String() string {
	var buf [64]byte
	return string(AppendInterval(buf[:0], iv.Months, iv.Days, iv.Micros))
}

// intervalUnits maps unit words (singular, plural and abbreviations, as
// Postgres accepts them) to a multiplier on one of the three fields.
var intervalUnits = map[string]struct {
	field  int // 0 months, 1 days, 2 micros
	factor int64
}{
	"microsecond": {2, 1}, "microseconds": {2, 1}, "us": {2, 1}, "usec": {2, 1}, "usecs": {2, 1},
	"millisecond": {2, 1000}, "milliseconds": {2, 1000}, "ms": {2, 1000}, "msec": {2, 1000}, "msecs": {2, 1000},
	"second": {2, MicrosPerSecond}, "seconds": {2, MicrosPerSecond}, "s": {2, MicrosPerSecond}, "sec": {2, MicrosPerSecond}, "secs": {2, MicrosPerSecond},
	"minute": {2, MicrosPerMinute}, "minutes": {2, MicrosPerMinute}, "m": {2, MicrosPerMinute}, "min": {2, MicrosPerMinute}, "mins": {2, MicrosPerMinute},
	"hour": {2, MicrosPerHour}, "hours": {2, MicrosPerHour}, "h": {2, MicrosPerHour}, "hr": {2, MicrosPerHour}, "hrs": {2, MicrosPerHour},
	"day": {1, 1}, "days": {1, 1}, "d": {1, 1},
	"week": {1, 7}, "weeks": {1, 7}, "w": {1, 7},
	"month": {0, 1}, "months": {0, 1}, "mon": {0, 1}, "mons": {0, 1},
	"year": {0, 12}, "years": {0, 12}, "y": {0, 12}, "yr": {0, 12}, "yrs": {0, 12},
}

// ParseInterval parses Postgres interval input: a sequence of "<number>
// <unit>" pairs ("1 minute", "1 day 2 hours", "1.5 seconds", "-3 days")
// and optional "HH:MM[:SS[.ffffff]]" time part ("1 day 02:00:00"). When
// unit is non-empty (INTERVAL '5' SECOND), text must be a single number
// and unit gives its unit.
func ParseInterval(text, unit string) (IntervalValue, error) {
	var iv IntervalValue
	bad := func() (IntervalValue, error) {
		return IntervalValue{}, fmt.Errorf("invalid input syntax for type interval: %q", text)
	}
	fields := strings.Fields(strings.ToLower(text))
	if unit != "" {
		if len(fields) != 1 {
			return bad()
		}
		fields = append(fields, strings.ToLower(unit))
	}
	if len(fields) == 0 {
		return bad()
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			us, ok := parseClock(f)
			if !ok {
				return bad()
			}
			iv.Micros += us
			continue
		}
		num, err := strconv.ParseFloat(f, 64)
		if err != nil {
			// "5minutes" is not accepted; "@" prefix is.
			if f == "@" || f == "ago" {
				if f == "ago" {
					iv = IntervalValue{-iv.Months, -iv.Days, -iv.Micros}
				}
				continue
			}
			return bad()
		}
		if i+1 >= len(fields) {
			// A bare number means seconds.
			iv.Micros += int64(num * float64(MicrosPerSecond))
			continue
		}
		i++
		u, ok := intervalUnits[fields[i]]
		if !ok {
			return bad()
		}
		switch u.field {
		case 0:
			whole := int64(num * float64(u.factor))
			iv.Months += int32(whole)
			// Fractional months spill into days (30 per month), as in Postgres.
			rem := num*float64(u.factor) - float64(whole)
			iv.Days += int32(rem * 30)
		case 1:
			whole := int64(num * float64(u.factor))
			iv.Days += int32(whole)
			rem := num*float64(u.factor) - float64(whole)
			iv.Micros += int64(rem * float64(MicrosPerDay))
		default:
			iv.Micros += int64(num * float64(u.factor))
		}
	}
	return iv, nil
}

func parseClock(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	us := h*MicrosPerHour + m*MicrosPerMinute
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, false
		}
		us += int64(sec * float64(MicrosPerSecond))
	}
	if neg {
		us = -us
	}
	return us, true
}
