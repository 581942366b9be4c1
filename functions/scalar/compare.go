package scalar

import (
	"bytes"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// CmpOp is a comparison operator.
type CmpOp uint8

// The comparison operators, named by their SQL spelling in Names.
const (
	Eq CmpOp = iota
	Ne
	Lt
	Le
	Gt
	Ge
)

// CmpOpNames maps each operator to the registry name of its function.
var CmpOpNames = [...]string{Eq: "=", Ne: "<>", Lt: "<", Le: "<=", Gt: ">", Ge: ">="}

// flip returns the operator with its operands swapped (a < b == b > a).
func (op CmpOp) flip() CmpOp {
	switch op {
	case Lt:
		return Gt
	case Le:
		return Ge
	case Gt:
		return Lt
	case Ge:
		return Le
	}
	return op
}

func (op CmpOp) holds(c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	case Gt:
		return c > 0
	}
	return c >= 0
}

// comparableKinds are the types with comparison operators.
var comparableKinds = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type,
	types.Float64Type, types.TextType, types.TimestampType, types.TimestampTZType, types.DateType,
	types.IntervalType, types.OidType, types.ByteaType,
}

func registerCompare(r *functions.Registry) {
	for op := Eq; op <= Ge; op++ {
		for _, t := range comparableKinds {
			op, t := op, t
			r.AddScalar(&functions.Scalar{
				Name: CmpOpNames[op], Args: []types.Type{t, t}, Ret: types.BoolType,
				Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
					return Compare(op, t, args[0], args[1], n), nil
				},
				Doc: "comparison",
			})
		}
	}
}

// Compare evaluates a op b for two values of type t (after coercion).
func Compare(op CmpOp, t types.Type, a, b functions.Value, n int) functions.Value {
	if a.IsScalar() && a.Scalar.Null || b.IsScalar() && b.Scalar.Null {
		return nullResult(types.BoolType)
	}
	if a.IsScalar() && b.IsScalar() {
		return functions.ScalarValue(types.BoolDatum(op.holds(CompareDatums(a.Scalar, b.Scalar))))
	}
	if a.IsScalar() {
		a, b, op = b, a, op.flip()
	}
	validity := validityOf(n, []functions.Value{a, b})
	bits := vec.Bitmap(n)
	switch physOf(t) {
	case physI16:
		cmpFixed[int16](op, a, b, n, bits)
	case physI32:
		cmpFixed[int32](op, a, b, n, bits)
	case physI64:
		cmpFixed[int64](op, a, b, n, bits)
	case physU32:
		cmpFixed[uint32](op, a, b, n, bits)
	case physF32:
		cmpFloat[float32](op, a, b, n, bits)
	case physF64:
		cmpFloat[float64](op, a, b, n, bits)
	case physStr:
		cmpStrings(op, a, b, n, bits)
	case physBool:
		cmpBool(op, a, b, n, bits)
	case physInterval:
		cmpInterval(op, a, b, n, bits)
	default:
		panic("BUG: comparison of " + t.String())
	}
	return functions.ArrayValue(vec.NewBool(n, bits, validity, -1))
}

func setBit(bits []byte, i int, v bool) {
	if v {
		bits[i>>3] |= 1 << (i & 7)
	}
}

// cmpFixed compares an array with an array or a scalar (b), writing the
// result bits. The op switch is outside the loops so each loop is a
// plain typed comparison the compiler can keep tight.
func cmpFixed[T int16 | int32 | int64 | uint32](op CmpOp, a, b functions.Value, n int, bits []byte) {
	av := vec.Values[T](a.Array)
	bv, bs := fixedArg[T](b)
	if bv == nil {
		switch op {
		case Eq:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] == bs)
			}
		case Ne:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] != bs)
			}
		case Lt:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] < bs)
			}
		case Le:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] <= bs)
			}
		case Gt:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] > bs)
			}
		case Ge:
			for i := 0; i < n; i++ {
				setBit(bits, i, av[i] >= bs)
			}
		}
		return
	}
	switch op {
	case Eq:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] == bv[i])
		}
	case Ne:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] != bv[i])
		}
	case Lt:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] < bv[i])
		}
	case Le:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] <= bv[i])
		}
	case Gt:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] > bv[i])
		}
	case Ge:
		for i := 0; i < n; i++ {
			setBit(bits, i, av[i] >= bv[i])
		}
	}
}

// cmpFloat compares floats with Postgres's total order: NaN equals NaN
// and sorts above every other value.
func cmpFloat[T float32 | float64](op CmpOp, a, b functions.Value, n int, bits []byte) {
	av := vec.Values[T](a.Array)
	bv, bs := fixedArg[T](b)
	for i := 0; i < n; i++ {
		y := bs
		if bv != nil {
			y = bv[i]
		}
		setBit(bits, i, op.holds(floatCmp(float64(av[i]), float64(y))))
	}
}

func floatCmp(x, y float64) int {
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpStrings(op CmpOp, a, b functions.Value, n int, bits []byte) {
	as := vec.StringsOf(a.Array)
	if b.IsScalar() {
		bs := []byte(b.Scalar.S)
		for i := 0; i < n; i++ {
			setBit(bits, i, op.holds(bytes.Compare(as.Bytes(i), bs)))
		}
		return
	}
	bss := vec.StringsOf(b.Array)
	for i := 0; i < n; i++ {
		setBit(bits, i, op.holds(bytes.Compare(as.Bytes(i), bss.Bytes(i))))
	}
}

func boolAt(v functions.Value, i int) bool {
	if v.IsScalar() {
		return v.Scalar.I != 0
	}
	return v.Array.(interface{ Value(int) bool }).Value(i)
}

func cmpBool(op CmpOp, a, b functions.Value, n int, bits []byte) {
	for i := 0; i < n; i++ {
		x, y := boolAt(a, i), boolAt(b, i)
		c := 0
		if x != y {
			c = 1
			if !x {
				c = -1
			}
		}
		setBit(bits, i, op.holds(c))
	}
}

// intervalKey orders intervals as Postgres does: months count as 30
// days and days as 24 hours.
func intervalKey(iv types.IntervalValue) int64 {
	return int64(iv.Months)*30*types.MicrosPerDay + int64(iv.Days)*types.MicrosPerDay + iv.Micros
}

func intervalAt(v functions.Value, i int) types.IntervalValue {
	if v.IsScalar() {
		return v.Scalar.Iv
	}
	x := vec.Values[arrow.MonthDayNanoInterval](v.Array)[i]
	return types.IntervalValue{Months: x.Months, Days: x.Days, Micros: x.Nanoseconds / 1000}
}

func cmpInterval(op CmpOp, a, b functions.Value, n int, bits []byte) {
	for i := 0; i < n; i++ {
		x, y := intervalKey(intervalAt(a, i)), intervalKey(intervalAt(b, i))
		c := 0
		if x < y {
			c = -1
		} else if x > y {
			c = 1
		}
		setBit(bits, i, op.holds(c))
	}
}

// CompareDatums orders two non-NULL datums of the same type.
func CompareDatums(a, b types.Datum) int {
	switch physOf(a.Type) {
	case physF32, physF64:
		return floatCmp(a.F, b.F)
	case physStr:
		return strings.Compare(a.S, b.S)
	case physInterval:
		x, y := intervalKey(a.Iv), intervalKey(b.Iv)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	}
	if a.I < b.I {
		return -1
	} else if a.I > b.I {
		return 1
	}
	return 0
}
