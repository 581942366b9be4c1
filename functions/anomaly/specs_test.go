package anomaly

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// numCase is one detector configuration the generic tests run.
type numCase struct {
	spec   string
	params []float64
}

// numCases covers every numeric spec, with small windows so that rings
// wrap and deques evict within the test streams.
var numCases = []numCase{
	{"ZSCORE", []float64{5}},
	{"ZSCORE", []float64{100}},
	{"MAD_ZSCORE", []float64{4}},
	{"MAD_ZSCORE", []float64{7}},
	{"EWMA", []float64{0.3}},
	{"EWM_ZSCORE", []float64{0.05}},
	{"EWM_ZSCORE", []float64{1}},
	{"ADWIN_DRIFT", []float64{0.002}},
	{"ADWIN_MEAN", []float64{0.1}},
	{"RANGE_EXCESS", []float64{0}},
	{"RANGE_EXCESS", []float64{6}},
	{"ANOMALY_LIKELIHOOD", []float64{3, 20}},
}

// numSpec returns the numeric spec named name.
func numSpec(t testing.TB, name string) Spec {
	t.Helper()
	for _, s := range NumericSpecs() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no numeric spec %s", name)
	return Spec{}
}

// newNum builds a model of a case.
func newNum(t testing.TB, c numCase) Model {
	t.Helper()
	s := numSpec(t, c.spec)
	if len(c.params) != len(s.Params) {
		t.Fatalf("%s takes %d params", c.spec, len(s.Params))
	}
	for i, p := range s.Params {
		if p.Check != nil {
			if err := p.Check(c.params[i]); err != nil {
				t.Fatalf("%s %s = %v: %v", c.spec, p.Name, c.params[i], err)
			}
		}
	}
	return s.New(c.params)
}

// numRun feeds xs to m in batches (nil valid: every row valid).
func numRun(m Model, xs []float64, valid []bool, batch int) ([]float64, []bool) {
	out := make([]float64, len(xs))
	ok := make([]bool, len(xs))
	for i := 0; i < len(xs); i += batch {
		j := min(i+batch, len(xs))
		var v []bool
		if valid != nil {
			v = valid[i:j]
		}
		m.Step(xs[i:j], v, out[i:j], ok[i:j])
	}
	return out, ok
}

// numStream is a deterministic test stream of n rows: noise around a
// level that steps up two thirds of the way, a spike, a run of equal
// values, and NULL, NaN, ±Inf and huge inputs sprinkled in.
func numStream(n int) ([]float64, []bool) {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, n)
	valid := make([]bool, n)
	for i := range xs {
		valid[i] = true
		x := r.NormFloat64()
		switch {
		case i > 2*n/3:
			x += 6
		case i == n/2:
			x = 40
		case i > n/4 && i < n/4+12:
			x = 2.5
		}
		switch i % 37 {
		case 5:
			valid[i] = false
		case 11:
			x = math.NaN()
		case 17:
			x = math.Inf(1 - 2*(i%2))
		case 23:
			x = 1e200
		}
		xs[i] = x
	}
	return xs, valid
}

// sameOutputs reports the first row where two runs differ bit for bit.
func sameOutputs(a []float64, aok []bool, b []float64, bok []bool) int {
	for i := range a {
		if aok[i] != bok[i] || aok[i] && math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestNumericCheckpointSplit splits the stream at every point,
// checkpoints, restores into a fresh model and continues: outputs and the
// final state must equal the unsplit run's bit for bit.
func TestNumericCheckpointSplit(t *testing.T) {
	xs, valid := numStream(260)
	for _, c := range numCases {
		ref := newNum(t, c)
		want, wantOK := numRun(ref, xs, valid, 7)
		wantState := ref.AppendState(nil)
		for k := 0; k <= len(xs); k++ {
			a := newNum(t, c)
			gotA, okA := numRun(a, xs[:k], valid[:k], 5)
			state := a.AppendState([]byte("prefix"))[len("prefix"):]
			b := newNum(t, c)
			if err := b.RestoreState(state); err != nil {
				t.Fatalf("%v split at %d: %v", c, k, err)
			}
			gotB, okB := numRun(b, xs[k:], valid[k:], 3)
			got, gotOK := append(gotA, gotB...), append(okA, okB...)
			if i := sameOutputs(want, wantOK, got, gotOK); i >= 0 {
				t.Fatalf("%v split at %d: row %d: got %v/%v, want %v/%v", c, k, i, got[i], gotOK[i], want[i], wantOK[i])
			}
			if s := b.AppendState(nil); !bytes.Equal(s, wantState) {
				t.Fatalf("%v split at %d: final state differs", c, k)
			}
		}
	}
}

// TestNumericNullAndNonFinite checks that NULL and unusable inputs yield
// NULL and leave the state unchanged, and that a nil valid means all rows
// valid.
func TestNumericNullAndNonFinite(t *testing.T) {
	xs, _ := numStream(120)
	for _, c := range numCases {
		m := newNum(t, c)
		clean := make([]float64, 0, len(xs))
		for _, x := range xs {
			if numUsable(x) {
				clean = append(clean, x)
			}
		}
		numRun(m, clean[:60], nil, 8)
		before := m.AppendState(nil)
		bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 2e150, -2e150, 3}
		out, ok := make([]float64, len(bad)), make([]bool, len(bad))
		m.Step(bad, []bool{true, true, true, true, true, false}, out, ok)
		for i := range bad {
			if ok[i] || out[i] != 0 {
				t.Errorf("%v: input %v (valid %v) gave %v/%v, want NULL", c, bad[i], i < 5, out[i], ok[i])
			}
		}
		if !bytes.Equal(before, m.AppendState(nil)) {
			t.Errorf("%v: unusable inputs changed the state", c)
		}
		all := make([]bool, len(clean))
		for i := range all {
			all[i] = true
		}
		o1, k1 := numRun(newNum(t, c), clean, nil, 9)
		o2, k2 := numRun(newNum(t, c), clean, all, 9)
		if i := sameOutputs(o1, k1, o2, k2); i >= 0 {
			t.Errorf("%v: nil valid differs from all-valid at row %d", c, i)
		}
	}
}

// TestNumericRestoreRejects feeds truncated, foreign and mismatched
// states: each is an Internal error and leaves the model unchanged.
func TestNumericRestoreRejects(t *testing.T) {
	xs, valid := numStream(150)
	states := map[string][]byte{}
	for _, c := range numCases {
		m := newNum(t, c)
		numRun(m, xs, valid, 10)
		states[c.spec] = m.AppendState(nil)
	}
	for _, c := range numCases {
		m := newNum(t, c)
		numRun(m, xs[:40], valid[:40], 10)
		before := m.AppendState(nil)
		check := func(what string, src []byte) {
			t.Helper()
			err := m.RestoreState(src)
			if err == nil {
				t.Fatalf("%v: %s accepted", c, what)
			}
			if code := sqlerr.CodeOf(err); code != sqlerr.Internal {
				t.Fatalf("%v: %s: code %v, want XX000", c, what, code)
			}
			if !bytes.Equal(before, m.AppendState(nil)) {
				t.Fatalf("%v: %s changed the model", c, what)
			}
		}
		own := newNum(t, c)
		numRun(own, xs, valid, 10)
		full := own.AppendState(nil)
		for k := range len(full) {
			check("a truncated state", full[:k])
		}
		check("trailing bytes", append(append([]byte{}, full...), 0))
		bad := append([]byte{}, full...)
		bad[0] = 99
		check("an unknown version", bad)
		for name, s := range states {
			if name != c.spec {
				check("the state of "+name, s)
			}
		}
		other := append([]float64{}, c.params...)
		other[len(other)-1] = otherParam(c)
		check("a state for other parameters", numSpec(t, c.spec).New(other).AppendState(nil))
	}
}

// otherParam returns a valid value of a case's last parameter that
// differs from the case's.
func otherParam(c numCase) float64 {
	p := c.params[len(c.params)-1]
	switch {
	case p == 0:
		return 1
	case p == 1:
		return 0.5
	case p < 1:
		return p / 2
	default:
		return p + 1
	}
}

// TestNumericParamChecks checks every parameter's constraint and that
// the defaults satisfy it.
func TestNumericParamChecks(t *testing.T) {
	for _, s := range NumericSpecs() {
		if s.Doc == "" || s.New == nil {
			t.Errorf("%s: missing Doc or New", s.Name)
		}
		for _, p := range s.Params {
			if p.Check == nil {
				t.Errorf("%s %s: no check", s.Name, p.Name)
				continue
			}
			if err := p.Check(p.Default); err != nil {
				t.Errorf("%s %s: default %v rejected: %v", s.Name, p.Name, p.Default, err)
			}
			for _, v := range []float64{math.NaN(), math.Inf(1), -1, 1e12} {
				if p.Check(v) == nil {
					t.Errorf("%s %s: %v accepted", s.Name, p.Name, v)
				}
			}
		}
	}
	if intParam(2, 10)(2.5) == nil || unitParam(true)(0) == nil || unitParam(false)(1) == nil || unitParam(true)(1) != nil {
		t.Error("parameter checks misjudge their bounds")
	}
}

// FuzzNumericRestoreState feeds arbitrary bytes to every numeric model's
// decoder: it must not panic, and an accepted state must run and
// round-trip.
func FuzzNumericRestoreState(f *testing.F) {
	xs, valid := numStream(90)
	for _, c := range numCases {
		m := newNum(f, c)
		numRun(m, xs, valid, 16)
		f.Add(uint8(0), m.AppendState(nil))
	}
	f.Add(uint8(3), []byte{1, 1})
	f.Fuzz(func(t *testing.T, which uint8, src []byte) {
		c := numCases[int(which)%len(numCases)]
		m := newNum(t, c)
		if err := m.RestoreState(src); err != nil {
			return
		}
		state := m.AppendState(nil)
		m2 := newNum(t, c)
		if err := m2.RestoreState(state); err != nil {
			t.Fatalf("%v: re-restoring an accepted state: %v", c, err)
		}
		o1, k1 := numRun(m, xs, valid, 11)
		o2, k2 := numRun(m2, xs, valid, 11)
		if i := sameOutputs(o1, k1, o2, k2); i >= 0 {
			t.Fatalf("%v: round-tripped model differs at row %d", c, i)
		}
		if m.SizeBytes() <= 0 {
			t.Fatalf("%v: SizeBytes %d", c, m.SizeBytes())
		}
	})
}

// TestNumericStructBytes keeps the SizeBytes constants honest.
func TestNumericStructBytes(t *testing.T) {
	for _, c := range []struct {
		name      string
		have, got uintptr
	}{
		{"zscore", zscoreStructBytes, unsafe.Sizeof(zscoreModel{})},
		{"mad", madStructBytes, unsafe.Sizeof(madModel{})},
		{"ewm", ewmStructBytes, unsafe.Sizeof(ewmModel{})},
		{"adwin", adwinStructBytes, unsafe.Sizeof(adwinModel{})},
		{"adwin row", adwinRowBytes, unsafe.Sizeof(adwinRow{})},
		{"range", rangeStructBytes, unsafe.Sizeof(rangeModel{})},
		{"likelihood", likelihoodStructBytes, unsafe.Sizeof(likelihoodModel{})},
	} {
		if c.have < c.got {
			t.Errorf("%s: constant %d below the struct's %d bytes", c.name, c.have, c.got)
		} else if c.have > c.got+16 {
			t.Errorf("%s: constant %d well above the struct's %d bytes", c.name, c.have, c.got)
		}
	}
}
