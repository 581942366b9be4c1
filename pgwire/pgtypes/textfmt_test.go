package pgtypes

import (
	"math"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/sql/types"
)

func TestAppendFloat(t *testing.T) {
	a, b := 0.1, 0.2
	f8 := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-2.5, "-2.5"},
		{100, "100"},
		{a + b, "0.30000000000000004"},
		{1e6, "1000000"},
		{1234567.5, "1234567.5"},
		{123456789012345, "123456789012345"},
		{1e15, "1e+15"},
		{1.5e16, "1.5e+16"},
		{1e-4, "0.0001"},
		{1.25e-4, "0.000125"},
		{1e-5, "1e-05"},
		{1.5e-7, "1.5e-07"},
		{1e100, "1e+100"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, c := range f8 {
		if got := string(appendFloat(nil, c.v, 64)); got != c.want {
			t.Errorf("float8 %v: got %q want %q", c.v, got, c.want)
		}
	}
	f4 := []struct {
		v    float32
		want string
	}{
		{0.1, "0.1"},
		{100000, "100000"},
		{123456.7, "123456.7"},
		{1e6, "1e+06"},
		{1234567, "1.234567e+06"},
		{math.MaxFloat32, "3.4028235e+38"},
		{1e-4, "0.0001"},
		{1e-5, "1e-05"},
		{float32(math.Inf(-1)), "-Infinity"},
	}
	for _, c := range f4 {
		if got := string(appendTextFloat32(nil, c.v)); got != c.want {
			t.Errorf("float4 %v: got %q want %q", c.v, got, c.want)
		}
	}
}

func TestAppendInterval(t *testing.T) {
	sec := types.MicrosPerSecond
	cases := []struct {
		months, days int32
		micros       int64
		want         string
	}{
		{0, 0, 0, "00:00:00"},
		{0, 1, 0, "1 day"},
		{1, 0, 0, "1 mon"},
		{14, 3, 0, "1 year 2 mons 3 days"},
		{0, 0, 5 * sec, "00:00:05"},
		{0, 0, -5 * sec, "-00:00:05"},
		{0, 1, -5 * sec, "1 day -00:00:05"},
		{0, -1, 2 * types.MicrosPerHour, "-1 days +02:00:00"},
		{-12, 0, 0, "-1 years"},
		{-13, 0, 0, "-1 years -1 mons"},
		{-1, 1, 0, "-1 mons +1 day"},
		{0, 0, 1500 * 1000, "00:00:01.5"},
		{0, 0, 100 * types.MicrosPerHour, "100:00:00"},
		{0, 0, -1, "-00:00:00.000001"},
		{0, 2, 3*types.MicrosPerHour + 4*types.MicrosPerMinute + 5*sec + 600, "2 days 03:04:05.0006"},
	}
	for _, c := range cases {
		if got := string(appendInterval(nil, c.months, c.days, c.micros)); got != c.want {
			t.Errorf("interval %d/%d/%d: got %q want %q", c.months, c.days, c.micros, got, c.want)
		}
	}
}

func TestAppendDateTimestamp(t *testing.T) {
	day := func(y int, m time.Month, d int) int32 {
		return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	dates := []struct {
		days int32
		want string
	}{
		{0, "1970-01-01"},
		{-1, "1969-12-31"},
		{day(2024, 2, 29), "2024-02-29"},
		{day(1, 1, 1), "0001-01-01"},
		{day(0, 1, 1), "0001-01-01 BC"},
		{day(-43, 3, 15), "0044-03-15 BC"},
		{day(12345, 6, 7), "12345-06-07"},
		{math.MaxInt32, "infinity"},
		{math.MinInt32, "-infinity"},
	}
	for _, c := range dates {
		if got := string(appendDate(nil, c.days)); got != c.want {
			t.Errorf("date %d: got %q want %q", c.days, got, c.want)
		}
	}
	us := func(y int, m time.Month, d, hh, mm, ss, micro int) int64 {
		return time.Date(y, m, d, hh, mm, ss, micro*1000, time.UTC).UnixMicro()
	}
	stamps := []struct {
		us   int64
		tz   bool
		want string
	}{
		{0, false, "1970-01-01 00:00:00"},
		{0, true, "1970-01-01 00:00:00+00"},
		{us(2024, 1, 2, 3, 4, 5, 500000), false, "2024-01-02 03:04:05.5"},
		{us(2024, 1, 2, 3, 4, 5, 123456), true, "2024-01-02 03:04:05.123456+00"},
		{-1, false, "1969-12-31 23:59:59.999999"},
		{us(0, 12, 31, 23, 59, 59, 0), false, "0001-12-31 23:59:59 BC"},
		{us(0, 12, 31, 23, 59, 59, 0), true, "0001-12-31 23:59:59+00 BC"},
		{us(10000, 1, 1, 0, 0, 0, 0), false, "10000-01-01 00:00:00"},
		{math.MaxInt64, true, "infinity"},
		{math.MinInt64, false, "-infinity"},
	}
	for _, c := range stamps {
		if got := string(appendTimestamp(nil, c.us, c.tz)); got != c.want {
			t.Errorf("timestamp %d: got %q want %q", c.us, got, c.want)
		}
	}
}

func TestAppendByteaAndArrayElem(t *testing.T) {
	if got := string(appendBytea(nil, nil)); got != `\x` {
		t.Errorf("empty bytea %q", got)
	}
	if got := string(appendBytea(nil, []byte{0xde, 0xad, 0x00, 0x0f})); got != `\xdead000f` {
		t.Errorf("bytea %q", got)
	}
	elems := map[string]string{
		"a":           "a",
		"":            `""`,
		"NULL":        `"NULL"`,
		"nUlL":        `"nUlL"`,
		"NULLS":       "NULLS",
		"b c":         `"b c"`,
		`x"y`:         `"x\"y"`,
		`back\slash`:  `"back\\slash"`,
		"{}":          `"{}"`,
		"a,b":         `"a,b"`,
		"tab\there":   "\"tab\there\"",
		"é":           "é",
		"2024-01-01":  "2024-01-01",
		"1.5e+06":     "1.5e+06",
		"line\nbreak": "\"line\nbreak\"",
	}
	for in, want := range elems {
		if got := string(appendArrayElem(nil, []byte(in))); got != want {
			t.Errorf("elem %q: got %q want %q", in, got, want)
		}
	}
}

// TestTimestampMatchesTypes checks the allocation-free timestamp
// formatter against sql/types, which owns the format.
func TestTimestampMatchesTypes(t *testing.T) {
	for _, us := range []int64{0, 1, -1, 1700000000123456, -62135596800000000, -62135596800000001, 253402300800000000, math.MaxInt64 - 1, math.MinInt64 + 1} {
		for _, tz := range []bool{false, true} {
			got := string(appendTimestamp(nil, us, tz))
			want := string(types.AppendTimestamp(nil, us, tz))
			if got != want {
				t.Errorf("%d tz=%v: got %q, types says %q", us, tz, got, want)
			}
		}
	}
}
