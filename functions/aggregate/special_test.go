package aggregate

import (
	"bytes"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func newCall(t testing.TB, name string, resolve, args []types.Type, opts functions.AggOptions) functions.GroupState {
	t.Helper()
	s, _ := aggCase{name: name, resolve: resolve, args: args, opts: opts}.newState(t, testRegistry())
	return s
}

func floatArray(vs []float64) arrow.Array {
	ds := make([]types.Datum, len(vs))
	for i, v := range vs {
		ds[i] = types.FloatDatum(types.Float64Type, v)
	}
	return functions.BuildArray(types.Float64Type, ds)
}

func constFloats(v float64, n int) arrow.Array {
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = v
	}
	return floatArray(vs)
}

func zeros(n int) []uint32 { return make([]uint32, n) }

func result(t testing.TB, s functions.GroupState, ret types.Type) types.Datum {
	t.Helper()
	out, err := s.Finalize([]uint32{0})
	if err != nil {
		t.Fatal(err)
	}
	return functions.DatumAt(out, ret, 0)
}

// TestVarianceLargeMean checks Welford's update and its reverse against
// the two-pass definition on data whose mean (1e9) dwarfs its spread,
// where the sum-of-squares formula loses every significant digit.
func TestVarianceLargeMean(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	f8 := []types.Type{types.Float64Type}
	pop := newCall(t, "var_pop", f8, f8, functions.AggOptions{Retractable: true})
	samp := newCall(t, "stddev_samp", f8, f8, functions.AggOptions{Retractable: true})
	pop.Resize(1)
	samp.Resize(1)
	var live []float64
	for round := 0; round < 200; round++ {
		var vals []float64
		var signs []int8
		for i := 0; i < 50; i++ {
			if len(live) > 2 && rng.Intn(2) == 0 {
				j := rng.Intn(len(live))
				vals = append(vals, live[j])
				signs = append(signs, -1)
				live = append(live[:j], live[j+1:]...)
				continue
			}
			v := 1e9 + rng.NormFloat64()*3
			vals = append(vals, v)
			signs = append(signs, 1)
			live = append(live, v)
		}
		arr := floatArray(vals)
		for _, s := range []functions.GroupState{pop, samp} {
			if err := s.Update([]arrow.Array{arr}, zeros(len(vals)), signs); err != nil {
				t.Fatal(err)
			}
		}
		mean := 0.0
		for _, v := range live {
			mean += v
		}
		mean /= float64(len(live))
		ss := 0.0
		for _, v := range live {
			ss += (v - mean) * (v - mean)
		}
		wantPop := ss / float64(len(live))
		wantSamp := math.Sqrt(ss / float64(len(live)-1))
		gotPop := result(t, pop, types.Float64Type).F
		gotSamp := result(t, samp, types.Float64Type).F
		if math.Abs(gotPop-wantPop) > 1e-9*wantPop || math.Abs(gotSamp-wantSamp) > 1e-9*wantSamp {
			t.Fatalf("round %d (%d values): var_pop %v want %v, stddev_samp %v want %v", round, len(live), gotPop, wantPop, gotSamp, wantSamp)
		}
	}
	// One input left: the variance is exactly 0, whatever rounding the
	// retractions left behind.
	one := newCall(t, "var_pop", f8, f8, functions.AggOptions{Retractable: true})
	one.Resize(1)
	if err := one.Update([]arrow.Array{floatArray([]float64{1e9 + 0.1, 1e9 + 0.7, 1e9 + 0.3, 1e9 + 0.7, 1e9 + 0.3})}, zeros(5), []int8{1, 1, 1, -1, -1}); err != nil {
		t.Fatal(err)
	}
	if got := result(t, one, types.Float64Type); got.F != 0 {
		t.Fatalf("var_pop of one remaining input = %v", got)
	}
	// The naive formula fails on the same data, so the test can tell.
	var sx, sxx float64
	for _, v := range live {
		sx += v
		sxx += v * v
	}
	n := float64(len(live))
	naive := (sxx - sx*sx/n) / n
	if want := result(t, pop, types.Float64Type).F; math.Abs(naive-want) < 1e-3*want {
		t.Fatalf("sum of squares gave %v, close to %v: the data does not stress precision", naive, want)
	}
}

// TestApproxPercentileAccuracy checks the 1% relative guarantee on
// several distributions, for many quantiles.
func TestApproxPercentileAccuracy(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	const n = 20000
	dists := map[string]func() float64{
		"uniform":   func() float64 { return rng.Float64() * 1000 },
		"normal":    func() float64 { return 500 + 100*rng.NormFloat64() },
		"lognormal": func() float64 { return math.Exp(3 + 2*rng.NormFloat64()) },
		"pareto":    func() float64 { return math.Pow(1-rng.Float64(), -1/1.2) },
		"mixed":     func() float64 { return []float64{-1e6, -3, 0, 1e-5, 42}[rng.Intn(5)] * (1 + rng.Float64()) },
	}
	for name, draw := range dists {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = draw()
		}
		sorted := append([]float64(nil), vals...)
		sort.Float64s(sorted)
		s := newCall(t, "approx_percentile", []types.Type{types.Float64Type, types.Float64Type},
			[]types.Type{types.Float64Type, types.Float64Type}, functions.AggOptions{})
		s.Resize(1)
		if err := s.Update([]arrow.Array{floatArray(vals), constFloats(0.5, n)}, zeros(n), nil); err != nil {
			t.Fatal(err)
		}
		for _, p := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1} {
			// One sketch answers every fraction: set the group's.
			s.(*approxPercentileState).g[0].frac = p
			got := result(t, s, types.Float64Type).F
			want := sorted[int(math.Floor(p*(n-1)))]
			if math.Abs(got-want) > 0.01*math.Abs(want)*(1+1e-9) {
				t.Errorf("%s p=%v: got %v, want %v within 1%%", name, p, got, want)
			}
		}
	}
}

// TestApproxCountDistinctAccuracy checks estimates against the exact
// count with three standard errors of slack.
func TestApproxCountDistinctAccuracy(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, distinct := range []int{10, 1000, 30000, 100000} {
		for _, kind := range []types.Type{types.Int64Type, types.TextType} {
			s := newCall(t, "approx_count_distinct", []types.Type{kind}, []types.Type{kind}, functions.AggOptions{})
			s.Resize(1)
			const batch = 8192
			total := distinct + distinct/2
			ds := make([]types.Datum, 0, batch)
			flush := func() {
				if err := s.Update([]arrow.Array{functions.BuildArray(kind, ds)}, zeros(len(ds)), nil); err != nil {
					t.Fatal(err)
				}
				ds = ds[:0]
			}
			base := rng.Int63n(1 << 40)
			for i := 0; i < total; i++ {
				v := base + int64(i%distinct)*7919
				if kind == types.TextType {
					ds = append(ds, types.StringDatum(kind, "user-"+strings.Repeat("x", int(v%3))+types.IntDatum(types.Int64Type, v).String()))
				} else {
					ds = append(ds, types.IntDatum(kind, v))
				}
				if len(ds) == batch {
					flush()
				}
			}
			flush()
			got := float64(result(t, s, types.Int64Type).I)
			if se := 1.04 / math.Sqrt(1<<14); math.Abs(got-float64(distinct)) > 3*se*float64(distinct)+1 {
				t.Errorf("%v distinct %ss: estimate %v", distinct, kind, got)
			}
		}
	}
}

func TestPercentileFraction(t *testing.T) {
	f8 := []types.Type{types.Float64Type, types.Float64Type}
	order := []functions.OrderKey{{}}
	for _, name := range []string{"percentile_cont", "percentile_disc", "approx_percentile"} {
		opts := functions.AggOptions{Order: order}
		fr, x := 0, 1
		if name == "approx_percentile" {
			// approx_percentile(x, fraction)
			opts, fr, x = functions.AggOptions{}, 1, 0
		}
		s := newCall(t, name, f8, f8, opts)
		s.Resize(2)
		args := make([]arrow.Array, 2)
		args[x] = floatArray([]float64{1, 2})
		args[fr] = floatArray([]float64{1.5, 0.5})
		err := s.Update(args, []uint32{0, 1}, nil)
		if sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange || !strings.Contains(sqlerr.As(err).Msg, "percentile value 1.5 is not between 0 and 1") {
			t.Fatalf("%s: fraction 1.5: %v", name, err)
		}
		// A NULL fraction makes the result NULL.
		args[fr] = functions.BuildArray(types.Float64Type, []types.Datum{types.NullDatum(types.Float64Type)})
		args[x] = floatArray([]float64{3})
		s.Reset(0)
		if err := s.Update(args, []uint32{0}, nil); err != nil {
			t.Fatal(err)
		}
		if got := result(t, s, types.Float64Type); !got.Null {
			t.Fatalf("%s with NULL fraction = %v", name, got)
		}
	}
	// Postgres: percentile_cont(0.5) over 1..4 is 2.5; percentile_disc
	// gives 2; DESC mirrors them.
	for _, c := range []struct {
		name string
		desc bool
		want float64
	}{{"percentile_cont", false, 2.5}, {"percentile_disc", false, 2}, {"percentile_disc", true, 3}} {
		s := newCall(t, c.name, f8, f8, functions.AggOptions{Order: []functions.OrderKey{{Desc: c.desc}}})
		s.Resize(1)
		if err := s.Update([]arrow.Array{constFloats(0.5, 4), floatArray([]float64{4, 1, 3, 2})}, zeros(4), nil); err != nil {
			t.Fatal(err)
		}
		if got := result(t, s, types.Float64Type); got.F != c.want {
			t.Fatalf("%s desc=%v = %v, want %v", c.name, c.desc, got, c.want)
		}
	}
}

// TestIdempotentAggregatesIgnoreDistinct: min, max, bool_and, bool_or,
// first_value and approx_count_distinct give the same result with
// DISTINCT, so they accept it without a wrapper.
func TestIdempotentAggregatesIgnoreDistinct(t *testing.T) {
	f8 := []types.Type{types.Float64Type}
	for _, c := range []struct {
		name          string
		resolve, args []types.Type
	}{
		{"min", f8, f8}, {"max", f8, f8}, {"bool_and", []types.Type{types.BoolType}, []types.Type{types.BoolType}},
		{"first_value", f8, []types.Type{types.Float64Type, types.TimestampType}}, {"approx_count_distinct", f8, f8},
	} {
		var order []functions.OrderKey
		if c.name == "first_value" {
			order = []functions.OrderKey{{}}
		}
		s := newCall(t, c.name, c.resolve, c.args, functions.AggOptions{Distinct: true, Order: order})
		if _, ok := s.(*distinctState); ok {
			t.Errorf("%s(DISTINCT) is wrapped", c.name)
		}
	}
}

func TestKeyCodecRejectsArrays(t *testing.T) {
	a, _, err := testRegistry().ResolveAggregate("count", []types.Type{types.Int64Type}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.New([]types.Type{types.ArrayOf(types.Int64)}, functions.AggOptions{Distinct: true})
	if sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("count(DISTINCT array): %v", err)
	}
}

// TestKeyCodecOrder checks, for every key type, that bytewise order of
// the encodings is the SQL order (both directions, NULLs either end),
// that equal encodings mean equal values, and that ascending encodings
// decode back to the values.
func TestKeyCodecOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	gens := map[types.Type]func(*rand.Rand) types.Datum{
		types.BoolType: genBool, types.Int16Type: genInt(types.Int16Type, math.MinInt16, math.MaxInt16),
		types.Int32Type: genInt(types.Int32Type, -5, 5), types.Int64Type: genInt(types.Int64Type, math.MinInt64/4, math.MaxInt64/4),
		types.Float32Type: genFloat(types.Float32Type, 0, true), types.Float64Type: genFloat(types.Float64Type, -3, true),
		types.TextType: genText(types.TextType), types.ByteaType: genText(types.ByteaType),
		types.TimestampTZType: genInt(types.TimestampTZType, -9, 9), types.DateType: genInt(types.DateType, -9, 9),
		types.OidType: genInt(types.OidType, 0, math.MaxUint32), types.IntervalType: genInterval,
	}
	for typ, gen := range gens {
		for _, o := range []functions.OrderKey{{}, {Desc: true}, {NullsFirst: true}, {Desc: true, NullsFirst: true}} {
			const n = 300
			ds := make([]types.Datum, n)
			for i := range ds {
				ds[i] = gen(rng)
			}
			c, err := newKeyCodec("test", []types.Type{typ}, []functions.OrderKey{o})
			if err != nil {
				t.Fatal(err)
			}
			bufs := make([][]byte, n)
			c.encode(bufs, []arrow.Array{functions.BuildArray(typ, ds)}, zeros(n))
			for i := 0; i < n; i++ {
				j := rng.Intn(n)
				want := cmpKeys(row{ds[i]}, row{ds[j]}, 0, []functions.OrderKey{o})
				if got := bytes.Compare(bufs[i], bufs[j]); got != want {
					t.Fatalf("%v %+v: %v vs %v: bytes compare %d, SQL %d", typ, o, ds[i], ds[j], got, want)
				}
			}
			if o.Desc {
				continue
			}
			b := newColumnBuilder(typ, 1)
			for i := range bufs {
				rest, err := b.appendKey(bufs[i])
				if err != nil || len(rest) != 0 {
					t.Fatalf("%v: decode %q: %v, %d left", typ, bufs[i], err, len(rest))
				}
			}
			out := b.finish()
			for i, d := range ds {
				if got := functions.DatumAt(out, typ, i); !sameDatum(got, d, 0) {
					t.Fatalf("%v: decoded %v, want %v", typ, got, d)
				}
			}
		}
	}
}
