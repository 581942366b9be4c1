package types

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrFieldRange is wrapped by the parse errors of well-formed date and
// time text with a field out of range ("2026-13-01"), which Postgres
// reports as 22008 rather than 22007.
var ErrFieldRange = errors.New("date/time field value out of range")

// Microseconds per unit.
const (
	MicrosPerSecond = int64(1_000_000)
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
	MicrosPerDay    = 24 * MicrosPerHour
)

// FormatTimestamp renders microseconds since the epoch as Postgres's ISO
// output in UTC: "2024-01-02 03:04:05.123456", trailing zero fractional
// digits dropped, "+00" appended for timestamptz.
func FormatTimestamp(us int64, tz bool) string {
	var buf [40]byte
	return string(AppendTimestamp(buf[:0], us, tz))
}

// FormatDate renders days since the epoch as "YYYY-MM-DD".
func FormatDate(days int32) string {
	var buf [20]byte
	return string(AppendDate(buf[:0], days))
}

// timestampLayouts are the input forms ParseTimestamp accepts, tried in
// order. Postgres accepts many more; these cover ISO 8601 / RFC 3339 and
// Postgres's own output.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimestamp parses a timestamp in ISO 8601 / RFC 3339 or Postgres
// text form and returns microseconds since the epoch (UTC). A zone
// offset in the text is applied; text without one is taken as UTC. The
// literals 'epoch' is accepted as Postgres does.
func ParseTimestamp(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "epoch") {
		return 0, nil
	}
	outOfRange := false
	for _, layout := range timestampLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t.Unix()*MicrosPerSecond + int64(t.Nanosecond()/1000), nil
		}
		outOfRange = outOfRange || isRangeError(err)
	}
	if outOfRange {
		return 0, fmt.Errorf("%w: %q", ErrFieldRange, s)
	}
	return 0, fmt.Errorf("invalid input syntax for type timestamp: %q", s)
}

// ParseDate parses "YYYY-MM-DD" into days since the epoch.
func ParseDate(s string) (int32, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		if isRangeError(err) {
			return 0, fmt.Errorf("%w: %q", ErrFieldRange, s)
		}
		return 0, fmt.Errorf("invalid input syntax for type date: %q", s)
	}
	return int32(t.Unix() / 86400), nil
}

// isRangeError reports whether a time.Parse error is about a field's
// value (month 13, day 32) rather than the text's form.
func isRangeError(err error) bool {
	var pe *time.ParseError
	return errors.As(err, &pe) && strings.HasSuffix(pe.Message, "out of range")
}
