package scalar

import (
	"math"
	"strconv"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Mathematical functions over int2/int4/int8/float4/float8, with the
// overloads Postgres has for those types (its numeric overloads have no
// counterpart: integer arguments of round/ceil/floor/trunc keep their
// type, which prints as Postgres's numeric result would). Errors and
// special values follow Postgres's float.c: domain errors are 2201E /
// 2201F, results that overflow or underflow are 22003, and NaN and
// infinities pass through where Postgres lets them.
//
// round(float8, int) and trunc(float8, int) exist only for numeric in
// Postgres. Here they round (half away from zero) or truncate the
// shortest decimal representation of the float, so round(2.675, 2) is
// 2.68 as it would be for the numeric literal.

var intTypes = []types.Type{types.Int16Type, types.Int32Type, types.Int64Type}

func registerMath(r *functions.Registry) {
	f8, i32 := types.Float64Type, types.Int32Type
	add := func(name string, args []types.Type, ret types.Type, doc string, k functions.Kernel) {
		r.AddScalar(&functions.Scalar{Name: name, Args: args, Ret: ret, Doc: doc, Kernel: strict(ret, k)})
	}
	unary := func(name, doc string, f func(float64) (float64, error)) {
		add(name, []types.Type{f8}, f8, doc, floatUnary(f))
	}
	for _, t := range intTypes {
		add("abs", []types.Type{t}, t, "absolute value", absIntKernel(t))
		for _, name := range []string{"round", "ceil", "ceiling", "floor", "trunc"} {
			add(name, []types.Type{t}, t, "integers are already whole", identityKernel)
		}
		add("mod", []types.Type{t, t}, t, "remainder of integer division", modKernel(t))
	}
	add("abs", []types.Type{types.Float32Type}, types.Float32Type, "absolute value", absFloat32Kernel)
	unary("abs", "absolute value", func(x float64) (float64, error) { return math.Abs(x), nil })
	unary("round", "round to the nearest integer, half to even", func(x float64) (float64, error) { return math.RoundToEven(x), nil })
	unary("ceil", "smallest integer not less than the argument", func(x float64) (float64, error) { return math.Ceil(x), nil })
	unary("ceiling", "smallest integer not less than the argument", func(x float64) (float64, error) { return math.Ceil(x), nil })
	unary("floor", "largest integer not greater than the argument", func(x float64) (float64, error) { return math.Floor(x), nil })
	unary("trunc", "truncate toward zero", func(x float64) (float64, error) { return math.Trunc(x), nil })
	add("round", []types.Type{f8, i32}, f8, "round to a number of decimal places, half away from zero", decimalKernel(false))
	add("trunc", []types.Type{f8, i32}, f8, "truncate to a number of decimal places", decimalKernel(true))
	unary("sqrt", "square root", fsqrt)
	unary("cbrt", "cube root", func(x float64) (float64, error) { return math.Cbrt(x), nil })
	// erf and erfc are not in Postgres; detectors turn a z-score into a
	// [0, 1] anomaly score with them (erf(|z| / sqrt(2))).
	unary("erf", "error function (Tocsin extension)", func(x float64) (float64, error) { return math.Erf(x), nil })
	unary("erfc", "complementary error function (Tocsin extension)", func(x float64) (float64, error) { return math.Erfc(x), nil })
	unary("ln", "natural logarithm", func(x float64) (float64, error) { return logOf(x, math.Log) })
	unary("log", "base 10 logarithm", func(x float64) (float64, error) { return logOf(x, math.Log10) })
	unary("log10", "base 10 logarithm", func(x float64) (float64, error) { return logOf(x, math.Log10) })
	add("log", []types.Type{f8, f8}, f8, "logarithm to a base", floatBinary(logBase))
	unary("exp", "exponential", fexp)
	for _, name := range []string{"power", "pow", "^"} {
		add(name, []types.Type{f8, f8}, f8, "a raised to the power b", floatBinary(fpow))
	}
	unary("sign", "sign of the argument (-1, 0, 1)", fsign)
	unary("degrees", "radians to degrees", func(x float64) (float64, error) {
		return checkFloat(x/radiansPerDegree, x, x == 0)
	})
	unary("radians", "degrees to radians", func(x float64) (float64, error) {
		return checkFloat(x*radiansPerDegree, x, x == 0)
	})
	for _, f := range []struct {
		name string
		fn   func(float64) float64
		dom  func(float64) bool
	}{
		{"sin", math.Sin, finite}, {"cos", math.Cos, finite}, {"tan", math.Tan, finite},
		{"asin", math.Asin, unitRange}, {"acos", math.Acos, unitRange}, {"atan", math.Atan, nil},
	} {
		f := f
		unary(f.name, "trigonometric function", func(x float64) (float64, error) {
			if math.IsNaN(x) {
				return x, nil
			}
			if f.dom != nil && !f.dom(x) {
				return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "input is out of range")
			}
			return f.fn(x), nil
		})
	}
	add("atan2", []types.Type{f8, f8}, f8, "arctangent of y/x", floatBinary(func(y, x float64) (float64, error) {
		return math.Atan2(y, x), nil
	}))
	r.AddScalar(&functions.Scalar{
		Name: "pi", Ret: f8, Doc: "the constant π",
		Kernel: func(*functions.Context, []functions.Value, int) (functions.Value, error) {
			return functions.ScalarValue(types.FloatDatum(f8, math.Pi)), nil
		},
	})
	registerExtremes(r)
}

// radiansPerDegree is Postgres's RADIANS_PER_DEGREE.
const radiansPerDegree = 0.0174532925199432957692

// finite reports whether f is neither NaN nor infinite.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func unitRange(x float64) bool { return x >= -1 && x <= 1 }

func overflow() error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
}

func underflow() error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: underflow")
}

// checkFloat is Postgres's check_float8_val: an infinite result from
// finite input overflowed, a zero result from non-zero input underflowed.
func checkFloat(r, in float64, zeroOK bool) (float64, error) {
	if math.IsInf(r, 0) && !math.IsInf(in, 0) {
		return 0, overflow()
	}
	if r == 0 && !zeroOK {
		return 0, underflow()
	}
	return r, nil
}

func fsqrt(x float64) (float64, error) {
	if x < 0 {
		return 0, sqlerr.New(sqlerr.InvalidArgumentForPower, "cannot take square root of a negative number")
	}
	return math.Sqrt(x), nil
}

func logOf(x float64, f func(float64) float64) (float64, error) {
	if x == 0 {
		return 0, sqlerr.New(sqlerr.InvalidArgumentForLogarithm, "cannot take logarithm of zero")
	}
	if x < 0 {
		return 0, sqlerr.New(sqlerr.InvalidArgumentForLogarithm, "cannot take logarithm of a negative number")
	}
	return f(x), nil
}

// logBase is log(b, x) = ln(x) / ln(b).
func logBase(b, x float64) (float64, error) {
	lb, err := logOf(b, math.Log)
	if err != nil {
		return 0, err
	}
	lx, err := logOf(x, math.Log)
	if err != nil {
		return 0, err
	}
	if lb == 0 {
		return 0, divByZero()
	}
	return lx / lb, nil
}

func fexp(x float64) (float64, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		if math.IsInf(x, -1) {
			return 0, nil
		}
		return x, nil
	}
	r := math.Exp(x)
	if math.IsInf(r, 0) {
		return 0, overflow()
	}
	if r == 0 {
		return 0, underflow()
	}
	return r, nil
}

// fpow is Postgres's dpow, special cases included.
func fpow(x, y float64) (float64, error) {
	if math.IsNaN(x) {
		if math.IsNaN(y) || y != 0 {
			return math.NaN(), nil
		}
		return 1, nil
	}
	if math.IsNaN(y) {
		if x != 1 {
			return math.NaN(), nil
		}
		return 1, nil
	}
	if x == 0 && y < 0 {
		return 0, sqlerr.New(sqlerr.InvalidArgumentForPower, "zero raised to a negative power is undefined")
	}
	if x < 0 && math.Floor(y) != y {
		return 0, sqlerr.New(sqlerr.InvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	switch {
	case math.IsInf(y, 0):
		ax := math.Abs(x)
		switch {
		case ax == 1:
			return 1, nil
		case y > 0:
			if ax > 1 {
				return y, nil
			}
			return 0, nil
		case ax > 1:
			return 0, nil
		}
		return -y, nil
	case math.IsInf(x, 0):
		if y == 0 {
			return 1, nil
		}
		if x > 0 {
			if y > 0 {
				return x, nil
			}
			return 0, nil
		}
		half := y / 2
		odd := math.Floor(half) != half
		if y > 0 {
			if odd {
				return x, nil
			}
			return -x, nil
		}
		if odd {
			return math.Copysign(0, -1), nil
		}
		return 0, nil
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) {
		return 0, overflow()
	}
	if r == 0 && x != 0 {
		return 0, underflow()
	}
	return r, nil
}

// fsign follows Postgres's dsign, where NaN gives 0.
func fsign(x float64) (float64, error) {
	switch {
	case x > 0:
		return 1, nil
	case x < 0:
		return -1, nil
	}
	return 0, nil
}

// roundDecimal rounds (half away from zero) or truncates x to d decimal
// places (d < 0 rounds to tens, hundreds ...) on x's shortest decimal
// representation.
func roundDecimal(x float64, d int64, trunc bool) float64 {
	if !finite(x) || x == 0 {
		return x
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', -1, 64) // [-]d.ddde±XX
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	k := 0
	for k < len(b) && b[k] != 'e' {
		k++
	}
	exp := 0
	for _, c := range b[k+2:] {
		exp = exp*10 + int(c-'0')
	}
	if b[k+1] == '-' {
		exp = -exp
	}
	var digits [24]byte
	nd := 0
	for _, c := range b[:k] {
		if c != '.' {
			digits[nd] = c
			nd++
		}
	}
	// value = 0.digits × 10^(exp+1); keep the first exp+1+d digits.
	keep := int64(exp) + 1 + d
	if keep >= int64(nd) {
		return x
	}
	var m uint64
	if keep < 0 {
		m = 0
	} else {
		for _, c := range digits[:keep] {
			m = m*10 + uint64(c-'0')
		}
		if !trunc && digits[keep] >= '5' {
			m++
		}
	}
	if m == 0 {
		return 0
	}
	var r float64
	switch {
	case m < 1<<53 && d >= 0 && d <= 22:
		r = float64(m) / pow10[d]
	case m < 1<<53 && d < 0 && d >= -22:
		r = float64(m) * pow10[-d]
	default:
		s := strconv.AppendUint(buf[:0], m, 10)
		s = append(s, 'e')
		s = strconv.AppendInt(s, -d, 10)
		r, _ = strconv.ParseFloat(string(s), 64)
	}
	if neg {
		r = -r
	}
	return r
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func decimalKernel(trunc bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		x, d := fixedOf[float64](args[0]), intOf(args[1], types.Int32Type)
		validity := validityOf(n, args)
		out := make([]float64, n)
		for i := 0; i < n; i++ {
			if valid(validity, i) {
				out[i] = roundDecimal(x.at(i), d.at(i), trunc)
			}
		}
		return fixedResult(types.Float64Type, out, validity), nil
	}
}

// floatUnary maps a float8 function over its argument.
func floatUnary(f func(float64) (float64, error)) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		x := fixedOf[float64](args[0])
		validity := validityOf(n, args)
		out := make([]float64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			r, err := f(x.at(i))
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = r
		}
		return fixedResult(types.Float64Type, out, validity), nil
	}
}

// floatBinary maps a float8 function of two arguments.
func floatBinary(f func(x, y float64) (float64, error)) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		x, y := fixedOf[float64](args[0]), fixedOf[float64](args[1])
		validity := validityOf(n, args)
		out := make([]float64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			r, err := f(x.at(i), y.at(i))
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = r
		}
		return fixedResult(types.Float64Type, out, validity), nil
	}
}

func identityKernel(_ *functions.Context, args []functions.Value, _ int) (functions.Value, error) {
	return args[0], nil
}

func absIntKernel(t types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		switch physOf(t) {
		case physI16:
			return absInt[int16](t, args, n, math.MinInt16)
		case physI32:
			return absInt[int32](t, args, n, math.MinInt32)
		}
		return absInt[int64](t, args, n, math.MinInt64)
	}
}

func absInt[T int16 | int32 | int64](t types.Type, args []functions.Value, n int, lo T) (functions.Value, error) {
	x := fixedOf[T](args[0])
	validity := validityOf(n, args)
	out := make([]T, n)
	for i := 0; i < n; i++ {
		v := x.at(i)
		if v < 0 {
			if v == lo && valid(validity, i) {
				return functions.Value{}, outOfRange(t)
			}
			v = -v
		}
		out[i] = v
	}
	return fixedResult(t, out, validity), nil
}

func absFloat32Kernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	x := fixedOf[float32](args[0])
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(math.Abs(float64(x.at(i))))
	}
	return fixedResult(types.Float32Type, out, validityOf(n, args)), nil
}

func modKernel(t types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		x, y := intOf(args[0], t), intOf(args[1], t)
		validity := validityOf(n, args)
		out := make([]int64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			a, b := x.at(i), y.at(i)
			switch b {
			case 0:
				return functions.Value{}, divByZero()
			case -1:
				// MinInt % -1 traps in Go; the answer is 0.
			default:
				out[i] = a % b
			}
		}
		return narrowInts(t, out, validity), nil
	}
}

// narrowInts converts int64 results (known to fit) to t's width.
func narrowInts(t types.Type, out []int64, validity []byte) functions.Value {
	switch physOf(t) {
	case physI16:
		o := make([]int16, len(out))
		for i, v := range out {
			o[i] = int16(v)
		}
		return fixedResult(t, o, validity)
	case physI32:
		o := make([]int32, len(out))
		for i, v := range out {
			o[i] = int32(v)
		}
		return fixedResult(t, o, validity)
	}
	return fixedResult(t, out, validity)
}
