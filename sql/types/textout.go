package types

import (
	"math"
	"strconv"
	"time"
)

// The text output functions below append a value as Postgres prints it
// (DateStyle ISO, IntervalStyle postgres, TimeZone UTC,
// extra_float_digits = 1) and never allocate beyond growing dst. The
// wire encoder (pgwire/pgtypes) and casts to text both use them, so the
// two agree by construction.

// AppendFloat appends f as Postgres 12+ prints float4 (bits 32) and
// float8 (bits 64) with extra_float_digits = 1: the shortest decimal
// that reads back to the same value, in fixed notation when the decimal
// exponent is in [-4, 6) for float4 or [-4, 15) for float8 and in
// exponent notation with at least two exponent digits otherwise (the
// thresholds of Postgres's Ryu-based f2s.c and d2s.c), and NaN,
// Infinity, -Infinity, 0 and -0 spelled as Postgres spells them.
//
// Comparing |f| with the thresholds as floats picks the same notation
// as the exponent of the shortest decimal would: rounding to the
// nearest float is monotonic, and 1e15 and 1e6 are exact.
func AppendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	lo, hi := 1e-4, 1e15
	if bits == 32 {
		lo, hi = float64(float32(1e-4)), 1e6
	}
	if a := math.Abs(f); a >= lo && a < hi {
		return strconv.AppendFloat(dst, f, 'f', -1, bits)
	}
	// Go's exponent form matches Postgres's: "1e+15", "1.5e-07".
	return strconv.AppendFloat(dst, f, 'e', -1, bits)
}

// appendPadded appends the non-negative v in decimal, zero-padded on the
// left to width digits.
func appendPadded(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], v, 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// append2 appends 0 <= v < 100 as two digits.
func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// appendYMD appends a proleptic Gregorian date as YYYY-MM-DD, writing
// years before 1 as Postgres does (year 0 is 1 BC) and reporting whether
// the " BC" suffix is due.
func appendYMD(dst []byte, t time.Time) ([]byte, bool) {
	year, month, day := t.Date()
	bc := year <= 0
	if bc {
		year = 1 - year
	}
	if year < 10000 {
		dst = append2(dst, year/100)
		dst = append2(dst, year%100)
	} else {
		dst = strconv.AppendInt(dst, int64(year), 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, int(month))
	dst = append(dst, '-')
	return append2(dst, day), bc
}

// AppendDate appends days since 1970-01-01 as Postgres's ISO date output.
// The int32 extremes are Postgres's -infinity and infinity.
func AppendDate(dst []byte, days int32) []byte {
	switch days {
	case math.MaxInt32:
		return append(dst, "infinity"...)
	case math.MinInt32:
		return append(dst, "-infinity"...)
	}
	dst, bc := appendYMD(dst, time.Unix(int64(days)*86400, 0).UTC())
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// AppendTimestamp appends microseconds since the Unix epoch as
// Postgres's ISO timestamp output in UTC, with "+00" for timestamptz. The int64 extremes
// are Postgres's -infinity and infinity.
func AppendTimestamp(dst []byte, us int64, tz bool) []byte {
	switch us {
	case math.MaxInt64:
		return append(dst, "infinity"...)
	case math.MinInt64:
		return append(dst, "-infinity"...)
	}
	secs := us / MicrosPerSecond
	frac := us % MicrosPerSecond
	if frac < 0 {
		frac += MicrosPerSecond
		secs--
	}
	t := time.Unix(secs, 0).UTC()
	dst, bc := appendYMD(dst, t)
	dst = append(dst, ' ')
	hour, minute, sec := t.Clock()
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	dst = appendFraction(dst, frac)
	if tz {
		dst = append(dst, "+00"...)
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendFraction appends ".ffffff" for 0 < frac < 1e6 microseconds with
// trailing zeros removed, and nothing for 0.
func appendFraction(dst []byte, frac int64) []byte {
	if frac == 0 {
		return dst
	}
	var f [6]byte
	for i := 5; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 6
	for f[end-1] == '0' {
		end--
	}
	dst = append(dst, '.')
	return append(dst, f[:end]...)
}

// AppendInterval appends an interval in IntervalStyle postgres, as
// Postgres's EncodeInterval does: "1 year 2 mons -3 days +04:05:06.5".
// Each non-zero field is printed with a plural unit unless it is exactly
// 1, a positive field after a negative one gets a "+", and the time part
// is printed when it is non-zero or everything else is zero.
func AppendInterval(dst []byte, months, days int32, micros int64) []byte {
	zero, before := true, false
	part := func(dst []byte, v int64, unit string) []byte {
		if v == 0 {
			return dst
		}
		if !zero {
			dst = append(dst, ' ')
		}
		if before && v > 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, v, 10)
		dst = append(dst, ' ')
		dst = append(dst, unit...)
		if v != 1 {
			dst = append(dst, 's')
		}
		before = v < 0
		zero = false
		return dst
	}
	dst = part(dst, int64(months/12), "year")
	dst = part(dst, int64(months%12), "mon")
	dst = part(dst, int64(days), "day")
	hour := micros / MicrosPerHour
	rem := micros % MicrosPerHour
	minute := rem / MicrosPerMinute
	rem %= MicrosPerMinute
	sec := rem / MicrosPerSecond
	frac := rem % MicrosPerSecond
	if !zero && hour == 0 && minute == 0 && sec == 0 && frac == 0 {
		return dst
	}
	if !zero {
		dst = append(dst, ' ')
	}
	switch {
	case hour < 0 || minute < 0 || sec < 0 || frac < 0:
		dst = append(dst, '-')
	case before:
		dst = append(dst, '+')
	}
	dst = appendPadded(dst, abs(hour), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, abs(minute), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, abs(sec), 2)
	return appendFraction(dst, abs(frac))
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
