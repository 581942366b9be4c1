package vec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestValuesHonoursOffset(t *testing.T) {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	arr := b.NewArray()
	sl := array.NewSlice(arr, 2, 5)
	got := Values[int64](sl)
	if len(got) != 3 || got[0] != 3 || got[2] != 5 {
		t.Fatalf("Values = %v", got)
	}
}

func TestNewFixedAndValidity(t *testing.T) {
	valid := Bitmap(3)
	valid[0] = 0b101
	arr := NewFixed(arrow.PrimitiveTypes.Float64, []float64{1.5, 0, 3}, valid, -1)
	f := arr.(*array.Float64)
	if f.NullN() != 1 || !f.IsNull(1) || f.Value(2) != 3 {
		t.Fatalf("array = %v", arr)
	}
	other := NewFixed(arrow.PrimitiveTypes.Float64, []float64{1, 2, 3}, []byte{0b011}, -1)
	and := AndValidity(3, arr, other)
	if and[0]&0b111 != 0b001 {
		t.Fatalf("AndValidity = %08b", and[0])
	}
	if AndValidity(3, NewFixed(arrow.PrimitiveTypes.Int64, []int64{1, 2, 3}, nil, 0)) != nil {
		t.Fatal("no-null inputs must give nil validity")
	}
}

func TestStringBuilder(t *testing.T) {
	b := NewStringBuilder(4)
	b.AppendString("a")
	b.AppendNull()
	b.Append([]byte("ccc"))
	arr := b.Finish(arrow.BinaryTypes.String).(*array.String)
	if arr.Len() != 3 || arr.Value(0) != "a" || !arr.IsNull(1) || arr.Value(2) != "ccc" {
		t.Fatalf("strings = %v", arr)
	}
	s := StringsOf(array.NewSlice(arr, 1, 3))
	if s.String(1) != "ccc" || s.String(0) != "" {
		t.Fatalf("StringsOf slice: %q %q", s.String(0), s.String(1))
	}
}
