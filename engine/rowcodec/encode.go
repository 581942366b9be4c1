package rowcodec

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

const (
	tagNull  = 0x00
	tagValue = 0x01
)

// Encoder appends the encoding of selected columns of a batch to one
// buffer per row.
type Encoder struct {
	types []types.Type
	cols  []int
}

// NewEncoder encodes columns cols (of the given types, indexed like the
// batch's columns) in that order.
func NewEncoder(schema types.Schema, cols []int) *Encoder {
	ts := make([]types.Type, len(cols))
	for i, c := range cols {
		ts[i] = schema[c].Type
	}
	return &Encoder{types: ts, cols: cols}
}

// Rows returns bufs resized to n empty row buffers for Append. Each
// buffer keeps its capacity, also when bufs grows (by at least half),
// so a caller that reuses bufs across batches of varying sizes stops
// allocating once every buffer has grown to its row's size.
func Rows(bufs [][]byte, n int) [][]byte {
	if c := cap(bufs); c < n {
		grown := make([][]byte, n, max(n, c+c/2))
		copy(grown, bufs[:c])
		bufs = grown
	}
	bufs = bufs[:n]
	for i := range bufs {
		bufs[i] = bufs[i][:0]
	}
	return bufs
}

// Append appends each row's encoding to rows[i] (rows must have
// rec.NumRows() entries; existing contents are kept, so callers reset
// them with rows[i] = rows[i][:0] to reuse buffers).
func (e *Encoder) Append(rows [][]byte, rec arrow.RecordBatch) {
	for k, c := range e.cols {
		AppendColumn(rows, rec.Column(c), e.types[k])
	}
}

// AppendColumn appends the encoding of each value of arr to rows[i].
func AppendColumn(rows [][]byte, arr arrow.Array, t types.Type) {
	n := arr.Len()
	bm, off := vec.Validity(arr)
	isNull := func(i int) bool { return bm != nil && !vec.IsValid(bm, off, i) }
	switch t.Kind {
	case types.Bool:
		b := arr.(*array.Boolean)
		for i := 0; i < n; i++ {
			if isNull(i) {
				rows[i] = append(rows[i], tagNull)
				continue
			}
			v := byte(0)
			if b.Value(i) {
				v = 1
			}
			rows[i] = append(rows[i], tagValue, v)
		}
	case types.Int16:
		appendInts(rows, vec.Values[int16](arr), isNull)
	case types.Int32, types.Date:
		appendInts(rows, vec.Values[int32](arr), isNull)
	case types.Int64, types.Timestamp, types.TimestampTZ:
		appendInts(rows, vec.Values[int64](arr), isNull)
	case types.Oid:
		appendInts(rows, vec.Values[uint32](arr), isNull)
	case types.Float32:
		appendFloats(rows, vec.Values[float32](arr), isNull)
	case types.Float64:
		appendFloats(rows, vec.Values[float64](arr), isNull)
	case types.Interval:
		vals := vec.Values[arrow.MonthDayNanoInterval](arr)
		for i := 0; i < n; i++ {
			if isNull(i) {
				rows[i] = append(rows[i], tagNull)
				continue
			}
			r := append(rows[i], tagValue)
			r = appendInt(r, int64(vals[i].Months))
			r = appendInt(r, int64(vals[i].Days))
			rows[i] = appendInt(r, vals[i].Nanoseconds/1000)
		}
	case types.Array:
		for i := 0; i < n; i++ {
			if isNull(i) {
				rows[i] = append(rows[i], tagNull)
				continue
			}
			rows[i] = appendBytes(append(rows[i], tagValue), []byte(arr.ValueStr(i)))
		}
	default:
		s := vec.StringsOf(arr)
		for i := 0; i < n; i++ {
			if isNull(i) {
				rows[i] = append(rows[i], tagNull)
				continue
			}
			rows[i] = appendBytes(append(rows[i], tagValue), s.Bytes(i))
		}
	}
}

func appendInts[T int16 | int32 | int64 | uint32](rows [][]byte, vals []T, isNull func(int) bool) {
	for i, v := range vals {
		if isNull(i) {
			rows[i] = append(rows[i], tagNull)
			continue
		}
		rows[i] = appendInt(append(rows[i], tagValue), int64(v))
	}
}

func appendInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

func appendFloats[T float32 | float64](rows [][]byte, vals []T, isNull func(int) bool) {
	for i, v := range vals {
		if isNull(i) {
			rows[i] = append(rows[i], tagNull)
			continue
		}
		rows[i] = appendFloat(append(rows[i], tagValue), float64(v))
	}
}

func appendFloat(dst []byte, f float64) []byte {
	if f != f {
		// Every NaN encodes as one pattern, ordered above +Inf.
		return binary.BigEndian.AppendUint64(dst, math.MaxUint64)
	}
	if f == 0 {
		f = 0 // -0 and +0 are equal
	}
	b := math.Float64bits(f)
	if b&(1<<63) != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, b)
}

func appendBytes(dst, s []byte) []byte {
	if bytes.IndexByte(s, 0) < 0 {
		return append(append(dst, s...), 0, 1)
	}
	for _, c := range s {
		if c == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, c)
		}
	}
	return append(dst, 0, 1)
}

// AppendDatum appends the encoding of one datum (for constants and
// tests).
func AppendDatum(dst []byte, d types.Datum) []byte {
	if d.Null {
		return append(dst, tagNull)
	}
	dst = append(dst, tagValue)
	switch d.Type.Kind {
	case types.Bool:
		return append(dst, byte(d.I))
	case types.Float32, types.Float64:
		return appendFloat(dst, d.F)
	case types.Interval:
		dst = appendInt(dst, int64(d.Iv.Months))
		dst = appendInt(dst, int64(d.Iv.Days))
		return appendInt(dst, d.Iv.Micros)
	case types.Int16, types.Int32, types.Int64, types.Timestamp, types.TimestampTZ, types.Date, types.Oid:
		return appendInt(dst, d.I)
	}
	return appendBytes(dst, []byte(d.S))
}
