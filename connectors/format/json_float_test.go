package format

import (
	"math"
	"strconv"
	"testing"
)

// checkFastFloat fails if fastFloat accepts s with a result other than
// strconv.ParseFloat's (bit for bit, so the sign of zero counts).
func checkFastFloat(t *testing.T, s string) (accepted bool) {
	t.Helper()
	got, ok := fastFloat([]byte(s))
	if !ok {
		return false
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("fastFloat(%q) = %v, but strconv rejects it: %v", s, got, err)
	}
	if math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("fastFloat(%q) = %v, strconv = %v", s, got, want)
	}
	return true
}

func TestFastFloat(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"12.345", true}, {"0", true}, {"-0", true}, {"-0.0", true}, {"+7.5", true},
		{".5", true}, {"5.", true}, {"9007199254740991", true}, {"0.1", true},
		{"123456789.123456", true}, {"0.0000000000000000000001", true},
		{"9007199254740993", false},          // above 2^53: strconv rounds it
		{"0.00000000000000000000001", false}, // 23 fraction digits
		{"1e3", false}, {"", false}, {"-", false}, {".", false}, {"1.2.3", false},
		{"NaN", false}, {"1_000", false}, {" 1", false},
	} {
		if got := checkFastFloat(t, c.in); got != c.ok {
			t.Errorf("fastFloat(%q) accepted = %v, want %v", c.in, got, c.ok)
		}
	}
}

func FuzzFastFloat(f *testing.F) {
	for _, s := range []string{"12.345", "-0.0", "9007199254740991", ".5", "1e3", "00012.5000", "+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkFastFloat(t, s) })
}
