package ops

import (
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
)

// Chain runs operators in sequence: each operator's output is pushed
// into the next, and the last one's into the sink. Watermarks visit the
// operators in order, so rows a window closes flow through the rest of
// the chain before the next operator sees the watermark.
type Chain struct {
	ops   []Operator
	emits []Emit
	ctx   *functions.Context
	sink  Emit
}

// NewChain links ops to sink (with no operators, chunks go straight to
// the sink). ctx is the context every call gets.
func NewChain(ctx *functions.Context, sink Emit, operators ...Operator) *Chain {
	c := &Chain{ops: operators, emits: make([]Emit, len(operators)), ctx: ctx, sink: sink}
	for i := len(operators) - 1; i >= 0; i-- {
		if i == len(operators)-1 {
			c.emits[i] = sink
			continue
		}
		next, nextEmit := operators[i+1], c.emits[i+1]
		c.emits[i] = func(ch batch.Chunk) error { return next.Push(ctx, ch, nextEmit) }
	}
	return c
}

// Push sends a chunk through the chain.
func (c *Chain) Push(ch batch.Chunk) error {
	if len(c.ops) == 0 {
		return c.sink(ch)
	}
	return c.ops[0].Push(c.ctx, ch, c.emits[0])
}

// Watermark advances every operator's watermark.
func (c *Chain) Watermark(wm int64) error {
	for i, op := range c.ops {
		if err := op.Watermark(c.ctx, wm, c.emits[i]); err != nil {
			return err
		}
	}
	return nil
}

// Operators returns the chain's operators in order.
func (c *Chain) Operators() []Operator { return c.ops }
