package batch

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTakeAllTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
	}, nil)
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 0, 3}, []bool{true, false, true})
	bld.Field(1).(*array.Float64Builder).AppendValues([]float64{1.5, 2.5, 3.5}, nil)
	bld.Field(2).(*array.StringBuilder).AppendValues([]string{"a", "", "ccc"}, []bool{true, false, true})
	bld.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, true}, nil)
	bld.Field(4).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{10, 20, 30}, nil)
	rec := bld.NewRecordBatch()
	defer rec.Release()
	out := Take(rec, []int32{2, 1, 2, 0})
	want := `[3 (null) 3 1] [3.5 2.5 3.5 1.5] ["ccc" (null) "ccc" "a"] [true false true true]`
	got := ""
	for i := 0; i < 4; i++ {
		if i > 0 {
			got += " "
		}
		got += out.Column(i).String()
	}
	if got != want {
		t.Fatalf("Take = %s\nwant %s", got, want)
	}
	if ts := out.Column(4).(*array.Timestamp).Values(); ts[0] != 30 || ts[3] != 10 {
		t.Fatalf("timestamps %v", ts)
	}
	sliced := rec.NewSlice(1, 3)
	defer sliced.Release()
	o2 := Take(sliced, []int32{1})
	if o2.Column(2).(*array.String).Value(0) != "ccc" || o2.Column(0).(*array.Int32).Value(0) != 3 {
		t.Fatalf("take from slice = %v", o2)
	}
}
