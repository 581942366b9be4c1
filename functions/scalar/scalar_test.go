package scalar

import (
	"math"
	"math/rand"
	"testing"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func arr(t types.Type, ds ...types.Datum) functions.Value {
	for i := range ds {
		ds[i].Type = t
	}
	return functions.ArrayValue(functions.BuildArray(t, ds))
}

func i32(vs ...any) functions.Value {
	ds := make([]types.Datum, len(vs))
	for i, v := range vs {
		if v == nil {
			ds[i] = types.NullDatum(types.Int32Type)
		} else {
			ds[i] = types.IntDatum(types.Int32Type, int64(v.(int)))
		}
	}
	return arr(types.Int32Type, ds...)
}

func datums(v functions.Value, t types.Type, n int) []types.Datum {
	out := make([]types.Datum, n)
	for i := range out {
		out[i] = functions.ValueDatum(v, t, i)
	}
	return out
}

// TestCompareAgainstReference checks every operator on random typed
// arrays (with NULLs, and array-vs-scalar in both orders) against a plain
// per-row loop over CompareDatums.
func TestCompareAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const n = 257
	gen := map[types.Kind]func() types.Datum{
		types.Int16: func() types.Datum { return types.IntDatum(types.Int16Type, int64(rng.Intn(7)-3)) },
		types.Int32: func() types.Datum { return types.IntDatum(types.Int32Type, int64(rng.Intn(7)-3)) },
		types.Int64: func() types.Datum { return types.IntDatum(types.Int64Type, int64(rng.Intn(7)-3)) },
		types.Float64: func() types.Datum {
			f := float64(rng.Intn(5)) / 2
			if rng.Intn(9) == 0 {
				f = math.NaN()
			}
			return types.FloatDatum(types.Float64Type, f)
		},
		types.Text: func() types.Datum {
			return types.StringDatum(types.TextType, []string{"", "a", "ab", "b", "é"}[rng.Intn(5)])
		},
		types.Bool: func() types.Datum { return types.BoolDatum(rng.Intn(2) == 0) },
		types.Timestamp: func() types.Datum {
			return types.IntDatum(types.TimestampType, int64(rng.Intn(4))*types.MicrosPerMinute)
		},
	}
	for kind, g := range gen {
		typ := types.Type{Kind: kind}
		mk := func() []types.Datum {
			ds := make([]types.Datum, n)
			for i := range ds {
				if rng.Intn(10) == 0 {
					ds[i] = types.NullDatum(typ)
				} else {
					ds[i] = g()
				}
			}
			return ds
		}
		a, b := mk(), mk()
		scalar := g()
		for op := Eq; op <= Ge; op++ {
			cases := []struct {
				name string
				x, y functions.Value
				xd   func(i int) types.Datum
				yd   func(i int) types.Datum
			}{
				{"array-array", arr(typ, a...), arr(typ, b...), func(i int) types.Datum { return a[i] }, func(i int) types.Datum { return b[i] }},
				{"array-scalar", arr(typ, a...), functions.ScalarValue(scalar), func(i int) types.Datum { return a[i] }, func(int) types.Datum { return scalar }},
				{"scalar-array", functions.ScalarValue(scalar), arr(typ, b...), func(int) types.Datum { return scalar }, func(i int) types.Datum { return b[i] }},
			}
			for _, c := range cases {
				got := datums(Compare(op, typ, c.x, c.y, n), types.BoolType, n)
				for i := 0; i < n; i++ {
					x, y := c.xd(i), c.yd(i)
					if x.Null || y.Null {
						if !got[i].Null {
							t.Fatalf("%v %s %s row %d: NULL input gave %v", kind, CmpOpNames[op], c.name, i, got[i])
						}
						continue
					}
					want := op.holds(CompareDatums(x, y))
					if got[i].Null || got[i].Bool() != want {
						t.Fatalf("%v %s %s row %d: %v %s %v = %v, want %v", kind, CmpOpNames[op], c.name, i, x, CmpOpNames[op], y, got[i], want)
					}
				}
			}
		}
	}
}

func TestArithErrors(t *testing.T) {
	_, err := Arith(Add, types.Int32Type, i32(math.MaxInt32), i32(1), 1)
	if sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("int4 overflow: %v", err)
	}
	_, err = Arith(Div, types.Int32Type, i32(1, 2), i32(1, 0), 2)
	if sqlerr.CodeOf(err) != sqlerr.DivisionByZero {
		t.Fatalf("division by zero: %v", err)
	}
	// A NULL row whose garbage divisor is zero must not raise.
	v, err := Arith(Div, types.Int32Type, i32(6, nil), i32(3, nil), 2)
	if err != nil {
		t.Fatalf("NULL row raised: %v", err)
	}
	got := datums(v, types.Int32Type, 2)
	if got[0].I != 2 || !got[1].Null {
		t.Fatalf("6/3, NULL/NULL = %v", got)
	}
	big := arr(types.Int64Type, types.IntDatum(types.Int64Type, math.MaxInt64))
	if _, err := Arith(Mul, types.Int64Type, big, functions.ScalarValue(types.IntDatum(types.Int64Type, 2)), 1); sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("int8 mul overflow: %v", err)
	}
	min := arr(types.Int64Type, types.IntDatum(types.Int64Type, math.MinInt64))
	if _, err := Arith(Div, types.Int64Type, min, functions.ScalarValue(types.IntDatum(types.Int64Type, -1)), 1); sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("minint/-1: %v", err)
	}
	f := arr(types.Float64Type, types.FloatDatum(types.Float64Type, 1e308))
	if _, err := Arith(Mul, types.Float64Type, f, f, 1); sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("float overflow: %v", err)
	}
	if _, err := Arith(Div, types.Float64Type, f, functions.ScalarValue(types.FloatDatum(types.Float64Type, 0)), 1); sqlerr.CodeOf(err) != sqlerr.DivisionByZero {
		t.Fatalf("float division by zero: %v", err)
	}
	if _, err := Negate(types.Int32Type, i32(math.MinInt32), 1); sqlerr.CodeOf(err) != sqlerr.NumericValueOutOfRange {
		t.Fatalf("-minint: %v", err)
	}
}

func TestIntDivisionTruncates(t *testing.T) {
	v, err := Arith(Div, types.Int32Type, i32(-7, 7), i32(2, -2), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := datums(v, types.Int32Type, 2); got[0].I != -3 || got[1].I != -3 {
		t.Fatalf("-7/2, 7/-2 = %v (Postgres truncates toward zero)", got)
	}
	v, _ = Arith(Mod, types.Int32Type, i32(-7), i32(2), 1)
	if got := datums(v, types.Int32Type, 1); got[0].I != -1 {
		t.Fatalf("-7%%2 = %v", got)
	}
}

func TestTimestampInterval(t *testing.T) {
	ts := func(s string) types.Datum {
		us, err := types.ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return types.IntDatum(types.TimestampType, us)
	}
	ivOf := func(s string) functions.Value {
		v, err := types.ParseInterval(s, "")
		if err != nil {
			t.Fatal(err)
		}
		return functions.ScalarValue(types.Datum{Type: types.IntervalType, Iv: v})
	}
	cases := []struct {
		ts, iv, want string
		sign         int64
	}{
		{"2024-01-01 00:00:10", "5 seconds", "2024-01-01 00:00:05", -1},
		{"2024-01-31 12:00:00", "1 month", "2024-02-29 12:00:00", 1},
		{"2024-03-31 00:00:00", "1 month", "2024-02-29 00:00:00", -1},
		{"2024-01-01 00:00:00", "1 year 1 day 01:00:00", "2025-01-02 01:00:00", 1},
	}
	for _, c := range cases {
		v, err := AddInterval(types.TimestampType, arr(types.TimestampType, ts(c.ts)), ivOf(c.iv), 1, c.sign)
		if err != nil {
			t.Fatal(err)
		}
		got := datums(v, types.TimestampType, 1)[0]
		if got.String() != c.want {
			t.Errorf("%s %+d %s = %s, want %s", c.ts, c.sign, c.iv, got, c.want)
		}
	}
	d := SubTimestamps(arr(types.TimestampType, ts("2024-01-02 01:00:00")), functions.ScalarValue(ts("2024-01-01 00:00:00")), 1)
	if got := datums(d, types.IntervalType, 1)[0].String(); got != "1 day 01:00:00" {
		t.Errorf("timestamp difference = %s", got)
	}
}

func TestCasts(t *testing.T) {
	cases := []struct {
		in   types.Datum
		to   types.Type
		want string
		code sqlerr.Code
	}{
		{types.StringDatum(types.TextType, " 42 "), types.Int32Type, "42", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "4x"), types.Int32Type, "", sqlerr.InvalidTextRepresentation},
		{types.StringDatum(types.TextType, "99999999999"), types.Int32Type, "", sqlerr.NumericValueOutOfRange},
		{types.FloatDatum(types.Float64Type, 2.5), types.Int32Type, "2", sqlerr.Code{}},
		{types.FloatDatum(types.Float64Type, 3.5), types.Int32Type, "4", sqlerr.Code{}},
		{types.FloatDatum(types.Float64Type, math.NaN()), types.Int64Type, "", sqlerr.NumericValueOutOfRange},
		{types.IntDatum(types.Int64Type, 1<<40), types.Int32Type, "", sqlerr.NumericValueOutOfRange},
		{types.BoolDatum(true), types.TextType, "true", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "yes"), types.BoolType, "t", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "2024-05-06T07:08:09Z"), types.TimestampTZType, "2024-05-06 07:08:09+00", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "1 minute"), types.IntervalType, "00:01:00", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "NaN"), types.Float64Type, "NaN", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "{\"a\":1}"), types.JSONBType, "{\"a\": 1}", sqlerr.Code{}},
		{types.StringDatum(types.TextType, "{\"a\":"), types.JSONBType, "", sqlerr.InvalidTextRepresentation},
		{types.IntDatum(types.TimestampType, -1), types.DateType, "1969-12-31", sqlerr.Code{}},
	}
	for _, c := range cases {
		got, err := CastDatum(c.in, c.to)
		if c.code != (sqlerr.Code{}) {
			if sqlerr.CodeOf(err) != c.code {
				t.Errorf("cast %v to %v: err %v, want %v", c.in, c.to, err, c.code)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("cast %v to %v = %v, %v; want %s", c.in, c.to, got, err, c.want)
		}
	}
	// Array path agrees with the datum path, including NULLs.
	v, err := CastValue(nil, i32(1, nil, 3), types.Int32Type, types.Float64Type, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := datums(v, types.Float64Type, 3); got[0].F != 1 || !got[1].Null || got[2].F != 3 {
		t.Fatalf("int4[] -> float8[] = %v", got)
	}
	v, err = CastValue(nil, i32(7, nil), types.Int32Type, types.TextType, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := datums(v, types.TextType, 2); got[0].S != "7" || !got[1].Null {
		t.Fatalf("int4[] -> text[] = %v", got)
	}
}

func TestRegistryResolvesOperators(t *testing.T) {
	r := functions.NewRegistry()
	Register(r)
	s, params, err := r.ResolveScalar("<", []types.Type{types.Int32Type, types.Int64Type}, 0)
	if err != nil || params[0] != types.Int64Type || s.Ret != types.BoolType {
		t.Fatalf("int4 < int8: %v %v", params, err)
	}
	s, _, err = r.ResolveScalar("-", []types.Type{types.TimestampType, types.IntervalType}, 0)
	if err != nil || s.Ret != types.TimestampType {
		t.Fatalf("timestamp - interval: %v", err)
	}
	if _, ok := r.LookupCast(types.TextType, types.TimestampType); !ok {
		t.Fatal("no text -> timestamp cast")
	}
}

func BenchmarkCompareInt32Scalar(b *testing.B) {
	const n = 4096
	ds := make([]types.Datum, n)
	for i := range ds {
		ds[i] = types.IntDatum(types.Int32Type, int64(i%600))
	}
	a := arr(types.Int32Type, ds...)
	c := functions.ScalarValue(types.IntDatum(types.Int32Type, 500))
	b.ReportAllocs()
	b.SetBytes(n * 4)
	for i := 0; i < b.N; i++ {
		Compare(Lt, types.Int32Type, a, c, n)
	}
}
