package scalar

import (
	"math"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// ArithOp is an arithmetic operator.
type ArithOp uint8

// The arithmetic operators.
const (
	Add ArithOp = iota
	Sub
	Mul
	Div
	Mod
)

// ArithOpNames maps each operator to its registry name.
var ArithOpNames = [...]string{Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%"}

var numericTypes = []types.Type{types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type}

func registerArith(r *functions.Registry) {
	for op := Add; op <= Mod; op++ {
		for _, t := range numericTypes {
			if op == Mod && t.IsFloat() {
				continue // Postgres has no % for floating point.
			}
			op, t := op, t
			r.AddScalar(&functions.Scalar{
				Name: ArithOpNames[op], Args: []types.Type{t, t}, Ret: t,
				Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
					return Arith(op, t, args[0], args[1], n)
				},
				Doc: "arithmetic",
			})
		}
	}
	for _, t := range numericTypes {
		t := t
		r.AddScalar(&functions.Scalar{
			Name: "neg", Args: []types.Type{t}, Ret: t,
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				return Negate(t, args[0], n)
			},
			Doc: "unary minus",
		})
	}
}

func outOfRange(t types.Type) error {
	switch t.Kind {
	case types.Int16:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "smallint out of range")
	case types.Int32:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "integer out of range")
	case types.Int64:
		return sqlerr.New(sqlerr.NumericValueOutOfRange, "bigint out of range")
	}
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
}

func divByZero() error { return sqlerr.New(sqlerr.DivisionByZero, "division by zero") }

// Arith evaluates a op b for two numeric values of type t.
func Arith(op ArithOp, t types.Type, a, b functions.Value, n int) (functions.Value, error) {
	if anyNullScalar([]functions.Value{a, b}) {
		return nullResult(t), nil
	}
	if a.IsScalar() && b.IsScalar() {
		d, err := arithDatum(op, t, a.Scalar, b.Scalar)
		return functions.ScalarValue(d), err
	}
	validity := validityOf(n, []functions.Value{a, b})
	switch physOf(t) {
	case physI16:
		return intArith[int16](op, t, a, b, n, validity, math.MinInt16, math.MaxInt16)
	case physI32:
		return intArith[int32](op, t, a, b, n, validity, math.MinInt32, math.MaxInt32)
	case physI64:
		return int64Arith(op, t, a, b, n, validity)
	case physF32:
		return floatArith[float32](op, t, a, b, n, validity)
	case physF64:
		return floatArith[float64](op, t, a, b, n, validity)
	}
	panic("BUG: arithmetic on " + t.String())
}

func arithDatum(op ArithOp, t types.Type, x, y types.Datum) (types.Datum, error) {
	if t.IsFloat() {
		r, err := floatOp(op, x.F, y.F)
		if err == nil && t.Kind == types.Float32 && !math.IsInf(r, 0) && math.Abs(r) > math.MaxFloat32 {
			err = outOfRange(t)
		}
		return types.FloatDatum(t, r), err
	}
	r, err := int64Op(op, t, x.I, y.I)
	if err != nil {
		return types.Datum{}, err
	}
	if lo, hi := intRange(t); r < lo || r > hi {
		return types.Datum{}, outOfRange(t)
	}
	return types.IntDatum(t, r), nil
}

func intRange(t types.Type) (int64, int64) {
	switch t.Kind {
	case types.Int16:
		return math.MinInt16, math.MaxInt16
	case types.Int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// intArith computes narrow-integer arithmetic in int64 and checks the
// range of each result, so overflow can never wrap silently.
func intArith[T int16 | int32](op ArithOp, t types.Type, a, b functions.Value, n int, validity []byte, lo, hi int64) (functions.Value, error) {
	av, as := fixedArg[T](a)
	bv, bs := fixedArg[T](b)
	out := make([]T, n)
	for i := 0; i < n; i++ {
		x, y := int64(as), int64(bs)
		if av != nil {
			x = int64(av[i])
		}
		if bv != nil {
			y = int64(bv[i])
		}
		if !valid(validity, i) {
			continue
		}
		var r int64
		switch op {
		case Add:
			r = x + y
		case Sub:
			r = x - y
		case Mul:
			r = x * y
		case Div:
			if y == 0 {
				return functions.Value{}, divByZero()
			}
			r = x / y
		case Mod:
			if y == 0 {
				return functions.Value{}, divByZero()
			}
			r = x % y
		}
		if r < lo || r > hi {
			return functions.Value{}, outOfRange(t)
		}
		out[i] = T(r)
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
}

func int64Op(op ArithOp, t types.Type, x, y int64) (int64, error) {
	switch op {
	case Add:
		r := x + y
		if (r > x) != (y > 0) {
			return 0, outOfRange(t)
		}
		return r, nil
	case Sub:
		r := x - y
		if (r < x) != (y > 0) {
			return 0, outOfRange(t)
		}
		return r, nil
	case Mul:
		if x == 0 || y == 0 {
			return 0, nil
		}
		r := x * y
		if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
			return 0, outOfRange(t)
		}
		return r, nil
	case Div:
		if y == 0 {
			return 0, divByZero()
		}
		if x == math.MinInt64 && y == -1 {
			return 0, outOfRange(t)
		}
		return x / y, nil
	}
	if y == 0 {
		return 0, divByZero()
	}
	if y == -1 {
		return 0, nil
	}
	return x % y, nil
}

func int64Arith(op ArithOp, t types.Type, a, b functions.Value, n int, validity []byte) (functions.Value, error) {
	av, as := fixedArg[int64](a)
	bv, bs := fixedArg[int64](b)
	out := make([]int64, n)
	if op == Add && validity == nil && av != nil {
		// The common case gets a loop with no per-row switch.
		for i := 0; i < n; i++ {
			y := bs
			if bv != nil {
				y = bv[i]
			}
			r := av[i] + y
			if (r > av[i]) != (y > 0) {
				return functions.Value{}, outOfRange(t)
			}
			out[i] = r
		}
		return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, nil, 0)), nil
	}
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		x, y := as, bs
		if av != nil {
			x = av[i]
		}
		if bv != nil {
			y = bv[i]
		}
		r, err := int64Op(op, t, x, y)
		if err != nil {
			return functions.Value{}, err
		}
		out[i] = r
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
}

func floatOp(op ArithOp, x, y float64) (float64, error) {
	var r float64
	switch op {
	case Add:
		r = x + y
	case Sub:
		r = x - y
	case Mul:
		r = x * y
	case Div:
		if y == 0 {
			return 0, divByZero()
		}
		r = x / y
	default:
		panic("BUG: float modulo")
	}
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
	}
	return r, nil
}

func floatArith[T float32 | float64](op ArithOp, t types.Type, a, b functions.Value, n int, validity []byte) (functions.Value, error) {
	av, as := fixedArg[T](a)
	bv, bs := fixedArg[T](b)
	out := make([]T, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		x, y := as, bs
		if av != nil {
			x = av[i]
		}
		if bv != nil {
			y = bv[i]
		}
		var r T
		switch op {
		case Add:
			r = x + y
		case Sub:
			r = x - y
		case Mul:
			r = x * y
		case Div:
			if y == 0 {
				return functions.Value{}, divByZero()
			}
			r = x / y
		}
		if math.IsInf(float64(r), 0) && !math.IsInf(float64(x), 0) && !math.IsInf(float64(y), 0) {
			return functions.Value{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
		}
		out[i] = r
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
}

// Negate evaluates unary minus.
func Negate(t types.Type, a functions.Value, n int) (functions.Value, error) {
	if a.IsScalar() {
		if a.Scalar.Null {
			return a, nil
		}
		d := a.Scalar
		if t.IsFloat() {
			d.F = -d.F
			return functions.ScalarValue(d), nil
		}
		if lo, _ := intRange(t); d.I == lo {
			return functions.Value{}, outOfRange(t)
		}
		d.I = -d.I
		return functions.ScalarValue(d), nil
	}
	validity := validityOf(n, []functions.Value{a})
	switch physOf(t) {
	case physI16:
		return negInt[int16](t, a, n, validity, math.MinInt16)
	case physI32:
		return negInt[int32](t, a, n, validity, math.MinInt32)
	case physI64:
		return negInt[int64](t, a, n, validity, math.MinInt64)
	case physF32:
		return negFloat[float32](t, a, n, validity), nil
	case physF64:
		return negFloat[float64](t, a, n, validity), nil
	}
	panic("BUG: negation of " + t.String())
}

func negInt[T int16 | int32 | int64](t types.Type, a functions.Value, n int, validity []byte, lo T) (functions.Value, error) {
	av := vec.Values[T](a.Array)
	out := make([]T, n)
	for i := 0; i < n; i++ {
		if av[i] == lo && valid(validity, i) {
			return functions.Value{}, outOfRange(t)
		}
		out[i] = -av[i]
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
}

func negFloat[T float32 | float64](t types.Type, a functions.Value, n int, validity []byte) functions.Value {
	av := vec.Values[T](a.Array)
	out := make([]T, n)
	for i := 0; i < n; i++ {
		out[i] = -av[i]
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1))
}
