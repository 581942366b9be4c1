package scalar

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the plumbing the function families share: typed
// accessors that hide whether an argument is an array or a scalar, the
// strict wrapper that gives NULL-propagating functions their scalar fast
// paths, and result builders. The accessors are small structs with an
// inlinable at(i); a kernel resolves them once per call and then loops.

// textArg reads a string-typed argument row by row.
type textArg struct {
	strs     vec.Strings
	scalar   []byte
	isScalar bool
}

func textArgOf(v functions.Value) textArg {
	if v.IsScalar() {
		return textArg{scalar: []byte(v.Scalar.S), isScalar: true}
	}
	return textArg{strs: vec.StringsOf(v.Array)}
}

// at returns row i's bytes, aliasing the array (or the scalar).
func (a *textArg) at(i int) []byte {
	if a.isScalar {
		return a.scalar
	}
	return a.strs.Data[a.strs.Offsets[i]:a.strs.Offsets[i+1]]
}

// fixedArgOf reads a fixed-width argument row by row.
type fixedArgOf[T vec.Fixed] struct {
	vals []T
	c    T
}

func fixedOf[T vec.Fixed](v functions.Value) fixedArgOf[T] {
	vals, c := fixedArg[T](v)
	return fixedArgOf[T]{vals: vals, c: c}
}

func (a fixedArgOf[T]) at(i int) T {
	if a.vals == nil {
		return a.c
	}
	return a.vals[i]
}

// intArgOf reads any integer-typed argument (int2, int4, int8) as int64.
type intArgOf struct {
	i16 []int16
	i32 []int32
	i64 []int64
	c   int64
}

func intOf(v functions.Value, t types.Type) intArgOf {
	if v.IsScalar() {
		return intArgOf{c: v.Scalar.I}
	}
	switch physOf(t) {
	case physI16:
		return intArgOf{i16: vec.Values[int16](v.Array)}
	case physI32:
		return intArgOf{i32: vec.Values[int32](v.Array)}
	}
	return intArgOf{i64: vec.Values[int64](v.Array)}
}

func (a *intArgOf) at(i int) int64 {
	switch {
	case a.i32 != nil:
		return int64(a.i32[i])
	case a.i64 != nil:
		return a.i64[i]
	case a.i16 != nil:
		return int64(a.i16[i])
	}
	return a.c
}

// allScalar reports whether every argument is a scalar.
func allScalar(args []functions.Value) bool {
	for _, a := range args {
		if !a.IsScalar() {
			return false
		}
	}
	return true
}

// strict wraps the kernel of a NULL-propagating function returning ret:
// a NULL scalar argument makes the result NULL without running k, and
// when every argument is a scalar k runs on a single row and its result
// becomes a scalar. So k itself only needs its array loop, written with
// accessors that also serve scalars.
func strict(ret types.Type, k functions.Kernel) functions.Kernel {
	return func(ctx *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		if anyNullScalar(args) {
			return nullResult(ret), nil
		}
		if len(args) > 0 && allScalar(args) {
			return scalarOnce(ret, k, ctx, args)
		}
		return k(ctx, args, n)
	}
}

// anyNullConst reports whether a constant argument is NULL, in which
// case a strict function's Prepare must not reject the other constants:
// the result is NULL and nothing is evaluated.
func anyNullConst(consts []*types.Datum) bool {
	for _, c := range consts {
		if c != nil && c.Null {
			return true
		}
	}
	return false
}

// scalarOnce runs k on one row of scalar arguments and returns its
// result as a scalar.
func scalarOnce(ret types.Type, k functions.Kernel, ctx *functions.Context, args []functions.Value) (functions.Value, error) {
	v, err := k(ctx, args, 1)
	if err != nil || v.IsScalar() {
		return v, err
	}
	d := functions.DatumAt(v.Array, ret, 0)
	d.Type = ret
	return functions.ScalarValue(d), nil
}

// nullMask is a result's validity: the inputs' combined validity, to
// which a kernel may add NULLs of its own (a missing JSON key).
type nullMask struct {
	bits []byte
	n    int
}

func newNullMask(n int, args []functions.Value) nullMask {
	return nullMask{bits: validityOf(n, args), n: n}
}

func (m *nullMask) valid(i int) bool { return valid(m.bits, i) }

func (m *nullMask) setNull(i int) {
	if m.bits == nil {
		m.bits = vec.AllValid(m.n)
	}
	m.bits[i>>3] &^= 1 << (i & 7)
}

// maxTextBytes bounds the bytes one result array may hold (Arrow's
// int32 offsets) and one value may have (Postgres's 1 GB limit).
const (
	maxTextBytes = math.MaxInt32
	maxValueLen  = 1<<30 - 1
)

// presizeRow is the row after which presize extrapolates.
const presizeRow = 32

// presize is called before row i of n of a text result: at row
// presizeRow it grows data once to the size the rows so far extrapolate
// to, so that a batch costs one or two allocations instead of the many
// of append's 1.25x growth.
func presize(data []byte, i, n int) []byte {
	if i != presizeRow || n <= 2*presizeRow {
		return data
	}
	est := len(data)/presizeRow*n + len(data)
	if est <= cap(data) {
		return data
	}
	grown := make([]byte, len(data), est)
	copy(grown, data)
	return grown
}

func tooLarge() error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "requested length too large")
}

// textResult turns a builder's offsets and data into a text (or t's
// string type) result with the given validity.
func textResult(t types.Type, offsets []int32, data []byte, validity []byte) functions.Value {
	return functions.ArrayValue(vec.NewString(t.Arrow(), offsets, data, validity, -1))
}

// fixedResult wraps out as a result of type t.
func fixedResult[T vec.Elem](t types.Type, out []T, validity []byte) functions.Value {
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1))
}

// boolResult wraps a value bitmap as a boolean result.
func boolResult(n int, bits, validity []byte) functions.Value {
	return functions.ArrayValue(vec.NewBool(n, bits, validity, -1))
}

// typeOfValue recovers the SQL type of a value from its scalar datum or
// its Arrow type, for kernels that accept any type (concat). String
// arrays read as text, which renders like varchar, name and jsonb.
// sql/types gives timestamp and timestamptz the same Arrow type (both
// zoned "UTC"), so a timestamp array reads as timestamptz; kernels that
// know their argument types pass them instead.
func typeOfValue(v functions.Value) types.Type {
	if v.IsScalar() {
		return v.Scalar.Type
	}
	switch dt := v.Array.DataType().(type) {
	case *arrow.TimestampType:
		if dt.TimeZone != "" {
			return types.TimestampTZType
		}
		return types.TimestampType
	}
	switch v.Array.DataType().ID() {
	case arrow.BOOL:
		return types.BoolType
	case arrow.INT16:
		return types.Int16Type
	case arrow.INT32:
		return types.Int32Type
	case arrow.INT64:
		return types.Int64Type
	case arrow.UINT32:
		return types.OidType
	case arrow.FLOAT32:
		return types.Float32Type
	case arrow.FLOAT64:
		return types.Float64Type
	case arrow.DATE32:
		return types.DateType
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return types.IntervalType
	case arrow.BINARY:
		return types.ByteaType
	}
	return types.TextType
}
