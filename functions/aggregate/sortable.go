package aggregate

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// sortable is the set of Go types that hold the values of the ordered
// SQL types the multiset states (retractable min/max, percentiles)
// store directly: int16 (smallint), int32 (integer, date), int64
// (bigint, timestamps), float32, float64 and string (text, compared
// bytewise as COLLATE "C").
type sortable interface {
	int16 | int32 | int64 | float32 | float64 | string
}

// orderedTypes are the SQL types with a sortable representation.
var orderedTypes = []types.Type{
	types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type,
	types.TextType, types.TimestampType, types.TimestampTZType, types.DateType,
}

// sortLess is the SQL order of T: the natural order, except that NaN
// sorts above every other float (as in Postgres). For integers and
// strings the NaN test is constant false.
func sortLess[T sortable](a, b T) bool { return a < b || (b != b && a == a) }

// cloneFor returns a function that copies a value out of the batch it
// aliases (strings); other values are copied by assignment.
func cloneFor[T sortable]() func(T) T {
	var f any
	var zero T
	if _, ok := any(zero).(string); ok {
		f = strings.Clone
	} else {
		f = func(v T) T { return v }
	}
	return f.(func(T) T)
}

// valuesOf returns arr's values as a []T; strings alias arr and the
// slice header storage comes from *buf, which is reused across calls.
func valuesOf[T sortable](arr arrow.Array, buf *[]T) []T {
	switch p := any(buf).(type) {
	case *[]int16:
		*p = vec.Values[int16](arr)
	case *[]int32:
		*p = vec.Values[int32](arr)
	case *[]int64:
		*p = vec.Values[int64](arr)
	case *[]float32:
		*p = vec.Values[float32](arr)
	case *[]float64:
		*p = vec.Values[float64](arr)
	case *[]string:
		strs := vec.StringsOf(arr)
		s := grow((*p)[:0], arr.Len())
		for i := range s {
			s[i] = strs.String(i)
		}
		*p = s
	}
	return *buf
}

// buildSortable returns vals as an array of SQL type t.
func buildSortable[T sortable](t types.Type, vals []T, validity []byte, nulls int) arrow.Array {
	switch v := any(vals).(type) {
	case []int16:
		return vec.NewFixed(t.Arrow(), v, validity, nulls)
	case []int32:
		return vec.NewFixed(t.Arrow(), v, validity, nulls)
	case []int64:
		return vec.NewFixed(t.Arrow(), v, validity, nulls)
	case []float32:
		return vec.NewFixed(t.Arrow(), v, validity, nulls)
	case []float64:
		return vec.NewFixed(t.Arrow(), v, validity, nulls)
	case []string:
		b := vec.NewStringBuilder(len(v))
		for _, s := range v {
			b.AppendString(s)
		}
		s := vec.StringsOf(b.Finish(t.Arrow()))
		return vec.NewString(t.Arrow(), s.Offsets, s.Data, validity, nulls)
	}
	panic("BUG: unhandled sortable type")
}

// putSortable appends v: integers as varints, floats as 8 bytes,
// strings length-prefixed.
func putSortable[T sortable](dst []byte, v T) []byte {
	switch x := any(v).(type) {
	case int16:
		return putI64(dst, int64(x))
	case int32:
		return putI64(dst, int64(x))
	case int64:
		return putI64(dst, x)
	case float32:
		return putF64(dst, float64(x))
	case float64:
		return putF64(dst, x)
	case string:
		return append(binary.AppendUvarint(dst, uint64(len(x))), x...)
	}
	panic("BUG: unhandled sortable type")
}

// getSortable reads what putSortable wrote.
func getSortable[T sortable](src []byte) (T, []byte, error) {
	var out T
	var err error
	switch p := any(&out).(type) {
	case *int16:
		var v int64
		v, src, err = getI64(src)
		if err == nil && (v < math.MinInt16 || v > math.MaxInt16) {
			err = errBadState
		}
		*p = int16(v)
	case *int32:
		var v int64
		v, src, err = getI64(src)
		if err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
			err = errBadState
		}
		*p = int32(v)
	case *int64:
		*p, src, err = getI64(src)
	case *float32:
		var v float64
		v, src, err = getF64(src)
		*p = float32(v)
	case *float64:
		*p, src, err = getF64(src)
	case *string:
		var b []byte
		b, src, err = getBytes(src)
		*p = string(b)
	}
	return out, src, err
}
