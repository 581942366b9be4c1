package format

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/types"
)

var timestampSeeds = []string{
	"2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-01-02T03:04:05.1", "2024-01-02T03:04:05.123456789",
	"2024-01-02T03:04:05.1234567891", "2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05-0800", "2024-01-02 03:04:05+00",
	"2024-01-02T03:04:05+24:00", "2024-01-02T03:04:05+23:60", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
	"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.5Z", "2024-01-02T24:00:00Z",
	"2024-01-02T03:04:60Z", "2024-01-02t03:04:05z", "2024-01-02T03:04:05,5Z", "2024-13-01T00:00:00Z",
	"2024-01-02", "2024-01-02 03:04", "2024-1-02T03:04:05Z", "+2024-01-02T03:04:05Z", "2024-01-02T03:04:05.Z",
}

// FuzzTimestampFastPath holds the allocation-free parsers to the slow
// ones in sql/types: whatever the fast path accepts, the slow path
// accepts with the same value.
func FuzzTimestampFastPath(f *testing.F) {
	for _, s := range timestampSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if us, ok := parseISOTimestamp([]byte(s)); ok {
			want, err := types.ParseTimestamp(s)
			if err != nil || want != us {
				t.Fatalf("%q: fast path %d, ParseTimestamp %d, %v", s, us, want, err)
			}
		}
		if days, ok := parseISODate([]byte(s)); ok {
			want, err := types.ParseDate(s)
			if err != nil || want != days {
				t.Fatalf("%q: fast path %d, ParseDate %d, %v", s, days, want, err)
			}
		}
	})
}

func TestTimestampFastPathCoversCommonForms(t *testing.T) {
	for _, s := range []string{
		"2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-01-02T03:04:05.123456789",
		"2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05-0800", "2024-01-02 03:04:05.5+00",
	} {
		if _, ok := parseISOTimestamp([]byte(s)); !ok {
			t.Errorf("%q fell off the fast path", s)
		}
	}
	if _, ok := parseISODate([]byte("2024-02-29")); !ok {
		t.Error("date fell off the fast path")
	}
}

func TestEpochMillisToMicros(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"1", 1000, true},
		{"1.0015", 1002, true},
		{"1.0014999", 1001, true},
		{"-1.0015", -1002, true},
		{"123e-3", 123, true},
		{"1E+3", 1000000, true},
		{"0.00000000000000000000000001e26", 1000, true},
		{"9223372036854775.807", 9223372036854775807, true},
		{"9223372036854775.8075", 0, false},
		{"-9223372036854775.807", -9223372036854775807, true},
		{"100000000000000000000", 0, false},
	}
	for _, tc := range cases {
		got, ok := epochMillisToMicros([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: got %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
