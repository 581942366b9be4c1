package batch

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var gatherSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "iv", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
}, nil)

// gatherRecord makes a record of n random rows; with nulls, about a
// fifth of the values are NULL, otherwise none is.
func gatherRecord(rng *rand.Rand, n int, nulls bool) arrow.RecordBatch {
	bld := array.NewRecordBuilder(memory.DefaultAllocator, gatherSchema)
	defer bld.Release()
	for r := 0; r < n; r++ {
		for c := range gatherSchema.NumFields() {
			f := bld.Field(c)
			if nulls && rng.Intn(5) == 0 {
				f.AppendNull()
				continue
			}
			switch f := f.(type) {
			case *array.Int16Builder:
				f.Append(int16(rng.Intn(1000)))
			case *array.Int32Builder:
				f.Append(int32(rng.Intn(1 << 20)))
			case *array.Float64Builder:
				f.Append(rng.Float64())
			case *array.StringBuilder:
				f.Append(fmt.Sprintf("s%d", rng.Intn(1<<rng.Intn(20))))
			case *array.BooleanBuilder:
				f.Append(rng.Intn(2) == 0)
			case *array.TimestampBuilder:
				f.Append(arrow.Timestamp(rng.Int63()))
			case *array.MonthDayNanoIntervalBuilder:
				f.Append(arrow.MonthDayNanoInterval{Months: int32(rng.Intn(12)), Days: int32(rng.Intn(30)), Nanoseconds: rng.Int63()})
			case *array.ListBuilder:
				f.Append(true)
				for range rng.Intn(3) {
					f.ValueBuilder().(*array.Int64Builder).Append(rng.Int63n(100))
				}
			}
		}
	}
	return bld.NewRecordBatch()
}

// TestGatherMatchesTake gathers random rows of several records (some
// with NULLs, some without, one a slice) and checks each against Take of
// that one row from its record.
func TestGatherMatchesTake(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewSource(seed))
		recs := make([]arrow.RecordBatch, 4)
		for i := range recs {
			recs[i] = gatherRecord(rng, 1+rng.Intn(40), i%2 == 0 || seed == 3)
		}
		recs[1] = recs[1].NewSlice(recs[1].NumRows()/3, recs[1].NumRows())
		withNil := append([]arrow.RecordBatch{nil}, recs...)
		refs := make([]RowRef, rng.Intn(100))
		for i := range refs {
			r := 1 + rng.Intn(len(recs))
			refs[i] = RowRef{Rec: uint32(r), Row: uint32(rng.Int63n(withNil[r].NumRows()))}
		}
		out := Gather(gatherSchema, withNil, refs)
		if out.NumRows() != int64(len(refs)) {
			t.Fatalf("seed %d: %d rows, want %d", seed, out.NumRows(), len(refs))
		}
		for i, ref := range refs {
			one := Take(withNil[ref.Rec], []int32{int32(ref.Row)})
			for c := range gatherSchema.NumFields() {
				got, want := out.Column(c), one.Column(c)
				if got.IsNull(i) != want.IsNull(0) || (!got.IsNull(i) && got.ValueStr(i) != want.ValueStr(0)) {
					t.Fatalf("seed %d, row %d (%v), column %s: got %s (null %v), want %s (null %v)", seed, i, ref,
						gatherSchema.Field(c).Name, got.ValueStr(i), got.IsNull(i), want.ValueStr(0), want.IsNull(0))
				}
			}
		}
	}
}
