package batch

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/functions/vec"
)

// RowRef names row Row of record Rec of a list of records.
type RowRef struct {
	Rec, Row uint32
}

// Gather returns a record of the given schema holding the rows refs name,
// in that order, from recs, whose columns have the schema's types. It is
// Take over several records: operators that keep whole input records
// (rather than copies of their rows) use it to assemble the rows they
// release.
func Gather(schema *arrow.Schema, recs []arrow.RecordBatch, refs []RowRef) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	srcs := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, r := range recs {
			srcs[i] = nil
			if r != nil {
				srcs[i] = r.Column(c)
			}
		}
		cols[c] = GatherArray(schema.Field(c).Type, srcs, refs)
	}
	return array.NewRecordBatch(schema, cols, int64(len(refs)))
}

// GatherArray returns the values refs name from arrays of type dt (refs'
// Rec indexes srcs; arrays no ref names may be nil).
func GatherArray(dt arrow.DataType, srcs []arrow.Array, refs []RowRef) arrow.Array {
	validity := gatherValidity(srcs, refs)
	switch dt.ID() {
	case arrow.INT8, arrow.UINT8:
		return gatherFixed[uint8](dt, srcs, refs, validity)
	case arrow.INT16, arrow.UINT16:
		return gatherFixed[uint16](dt, srcs, refs, validity)
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32:
		return gatherFixed[uint32](dt, srcs, refs, validity)
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		return gatherFixed[uint64](dt, srcs, refs, validity)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return gatherFixed[arrow.MonthDayNanoInterval](dt, srcs, refs, validity)
	case arrow.BOOL:
		bs := make([]*array.Boolean, len(srcs))
		for i, s := range srcs {
			if s != nil {
				bs[i] = s.(*array.Boolean)
			}
		}
		bits := vec.Bitmap(len(refs))
		for i, r := range refs {
			if bs[r.Rec].Value(int(r.Row)) {
				bitutil.SetBit(bits, i)
			}
		}
		return vec.NewBool(len(refs), bits, validity, -1)
	case arrow.STRING, arrow.BINARY:
		ss := make([]vec.Strings, len(srcs))
		for i, s := range srcs {
			if s != nil {
				ss[i] = vec.StringsOf(s)
			}
		}
		size := 0
		for _, r := range refs {
			o := ss[r.Rec].Offsets
			size += int(o[r.Row+1] - o[r.Row])
		}
		offs := make([]int32, len(refs)+1)
		data := make([]byte, 0, size)
		for i, r := range refs {
			data = append(data, ss[r.Rec].Bytes(int(r.Row))...)
			offs[i+1] = int32(len(data))
		}
		return vec.NewString(dt, offs, data, validity, -1)
	}
	// Nested types (lists) are rare on the hot path; build them with a
	// generic builder.
	bld := array.NewBuilder(memory.DefaultAllocator, dt)
	defer bld.Release()
	for _, r := range refs {
		a := srcs[r.Rec]
		if a.IsNull(int(r.Row)) {
			bld.AppendNull()
			continue
		}
		if err := bld.AppendValueFromString(a.ValueStr(int(r.Row))); err != nil {
			panic(fmt.Sprintf("BUG: gather of %s: %v", dt, err))
		}
	}
	return bld.NewArray()
}

func gatherFixed[T vec.Elem](dt arrow.DataType, srcs []arrow.Array, refs []RowRef, validity []byte) arrow.Array {
	vals := make([][]T, len(srcs))
	for i, s := range srcs {
		if s != nil {
			vals[i] = vec.Values[T](s)
		}
	}
	out := make([]T, len(refs))
	for i, r := range refs {
		out[i] = vals[r.Rec][r.Row]
	}
	return vec.NewFixed(dt, out, validity, -1)
}

// gatherValidity returns the validity bitmap of the gathered rows, nil
// when none of the source arrays has a NULL.
func gatherValidity(srcs []arrow.Array, refs []RowRef) []byte {
	nulls := false
	for _, s := range srcs {
		if s != nil && s.NullN() > 0 {
			nulls = true
			break
		}
	}
	if !nulls {
		return nil
	}
	out := vec.Bitmap(len(refs))
	for i, r := range refs {
		if srcs[r.Rec].IsValid(int(r.Row)) {
			bitutil.SetBit(out, i)
		}
	}
	return out
}
