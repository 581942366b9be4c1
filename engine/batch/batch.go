package batch

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/functions/vec"
)

// Chunk is a batch of rows in flight. Signs is nil when every row is an
// insert; otherwise it has one entry (+1 or -1) per row. Origin, when
// set, says where each row came from in the source (operators that
// reorder or drop rows leave it nil).
type Chunk struct {
	Rec    arrow.RecordBatch
	Signs  []int8
	Origin *Origin
}

// Origin locates a source batch's rows: their partition and offsets.
type Origin struct {
	Partition int32
	Offsets   []int64
}

// Len returns the number of rows.
func (c Chunk) Len() int {
	if c.Rec == nil {
		return 0
	}
	return int(c.Rec.NumRows())
}

// Take returns a record holding rows idx of rec, in that order (rows may
// repeat).
func Take(rec arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = TakeArray(rec.Column(i), idx)
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(idx)))
}

// TakeSigns returns signs[idx] (nil stays nil).
func TakeSigns(signs []int8, idx []int32) []int8 {
	if signs == nil {
		return nil
	}
	out := make([]int8, len(idx))
	for i, j := range idx {
		out[i] = signs[j]
	}
	return out
}

// TakeArray returns rows idx of arr.
func TakeArray(arr arrow.Array, idx []int32) arrow.Array {
	validity := takeValidity(arr, idx)
	dt := arr.DataType()
	switch dt.ID() {
	case arrow.INT8, arrow.UINT8:
		return takeFixed[uint8](arr, idx, validity)
	case arrow.INT16, arrow.UINT16:
		return takeFixed[uint16](arr, idx, validity)
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32:
		return takeFixed[uint32](arr, idx, validity)
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		return takeFixed[uint64](arr, idx, validity)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return takeFixed[arrow.MonthDayNanoInterval](arr, idx, validity)
	case arrow.BOOL:
		b := arr.(*array.Boolean)
		bits := vec.Bitmap(len(idx))
		for i, j := range idx {
			if b.Value(int(j)) {
				bitutil.SetBit(bits, i)
			}
		}
		return vec.NewBool(len(idx), bits, validity, -1)
	case arrow.STRING, arrow.BINARY:
		s := vec.StringsOf(arr)
		offs := make([]int32, len(idx)+1)
		size := 0
		for _, j := range idx {
			size += int(s.Offsets[j+1] - s.Offsets[j])
		}
		data := make([]byte, 0, size)
		for i, j := range idx {
			data = append(data, s.Bytes(int(j))...)
			offs[i+1] = int32(len(data))
		}
		return vec.NewString(dt, offs, data, validity, -1)
	}
	// Nested types (lists) are rare on the hot path; build them with a
	// generic builder.
	bld := array.NewBuilder(memory.DefaultAllocator, dt)
	defer bld.Release()
	for _, j := range idx {
		if err := bld.AppendValueFromString(arr.ValueStr(int(j))); err != nil {
			panic(fmt.Sprintf("BUG: take of %s: %v", dt, err))
		}
	}
	return bld.NewArray()
}

func takeFixed[T vec.Elem](arr arrow.Array, idx []int32, validity []byte) arrow.Array {
	src := vec.Values[T](arr)
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = src[j]
	}
	return vec.NewFixed(arr.DataType(), out, validity, -1)
}

func takeValidity(arr arrow.Array, idx []int32) []byte {
	if arr.NullN() == 0 {
		return nil
	}
	bm, off := arr.NullBitmapBytes(), arr.Data().Offset()
	out := vec.Bitmap(len(idx))
	for i, j := range idx {
		if bitutil.BitIsSet(bm, off+int(j)) {
			bitutil.SetBit(out, i)
		}
	}
	return out
}

// Selected returns the indexes of rows where a boolean array is true
// (NULL counts as false), and whether every row is selected.
func Selected(mask arrow.Array, buf []int32) ([]int32, bool) {
	b := mask.(*array.Boolean)
	n := b.Len()
	out := buf[:0]
	for i := 0; i < n; i++ {
		if b.IsValid(i) && b.Value(i) {
			out = append(out, int32(i))
		}
	}
	return out, len(out) == n
}

// Concat joins record batches of one schema into one.
func Concat(schema *arrow.Schema, parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, p := range parts {
		rows += p.NumRows()
	}
	for j := range cols {
		arrs := make([]arrow.Array, len(parts))
		for i, p := range parts {
			arrs[i] = p.Column(j)
		}
		if len(arrs) == 0 {
			cols[j] = array.MakeArrayOfNull(memory.DefaultAllocator, schema.Field(j).Type, 0)
			continue
		}
		c, err := array.Concatenate(arrs, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
