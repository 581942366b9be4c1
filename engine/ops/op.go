package ops

import (
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
)

// Emit receives an operator's output.
type Emit func(batch.Chunk) error

// Operator is one streaming dataflow step.
type Operator interface {
	Push(ctx *functions.Context, c batch.Chunk, emit Emit) error
	Watermark(ctx *functions.Context, wm int64, emit Emit) error
	state.Snapshotter
}

// stateless gives an operator no state and a pass-through watermark.
type stateless struct{}

func (stateless) Snapshot(dst []byte) ([]byte, error) { return dst, nil }
func (stateless) Restore([]byte) error                { return nil }
func (stateless) Watermark(_ *functions.Context, _ int64, _ Emit) error {
	return nil
}
