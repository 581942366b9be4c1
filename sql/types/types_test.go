package types

import "testing"

func TestLookupName(t *testing.T) {
	cases := map[string]Type{
		"DOUBLE PRECISION":         Float64Type,
		"double   precision":       Float64Type,
		"INT":                      Int32Type,
		"pg_catalog.int4":          Int32Type,
		"VARCHAR":                  VarcharType,
		"timestamp with time zone": TimestampTZType,
		"TIMESTAMPTZ":              TimestampTZType,
		"int2[]":                   ArrayOf(Int16),
		"text[]":                   ArrayOf(Text),
	}
	for name, want := range cases {
		got, ok := LookupName(name)
		if !ok || got != want {
			t.Errorf("LookupName(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := LookupName("geometry"); ok {
		t.Error("unknown type accepted")
	}
}

func TestCommonNumeric(t *testing.T) {
	cases := []struct{ a, b, want Type }{
		{Int32Type, Int64Type, Int64Type},
		{Int16Type, Int32Type, Int32Type},
		{Int64Type, Float32Type, Float64Type},
		{Float32Type, Float32Type, Float32Type},
		{Float64Type, Int16Type, Float64Type},
	}
	for _, c := range cases {
		if got, ok := CommonNumeric(c.a, c.b); !ok || got != c.want {
			t.Errorf("CommonNumeric(%v,%v) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
	if _, ok := CommonNumeric(TextType, Int32Type); ok {
		t.Error("text is not numeric")
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	cases := map[string]string{
		"2024-03-01T12:34:56.5Z":       "2024-03-01 12:34:56.5",
		"2024-03-01 12:34:56":          "2024-03-01 12:34:56",
		"2024-03-01T12:34:56+02:00":    "2024-03-01 10:34:56",
		"2024-03-01 00:00:00.000001":   "2024-03-01 00:00:00.000001",
		"1969-12-31 23:59:59.5":        "1969-12-31 23:59:59.5",
		"2024-03-01":                   "2024-03-01 00:00:00",
		"2024-03-01 12:34:56.123+0000": "2024-03-01 12:34:56.123",
	}
	for in, want := range cases {
		us, err := ParseTimestamp(in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", in, err)
			continue
		}
		if got := FormatTimestamp(us, false); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	if _, err := ParseTimestamp("yesterday-ish"); err == nil {
		t.Error("garbage accepted")
	}
	if got := FormatTimestamp(0, true); got != "1970-01-01 00:00:00+00" {
		t.Errorf("tz format %q", got)
	}
}

func TestParseInterval(t *testing.T) {
	cases := []struct {
		text, unit string
		want       IntervalValue
		str        string
	}{
		{"1", "MINUTE", IntervalValue{Micros: MicrosPerMinute}, "00:01:00"},
		{"5", "second", IntervalValue{Micros: 5 * MicrosPerSecond}, "00:00:05"},
		{"1 minute", "", IntervalValue{Micros: MicrosPerMinute}, "00:01:00"},
		{"2 hours 30 minutes", "", IntervalValue{Micros: 150 * MicrosPerMinute}, "02:30:00"},
		{"1 day", "", IntervalValue{Days: 1}, "1 day"},
		{"1 year 2 months 3 days", "", IntervalValue{Months: 14, Days: 3}, "1 year 2 mons 3 days"},
		{"1.5 seconds", "", IntervalValue{Micros: 1_500_000}, "00:00:01.5"},
		{"1 day 02:00:00", "", IntervalValue{Days: 1, Micros: 2 * MicrosPerHour}, "1 day 02:00:00"},
		{"-3 days", "", IntervalValue{Days: -3}, "-3 days"},
		{"100 ms", "", IntervalValue{Micros: 100_000}, "00:00:00.1"},
	}
	for _, c := range cases {
		got, err := ParseInterval(c.text, c.unit)
		if err != nil || got != c.want {
			t.Errorf("ParseInterval(%q,%q) = %+v, %v; want %+v", c.text, c.unit, got, err, c.want)
			continue
		}
		if s := got.String(); s != c.str {
			t.Errorf("String(%+v) = %q, want %q", got, s, c.str)
		}
	}
	for _, bad := range []string{"", "five minutes", "1 fortnight", "1:2:3:4"} {
		if _, err := ParseInterval(bad, ""); err == nil {
			t.Errorf("ParseInterval(%q) accepted", bad)
		}
	}
	if us, ok := (IntervalValue{Days: 1, Micros: 5}).Fixed(); !ok || us != MicrosPerDay+5 {
		t.Error("Fixed")
	}
	if _, ok := (IntervalValue{Months: 1}).Fixed(); ok {
		t.Error("a month is not fixed")
	}
}

func TestFormatFloat(t *testing.T) {
	a, b := 0.1, 0.2
	cases := map[float64]string{1.5: "1.5", 1e20: "1e+20", 1e-5: "1e-05", 100: "100", a + b: "0.30000000000000004"}
	for f, want := range cases {
		if got := FormatFloat(f, 64); got != want {
			t.Errorf("FormatFloat(%v) = %q want %q", f, got, want)
		}
	}
}
