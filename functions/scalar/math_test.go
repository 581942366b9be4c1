package scalar

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestMathTable(t *testing.T) {
	pw, lg, rng := sqlerr.InvalidArgumentForPower, sqlerr.InvalidArgumentForLogarithm, sqlerr.NumericValueOutOfRange
	i16 := func(v int64) types.Datum { return types.IntDatum(types.Int16Type, v) }
	inf, nan := math.Inf(1), math.NaN()
	runTable(t, []tableCase{
		{name: "abs", args: []types.Datum{i32D(-17)}, want: "17"},
		{name: "abs", args: []types.Datum{i32D(math.MinInt32)}, code: rng},
		{name: "abs", args: []types.Datum{i16(math.MinInt16)}, code: rng},
		{name: "abs", args: []types.Datum{i64D(math.MinInt64)}, code: rng},
		{name: "abs", args: []types.Datum{f64D(-17.4)}, want: "17.4"},
		{name: "abs", args: []types.Datum{types.FloatDatum(types.Float32Type, -1.5)}, want: "1.5"},
		{name: "round", args: []types.Datum{f64D(42.5)}, want: "42"},
		{name: "round", args: []types.Datum{f64D(43.5)}, want: "44"},
		{name: "round", args: []types.Datum{f64D(-42.5)}, want: "-42"},
		{name: "round", args: []types.Datum{i32D(7)}, want: "7"},
		{name: "round", args: []types.Datum{f64D(42.4382), i32D(2)}, want: "42.44"},
		{name: "round", args: []types.Datum{f64D(2.675), i32D(2)}, want: "2.68"},
		{name: "round", args: []types.Datum{f64D(-2.5), i32D(0)}, want: "-3"},
		{name: "round", args: []types.Datum{f64D(1234.5678), i32D(-2)}, want: "1200"},
		{name: "round", args: []types.Datum{f64D(0.0004), i32D(3)}, want: "0"},
		{name: "round", args: []types.Datum{f64D(0.0005), i32D(3)}, want: "0.001"},
		{name: "round", args: []types.Datum{f64D(1e300), i32D(2)}, want: "1e+300"},
		{name: "round", args: []types.Datum{f64D(nan), i32D(2)}, want: "NaN"},
		{name: "trunc", args: []types.Datum{f64D(42.8)}, want: "42"},
		{name: "trunc", args: []types.Datum{f64D(-42.8)}, want: "-42"},
		{name: "trunc", args: []types.Datum{f64D(0.29), i32D(2)}, want: "0.29"},
		{name: "trunc", args: []types.Datum{f64D(-42.4382), i32D(2)}, want: "-42.43"},
		{name: "ceil", args: []types.Datum{f64D(-42.8)}, want: "-42"},
		{name: "ceiling", args: []types.Datum{f64D(95.3)}, want: "96"},
		{name: "floor", args: []types.Datum{f64D(-42.8)}, want: "-43"},
		{name: "floor", args: []types.Datum{i64D(5)}, want: "5"},
		{name: "sqrt", args: []types.Datum{f64D(2)}, want: "1.4142135623730951"},
		{name: "sqrt", args: []types.Datum{f64D(-1)}, code: pw},
		{name: "sqrt", args: []types.Datum{f64D(16)}, want: "4"},
		{name: "cbrt", args: []types.Datum{f64D(64)}, want: "4"},
		{name: "erf", args: []types.Datum{f64D(0)}, want: "0"},
		{name: "erfc", args: []types.Datum{f64D(0)}, want: "1"},
		{name: "ln", args: []types.Datum{f64D(1)}, want: "0"},
		{name: "ln", args: []types.Datum{f64D(0)}, code: lg},
		{name: "ln", args: []types.Datum{f64D(-1)}, code: lg},
		{name: "log", args: []types.Datum{f64D(100)}, want: "2"},
		{name: "log10", args: []types.Datum{f64D(1000)}, want: "3"},
		{name: "log", args: []types.Datum{f64D(2), f64D(64)}, want: "6"},
		{name: "log", args: []types.Datum{f64D(1), f64D(64)}, code: sqlerr.DivisionByZero},
		{name: "log", args: []types.Datum{f64D(2), f64D(0)}, code: lg},
		{name: "exp", args: []types.Datum{f64D(0)}, want: "1"},
		{name: "exp", args: []types.Datum{f64D(1000)}, code: rng},
		{name: "exp", args: []types.Datum{f64D(-1000)}, code: rng},
		{name: "exp", args: []types.Datum{f64D(-inf)}, want: "0"},
		{name: "power", args: []types.Datum{f64D(9), f64D(3)}, want: "729"},
		{name: "pow", args: []types.Datum{f64D(2), f64D(-1)}, want: "0.5"},
		{name: "power", args: []types.Datum{f64D(0), f64D(-1)}, code: pw},
		{name: "power", args: []types.Datum{f64D(-8), f64D(1.0 / 3)}, code: pw},
		{name: "power", args: []types.Datum{f64D(-2), f64D(3)}, want: "-8"},
		{name: "power", args: []types.Datum{f64D(nan), f64D(0)}, want: "1"},
		{name: "power", args: []types.Datum{f64D(1), f64D(nan)}, want: "1"},
		{name: "power", args: []types.Datum{f64D(10), f64D(400)}, code: rng},
		{name: "power", args: []types.Datum{f64D(10), f64D(-400)}, code: rng},
		{name: "power", args: []types.Datum{f64D(-inf), f64D(3)}, want: "-Infinity"},
		{name: "power", args: []types.Datum{f64D(-inf), f64D(-3)}, want: "-0"},
		{name: "power", args: []types.Datum{f64D(0.5), f64D(inf)}, want: "0"},
		{name: "sign", args: []types.Datum{f64D(-8.4)}, want: "-1"},
		{name: "sign", args: []types.Datum{f64D(nan)}, want: "0"},
		{name: "mod", args: []types.Datum{i32D(9), i32D(4)}, want: "1"},
		{name: "mod", args: []types.Datum{i32D(-9), i32D(4)}, want: "-1"},
		{name: "mod", args: []types.Datum{i64D(math.MinInt64), i64D(-1)}, want: "0"},
		{name: "mod", args: []types.Datum{i32D(9), i32D(0)}, code: sqlerr.DivisionByZero},
		{name: "pi", want: "3.141592653589793"},
		{name: "degrees", args: []types.Datum{f64D(0.5)}, want: "28.64788975654116"},
		{name: "radians", args: []types.Datum{f64D(45)}, want: "0.7853981633974483"},
		{name: "degrees", args: []types.Datum{f64D(1e308)}, code: rng},
		{name: "sin", args: []types.Datum{f64D(0)}, want: "0"},
		{name: "sin", args: []types.Datum{f64D(inf)}, code: rng},
		{name: "asin", args: []types.Datum{f64D(2)}, code: rng},
		{name: "atan2", args: []types.Datum{f64D(1), f64D(0)}, want: "1.5707963267948966"},
		{name: "greatest", args: []types.Datum{i32D(1), i32D(5), nullD(types.Int32Type), i32D(3)}, want: "5"},
		{name: "least", args: []types.Datum{i32D(1), i32D(5), nullD(types.Int32Type), i32D(3)}, want: "1"},
		{name: "greatest", args: []types.Datum{nullD(types.Int32Type), nullD(types.Int32Type)}, want: "NULL"},
		{name: "greatest", args: []types.Datum{f64D(1), f64D(nan)}, want: "NaN"},
		{name: "least", args: []types.Datum{f64D(1), f64D(nan)}, want: "1"},
		{name: "greatest", args: []types.Datum{textD("apple"), textD("pear")}, want: "pear"},
		{name: "least", args: []types.Datum{boolD(true), boolD(false)}, want: "f"},
		{name: "greatest", args: []types.Datum{ivD(t, "25 hours"), ivD(t, "1 day")}, want: "25:00:00"},
	})
}

// refRound rounds x to d places half away from zero in exact decimal
// arithmetic on the shortest representation of x.
func refRound(x float64, d int64, trunc bool) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	r, _ := new(big.Rat).SetString(big.NewFloat(x).Text('g', -1))
	if r == nil {
		r, _ = new(big.Rat).SetString(new(big.Float).SetFloat64(x).Text('e', -1))
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(d)), nil))
	if d >= 0 {
		r.Mul(r, scale)
	} else {
		r.Quo(r, scale)
	}
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if !trunc {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if twice.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	res := new(big.Rat).SetInt(q)
	if d >= 0 {
		res.Quo(res, scale)
	} else {
		res.Mul(res, scale)
	}
	f, _ := res.Float64()
	return f
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestMathAgainstReference(t *testing.T) {
	r := testRegistry()
	f8, i4, i8 := types.Float64Type, types.Int32Type, types.Int64Type
	floats := genFloat(0, -0.5, 0.5, 2.5, 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), 1e300, 2.675, 0.125)
	places := genInt(i4, -3, 5)
	ints := genInt(i8, -20, 20)
	gens := func(g ...func(*rand.Rand) types.Datum) []func(*rand.Rand) types.Datum { return g }
	f := func(v float64) (types.Datum, error) { return f64D(v), nil }
	cases := []refCase{
		{name: "round", args: []types.Type{f8}, gens: gens(floats), ref: func(a []types.Datum) (types.Datum, error) { return f(math.RoundToEven(a[0].F)) }},
		{name: "round", args: []types.Type{f8, i4}, gens: gens(floats, places), ref: func(a []types.Datum) (types.Datum, error) {
			return f(refRound(a[0].F, a[1].I, false))
		}},
		{name: "trunc", args: []types.Type{f8, i4}, gens: gens(floats, places), ref: func(a []types.Datum) (types.Datum, error) {
			return f(refRound(a[0].F, a[1].I, true))
		}},
		{name: "floor", args: []types.Type{f8}, gens: gens(floats), ref: func(a []types.Datum) (types.Datum, error) { return f(math.Floor(a[0].F)) }},
		{name: "abs", args: []types.Type{i8}, gens: gens(genPick(i64D(math.MinInt64), i64D(-3), i64D(7))), ref: func(a []types.Datum) (types.Datum, error) {
			if a[0].I == math.MinInt64 {
				return types.Datum{}, outOfRange(i8)
			}
			return i64D(max(a[0].I, -a[0].I)), nil
		}},
		{name: "sqrt", args: []types.Type{f8}, gens: gens(floats), ref: func(a []types.Datum) (types.Datum, error) {
			if a[0].F < 0 {
				return types.Datum{}, sqlerr.New(sqlerr.InvalidArgumentForPower, "neg")
			}
			return f(math.Sqrt(a[0].F))
		}},
		{name: "ln", args: []types.Type{f8}, gens: gens(floats), ref: func(a []types.Datum) (types.Datum, error) {
			if a[0].F <= 0 {
				return types.Datum{}, sqlerr.New(sqlerr.InvalidArgumentForLogarithm, "bad")
			}
			return f(math.Log(a[0].F))
		}},
		{name: "power", args: []types.Type{f8, f8}, gens: gens(floats, genFloat(0, 1, 2, 3, -1, 0.5, -2)), tol: 1e-15,
			ref: func(a []types.Datum) (types.Datum, error) {
				x, y := a[0].F, a[1].F
				switch {
				case math.IsNaN(x) && y == 0, x == 1:
					return f(1)
				case x == 0 && y < 0, x < 0 && !math.IsInf(y, 0) && y != math.Trunc(y):
					return types.Datum{}, sqlerr.New(sqlerr.InvalidArgumentForPower, "bad")
				}
				p := math.Pow(x, y)
				if math.IsInf(p, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) || p == 0 && x != 0 && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
					return types.Datum{}, overflow()
				}
				return f(p)
			}},
		{name: "mod", args: []types.Type{i8, i8}, gens: gens(ints, genInt(i8, -3, 3)), ref: func(a []types.Datum) (types.Datum, error) {
			if a[1].I == 0 {
				return types.Datum{}, divByZero()
			}
			return i64D(a[0].I % a[1].I), nil
		}},
		{name: "greatest", args: []types.Type{i8, i8, i8}, gens: gens(ints, ints, ints), ref: func(a []types.Datum) (types.Datum, error) {
			best := nullD(i8)
			for _, d := range a {
				if !d.Null && (best.Null || d.I > best.I) {
					best = d
				}
			}
			return best, nil
		}},
		{name: "least", args: []types.Type{f8, f8}, gens: gens(floats, floats), ref: func(a []types.Datum) (types.Datum, error) {
			best := nullD(f8)
			for _, d := range a {
				if !d.Null && (best.Null || floatCmp(d.F, best.F) < 0) {
					best = d
				}
			}
			return best, nil
		}},
		{name: "greatest", args: []types.Type{types.TextType, types.TextType}, gens: gens(genText([]string{"a", "b", "é"}, 3), genText([]string{"a", "b"}, 3)),
			ref: func(a []types.Datum) (types.Datum, error) {
				best := nullD(types.TextType)
				for _, d := range a {
					if !d.Null && (best.Null || d.S > best.S) {
						best = d
					}
				}
				return best, nil
			}},
	}
	for _, c := range cases {
		checkRef(t, r, c)
	}
}
