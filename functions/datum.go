package functions

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// DatumAt reads row i of an array of SQL type t as a Datum. It is for
// plan-time work, tests and per-row reference paths, never for hot loops.
func DatumAt(arr arrow.Array, t types.Type, i int) types.Datum {
	if arr.IsNull(i) {
		return types.NullDatum(t)
	}
	d := types.Datum{Type: t}
	switch t.Kind {
	case types.Bool:
		if arr.(*array.Boolean).Value(i) {
			d.I = 1
		}
	case types.Int16:
		d.I = int64(vec.Values[int16](arr)[i])
	case types.Int32, types.Date:
		d.I = int64(vec.Values[int32](arr)[i])
	case types.Int64, types.Timestamp, types.TimestampTZ:
		d.I = vec.Values[int64](arr)[i]
	case types.Oid:
		d.I = int64(vec.Values[uint32](arr)[i])
	case types.Float32:
		d.F = float64(vec.Values[float32](arr)[i])
	case types.Float64:
		d.F = vec.Values[float64](arr)[i]
	case types.Interval:
		x := vec.Values[arrow.MonthDayNanoInterval](arr)[i]
		d.Iv = types.IntervalValue{Months: x.Months, Days: x.Days, Micros: x.Nanoseconds / 1000}
	case types.Array:
		d.S = arr.ValueStr(i)
	default:
		d.S = string(vec.StringsOf(arr).Bytes(i))
	}
	return d
}

// ValueDatum reads row i of a Value (a scalar gives its datum).
func ValueDatum(v Value, t types.Type, i int) types.Datum {
	if v.IsScalar() {
		return v.Scalar
	}
	return DatumAt(v.Array, t, i)
}

// BuildArray builds an array of type t from datums.
func BuildArray(t types.Type, ds []types.Datum) arrow.Array {
	n := len(ds)
	var validity []byte
	nulls := 0
	for i, d := range ds {
		if d.Null {
			if validity == nil {
				validity = vec.AllValid(n)
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
		}
	}
	switch t.Kind {
	case types.Bool:
		bits := vec.Bitmap(n)
		for i, d := range ds {
			if d.I != 0 {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
		return vec.NewBool(n, bits, validity, nulls)
	case types.Int16:
		return buildFixed[int16](t, ds, validity, nulls, func(d types.Datum) int16 { return int16(d.I) })
	case types.Int32, types.Date:
		return buildFixed[int32](t, ds, validity, nulls, func(d types.Datum) int32 { return int32(d.I) })
	case types.Int64, types.Timestamp, types.TimestampTZ:
		return buildFixed[int64](t, ds, validity, nulls, func(d types.Datum) int64 { return d.I })
	case types.Oid:
		return buildFixed[uint32](t, ds, validity, nulls, func(d types.Datum) uint32 { return uint32(d.I) })
	case types.Float32:
		return buildFixed[float32](t, ds, validity, nulls, func(d types.Datum) float32 { return float32(d.F) })
	case types.Float64:
		return buildFixed[float64](t, ds, validity, nulls, func(d types.Datum) float64 { return d.F })
	case types.Interval:
		return buildFixed[arrow.MonthDayNanoInterval](t, ds, validity, nulls, func(d types.Datum) arrow.MonthDayNanoInterval {
			return arrow.MonthDayNanoInterval{Months: d.Iv.Months, Days: d.Iv.Days, Nanoseconds: d.Iv.Micros * 1000}
		})
	}
	b := vec.NewStringBuilder(n)
	for _, d := range ds {
		b.AppendString(d.S)
	}
	arr := b.Finish(t.Arrow())
	if nulls == 0 {
		return arr
	}
	s := vec.StringsOf(arr)
	return vec.NewString(t.Arrow(), s.Offsets, s.Data, validity, nulls)
}

func buildFixed[T vec.Elem](t types.Type, ds []types.Datum, validity []byte, nulls int, get func(types.Datum) T) arrow.Array {
	out := make([]T, len(ds))
	for i, d := range ds {
		if !d.Null {
			out[i] = get(d)
		}
	}
	return vec.NewFixed(t.Arrow(), out, validity, nulls)
}

// Broadcast materialises a Value as an array of n rows.
func Broadcast(v Value, t types.Type, n int) arrow.Array {
	if !v.IsScalar() {
		v.Array.Retain()
		return v.Array
	}
	ds := make([]types.Datum, n)
	for i := range ds {
		ds[i] = v.Scalar
		ds[i].Type = t
	}
	return BuildArray(t, ds)
}
