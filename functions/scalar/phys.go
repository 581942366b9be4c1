package scalar

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// scalarAs returns the datum's value as Go type T for the fixed-width
// kinds (integers and timestamps from I, floats from F).
func scalarAs[T vec.Fixed](d types.Datum) T {
	switch d.Type.Kind {
	case types.Float32, types.Float64:
		return T(d.F)
	}
	return T(d.I)
}

// fixedArgs returns the two arguments as typed slices (nil for a scalar)
// and the scalars' values.
func fixedArg[T vec.Fixed](v functions.Value) ([]T, T) {
	if v.IsScalar() {
		return nil, scalarAs[T](v.Scalar)
	}
	return vec.Values[T](v.Array), 0
}

// anyNullScalar reports whether one of the arguments is a NULL scalar,
// in which case a NullPropagate function's result is NULL everywhere.
func anyNullScalar(args []functions.Value) bool {
	for _, a := range args {
		if a.IsScalar() && a.Scalar.Null {
			return true
		}
	}
	return false
}

// validityOf combines the validity of the array arguments.
func validityOf(n int, args []functions.Value) []byte {
	var arrs [4]arrow.Array
	list := arrs[:0]
	for _, a := range args {
		if !a.IsScalar() {
			list = append(list, a.Array)
		}
	}
	return vec.AndValidity(n, list...)
}

// nullResult is the all-NULL result of type t.
func nullResult(t types.Type) functions.Value {
	return functions.ScalarValue(types.NullDatum(t))
}

// valid reports whether row i is non-NULL in bitmap (nil = all valid).
func valid(bitmap []byte, i int) bool { return bitmap == nil || bitmap[i>>3]&(1<<(i&7)) != 0 }

// physOf names the Go representation of a kind for dispatch.
type phys uint8

const (
	physNone phys = iota
	physI16
	physI32
	physI64
	physU32
	physF32
	physF64
	physBool
	physStr
	physInterval
)

func physOf(t types.Type) phys {
	switch t.Kind {
	case types.Int16:
		return physI16
	case types.Int32, types.Date:
		return physI32
	case types.Int64, types.Timestamp, types.TimestampTZ:
		return physI64
	case types.Oid:
		return physU32
	case types.Float32:
		return physF32
	case types.Float64:
		return physF64
	case types.Bool:
		return physBool
	case types.Text, types.Varchar, types.Name, types.JSONB, types.Bytea, types.Unknown:
		return physStr
	case types.Interval:
		return physInterval
	}
	return physNone
}
