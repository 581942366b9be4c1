package aggregate

import (
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

type refAgg func(vals []types.Datum) types.Datum

// reference implementations: a plain loop over the non-null values.
var refs = map[string]refAgg{
	"count": func(vs []types.Datum) types.Datum {
		n := 0
		for _, v := range vs {
			if !v.Null {
				n++
			}
		}
		return types.IntDatum(types.Int64Type, int64(n))
	},
	"sum": func(vs []types.Datum) types.Datum {
		var s float64
		n := 0
		for _, v := range vs {
			if !v.Null {
				s += v.F
				n++
			}
		}
		if n == 0 {
			return types.NullDatum(types.Float64Type)
		}
		return types.FloatDatum(types.Float64Type, s)
	},
	"avg": func(vs []types.Datum) types.Datum {
		var s float64
		n := 0
		for _, v := range vs {
			if !v.Null {
				s += v.F
				n++
			}
		}
		if n == 0 {
			return types.NullDatum(types.Float64Type)
		}
		return types.FloatDatum(types.Float64Type, s/float64(n))
	},
	"min": func(vs []types.Datum) types.Datum {
		var best types.Datum
		best.Null = true
		for _, v := range vs {
			if !v.Null && (best.Null || v.F < best.F) {
				best = v
			}
		}
		return best
	},
	"max": func(vs []types.Datum) types.Datum {
		var best types.Datum
		best.Null = true
		for _, v := range vs {
			if !v.Null && (best.Null || v.F > best.F) {
				best = v
			}
		}
		return best
	},
}

func newState(t *testing.T, r *functions.Registry, name string, arg types.Type) (functions.GroupState, types.Type) {
	t.Helper()
	a, _, err := r.ResolveAggregate(name, []types.Type{arg}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.New([]types.Type{arg}, functions.AggOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s, a.ReturnType([]types.Type{arg})
}

// TestAgainstReference feeds random float batches with NULLs and skipped
// rows into each aggregate, snapshotting and restoring every group into
// a fresh state halfway, and compares with the plain loop.
func TestAgainstReference(t *testing.T) {
	r := functions.NewRegistry()
	Register(r)
	rng := rand.New(rand.NewSource(7))
	const groups, batches, rows = 13, 20, 100
	for name, ref := range refs {
		state, ret := newState(t, r, name, types.Float64Type)
		state.Resize(groups)
		seen := make([][]types.Datum, groups)
		for b := 0; b < batches; b++ {
			ds := make([]types.Datum, rows)
			gs := make([]uint32, rows)
			for i := range ds {
				ds[i] = types.FloatDatum(types.Float64Type, math.Round(rng.NormFloat64()*1000)/8)
				if rng.Intn(8) == 0 {
					ds[i] = types.NullDatum(types.Float64Type)
				}
				gs[i] = uint32(rng.Intn(groups))
				if rng.Intn(10) == 0 {
					gs[i] = functions.NoGroup
					continue
				}
				seen[gs[i]] = append(seen[gs[i]], ds[i])
			}
			if err := state.Update([]arrow.Array{functions.BuildArray(types.Float64Type, ds)}, gs, nil); err != nil {
				t.Fatal(err)
			}
			if b == batches/2 {
				fresh, _ := newState(t, r, name, types.Float64Type)
				fresh.Resize(groups)
				for g := uint32(0); g < groups; g++ {
					buf := state.MarshalGroup(nil, g)
					rest, err := fresh.UnmarshalGroup(g, buf)
					if err != nil || len(rest) != 0 {
						t.Fatalf("%s: unmarshal group %d: %v (%d left)", name, g, err, len(rest))
					}
				}
				state = fresh
			}
		}
		all := make([]uint32, groups)
		for g := range all {
			all[g] = uint32(g)
		}
		out, err := state.Finalize(all)
		if err != nil {
			t.Fatal(err)
		}
		for g := 0; g < groups; g++ {
			got := functions.DatumAt(out, ret, g)
			want := ref(seen[g])
			if got.Null != want.Null {
				t.Fatalf("%s group %d: null %v want %v", name, g, got, want)
			}
			if got.Null {
				continue
			}
			gv, wv := got.F, want.F
			if ret.IsInteger() {
				gv = float64(got.I)
				wv = float64(want.I)
			}
			if math.Abs(gv-wv) > 1e-9*math.Max(1, math.Abs(wv)) {
				t.Fatalf("%s group %d = %v, want %v", name, g, gv, wv)
			}
		}
	}
}

func TestRetractions(t *testing.T) {
	r := functions.NewRegistry()
	Register(r)
	a, _, _ := r.ResolveAggregate("avg", []types.Type{types.Int32Type}, 0)
	s, err := a.New(nil, functions.AggOptions{Retractable: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Resize(1)
	vals := functions.BuildArray(types.Int32Type, []types.Datum{
		types.IntDatum(types.Int32Type, 10), types.IntDatum(types.Int32Type, 20), types.IntDatum(types.Int32Type, 10),
	})
	if err := s.Update([]arrow.Array{vals}, []uint32{0, 0, 0}, []int8{1, 1, -1}); err != nil {
		t.Fatal(err)
	}
	out, _ := s.Finalize([]uint32{0})
	if got := functions.DatumAt(out, types.Float64Type, 0); got.F != 20 {
		t.Fatalf("avg after retraction = %v", got)
	}
	if err := s.Update([]arrow.Array{vals}, []uint32{functions.NoGroup, 0, functions.NoGroup}, []int8{1, -1, 1}); err != nil {
		t.Fatal(err)
	}
	if !s.Empty(0) {
		t.Fatal("group should be empty after retracting every row")
	}
	for _, name := range []string{"approx_percentile", "approx_count_distinct"} {
		args := []types.Type{types.Float64Type, types.Float64Type}
		if name == "approx_count_distinct" {
			args = args[:1]
		}
		m, _, err := r.ResolveAggregate(name, args, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.New(args, functions.AggOptions{Retractable: true}); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
			t.Fatalf("retractable %s: %v", name, err)
		}
	}
}

func TestSumOverflow(t *testing.T) {
	r := functions.NewRegistry()
	Register(r)
	a, _, _ := r.ResolveAggregate("sum", []types.Type{types.Int64Type}, 0)
	s, _ := a.New(nil, functions.AggOptions{})
	s.Resize(1)
	big := functions.BuildArray(types.Int64Type, []types.Datum{
		types.IntDatum(types.Int64Type, math.MaxInt64), types.IntDatum(types.Int64Type, 1),
	})
	if err := s.Update([]arrow.Array{big}, []uint32{0, 0}, nil); sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("sum overflow: %v", err)
	}
}

func TestMinMaxTextAndNaN(t *testing.T) {
	r := functions.NewRegistry()
	Register(r)
	s, _ := newState(t, r, "max", types.TextType)
	s.Resize(1)
	txt := functions.BuildArray(types.TextType, []types.Datum{
		types.StringDatum(types.TextType, "b"), types.StringDatum(types.TextType, "ab"), types.NullDatum(types.TextType),
	})
	_ = s.Update([]arrow.Array{txt}, []uint32{0, 0, 0}, nil)
	out, _ := s.Finalize([]uint32{0})
	if got := functions.DatumAt(out, types.TextType, 0); got.S != "b" {
		t.Fatalf("max(text) = %v", got)
	}
	f, _ := newState(t, r, "max", types.Float64Type)
	f.Resize(1)
	fl := functions.BuildArray(types.Float64Type, []types.Datum{
		types.FloatDatum(types.Float64Type, 1), types.FloatDatum(types.Float64Type, math.NaN()), types.FloatDatum(types.Float64Type, 2),
	})
	_ = f.Update([]arrow.Array{fl}, []uint32{0, 0, 0}, nil)
	out, _ = f.Finalize([]uint32{0})
	if got := functions.DatumAt(out, types.Float64Type, 0); !math.IsNaN(got.F) {
		t.Fatalf("max with NaN = %v (Postgres orders NaN last)", got)
	}
}

func BenchmarkSumFloat64(b *testing.B) {
	r := functions.NewRegistry()
	Register(r)
	a, _, _ := r.ResolveAggregate("sum", []types.Type{types.Float64Type}, 0)
	s, _ := a.New(nil, functions.AggOptions{})
	const n, groups = 4096, 1000
	s.Resize(groups)
	ds := make([]types.Datum, n)
	gs := make([]uint32, n)
	for i := range ds {
		ds[i] = types.FloatDatum(types.Float64Type, float64(i))
		gs[i] = uint32(i * 7919 % groups)
	}
	arr := functions.BuildArray(types.Float64Type, ds)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = s.Update([]arrow.Array{arr}, gs, nil)
	}
}
