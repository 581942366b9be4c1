package format

import (
	"math"
	"time"

	"github.com/tocsin-db/tocsin/sql/types"
)

// epochMillisToMicros converts a validated JSON number of milliseconds
// since the epoch to microseconds, exactly: the decimal digits are scaled
// by their exponent and rounded half away from zero at the microsecond.
// It fails if the result does not fit in an int64.
func epochMillisToMicros(num []byte) (int64, bool) {
	// Fast path: a plain integer of at most 15 digits (every epoch
	// millisecond until the year 33658) cannot overflow.
	if len(num) <= 15 {
		var v int64
		j := 0
		if num[0] == '-' {
			j = 1
		}
		for ; j < len(num) && isDigit(num[j]); j++ {
			v = v*10 + int64(num[j]-'0')
		}
		if j == len(num) {
			if num[0] == '-' {
				v = -v
			}
			return v * 1000, true
		}
	}
	i := 0
	neg := false
	if num[0] == '-' {
		neg = true
		i++
	}
	// The significant digits are num[i:intEnd] and num[fracStart:fracEnd];
	// the value is digits × 10^(exp - fracDigits) ms.
	intStart := i
	for i < len(num) && isDigit(num[i]) {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(num) && num[i] == '.' {
		i++
		fracStart = i
		for i < len(num) && isDigit(num[i]) {
			i++
		}
		fracEnd = i
	}
	exp := 0
	if i < len(num) && (num[i] == 'e' || num[i] == 'E') {
		i++
		eneg := false
		if num[i] == '+' || num[i] == '-' {
			eneg = num[i] == '-'
			i++
		}
		for ; i < len(num); i++ {
			if exp < 1_000_000_000 {
				exp = exp*10 + int(num[i]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	nInt := intEnd - intStart
	nDigits := nInt + fracEnd - fracStart
	digit := func(k int) uint64 {
		if k < nInt {
			return uint64(num[intStart+k] - '0')
		}
		return uint64(num[fracStart+k-nInt] - '0')
	}
	// Microseconds = digits × 10^scale; keep the first keep digits.
	scale := exp - (fracEnd - fracStart) + 3
	keep := nDigits + scale
	if keep > nDigits {
		keep = nDigits
	}
	var u uint64
	const limit = uint64(math.MaxInt64)
	for k := 0; k < keep; k++ {
		if u > limit/10 {
			return 0, false
		}
		u = u*10 + digit(k)
		if u > limit {
			return 0, false
		}
	}
	if scale > 0 && u != 0 {
		for s := 0; s < scale; s++ {
			if u > limit/10 {
				return 0, false
			}
			u *= 10
		}
	}
	// Round half away from zero on the first dropped digit.
	if keep >= 0 && keep < nDigits && digit(keep) >= 5 {
		u++
		if u > limit {
			return 0, false
		}
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// parseISOTimestamp is an allocation-free fast path for the common forms
// types.ParseTimestamp accepts:
//
//	YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}][Z|±HH|±HH:MM|±HHMM]
//
// It returns ok=false for anything else, including out-of-range fields,
// and the caller falls back to types.ParseTimestamp, so that every value
// it accepts is one types.ParseTimestamp accepts with the same result.
func parseISOTimestamp(b []byte) (int64, bool) {
	if len(b) < 19 || (b[10] != 'T' && b[10] != ' ') {
		return 0, false
	}
	days, ok := parseISODate(b[:10])
	if !ok || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	h, ok1 := twoDigits(b[11:13])
	mi, ok2 := twoDigits(b[14:16])
	sec, ok3 := twoDigits(b[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	rest := b[19:]
	var micros int64
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		digits := n - 1
		if digits == 0 || digits > 9 {
			return 0, false
		}
		for k := 1; k <= 6; k++ {
			micros *= 10
			if k <= digits {
				micros += int64(rest[k] - '0')
			}
		}
		rest = rest[n:]
	}
	var offset int64 // seconds east of UTC
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0] == 'Z':
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int
		var ok bool
		switch len(rest) {
		case 3: // ±HH
			oh, ok = twoDigits(rest[1:3])
		case 5: // ±HHMM
			oh, ok = twoDigits(rest[1:3])
			if ok {
				om, ok = twoDigits(rest[3:5])
			}
		case 6: // ±HH:MM
			oh, ok = twoDigits(rest[1:3])
			if ok && rest[3] == ':' {
				om, ok = twoDigits(rest[4:6])
			} else {
				ok = false
			}
		}
		if !ok || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*3600 + om*60)
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	secs := int64(days)*86400 + int64(h*3600+mi*60+sec) - offset
	return secs*types.MicrosPerSecond + micros, true
}

// parseISODate is an allocation-free fast path for types.ParseDate on the
// exact form YYYY-MM-DD with a valid day of month; anything else returns
// ok=false.
func parseISODate(b []byte) (int32, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y1, ok1 := twoDigits(b[0:2])
	y2, ok2 := twoDigits(b[2:4])
	m, ok3 := twoDigits(b[5:7])
	d, ok4 := twoDigits(b[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	y := y1*100 + y2
	if d > daysIn(time.Month(m), y) {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return int32(t.Unix() / 86400), true
}

func twoDigits(b []byte) (int, bool) {
	if !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
