package engine

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/functions"
)

// passOp forwards every chunk: the cheapest operator, so the benchmark
// shows the meter's own cost per batch.
type passOp struct{}

func (passOp) Push(_ *functions.Context, c batch.Chunk, emit ops.Emit) error { return emit(c) }
func (passOp) Watermark(*functions.Context, int64, ops.Emit) error           { return nil }
func (passOp) Snapshot(dst []byte) ([]byte, error)                           { return dst, nil }
func (passOp) Restore([]byte) error                                          { return nil }

// BenchmarkOperatorMeter pushes one 1024-row batch through a chain of
// four operators, bare and metered: the difference is the per-batch cost
// of the operator counters.
func BenchmarkOperatorMeter(b *testing.B) {
	bld := array.NewInt64Builder(memory.DefaultAllocator)
	for i := range 1024 {
		bld.Append(int64(i))
	}
	arr := bld.NewArray()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{arr}, 1024)
	c := batch.Chunk{Rec: rec}
	var rows int64
	sink := func(c batch.Chunk) error { rows += int64(c.Len()); return nil }
	list := []ops.Operator{passOp{}, passOp{}, passOp{}, passOp{}}
	for _, metered := range []bool{false, true} {
		name := "bare"
		chainOps := list
		if metered {
			name = "metered"
			var meters []*opMeter
			chainOps = meter(list, &meters)
		}
		b.Run(name, func(b *testing.B) {
			ch := ops.NewChain(&functions.Context{}, sink, chainOps...)
			b.ReportAllocs()
			b.SetBytes(1024 * 8)
			for b.Loop() {
				if err := ch.Push(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
