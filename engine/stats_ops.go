package engine

import (
	"sync/atomic"
	"time"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/ops"
	"github.com/tocsin-db/tocsin/functions"
)

// Operator meters: every operator of a running job is wrapped in a
// meteredOp that counts, per call (one batch or one watermark, never per
// row), the rows it received and emitted and the time it spent itself,
// excluding the time its downstream operators spent inside its emits.
// Counters are atomics written by the job's goroutine and read by Stats
// and EXPLAIN ANALYZE without stopping the job.

// opMeter counts one operator's work.
type opMeter struct {
	batches, rowsIn, rowsOut, nanos atomic.Int64

	// Owned by the job's goroutine: the downstream emit of the running
	// call and the time spent in it so far; fwd is forward, bound once.
	next ops.Emit
	down int64
	fwd  ops.Emit
}

func newOpMeter() *opMeter {
	m := &opMeter{}
	m.fwd = m.forward
	return m
}

// run runs f, an operator call whose output goes to next, charging the
// call's own time to the meter.
func (m *opMeter) run(next ops.Emit, f func(emit ops.Emit) error) error {
	prevNext, prevDown := m.next, m.down
	m.next, m.down = next, 0
	start := time.Now()
	err := f(m.fwd)
	m.nanos.Add(int64(time.Since(start)) - m.down)
	m.next, m.down = prevNext, prevDown
	return err
}

// forward is the emit an operator gets: it counts the rows and the time
// the downstream takes.
func (m *opMeter) forward(c batch.Chunk) error {
	m.rowsOut.Add(int64(c.Len()))
	start := time.Now()
	err := m.next(c)
	m.down += int64(time.Since(start))
	return err
}

// meteredOp is an operator with a meter. Checkpoints use the operators
// themselves (job.states), never the wrappers.
type meteredOp struct {
	inner ops.Operator
	m     *opMeter
}

var _ ops.Operator = (*meteredOp)(nil)

// Push implements ops.Operator.
func (o *meteredOp) Push(ctx *functions.Context, c batch.Chunk, emit ops.Emit) error {
	o.m.batches.Add(1)
	o.m.rowsIn.Add(int64(c.Len()))
	return o.m.run(emit, func(fwd ops.Emit) error { return o.inner.Push(ctx, c, fwd) })
}

// Watermark implements ops.Operator.
func (o *meteredOp) Watermark(ctx *functions.Context, wm int64, emit ops.Emit) error {
	return o.m.run(emit, func(fwd ops.Emit) error { return o.inner.Watermark(ctx, wm, fwd) })
}

// Snapshot implements state.Snapshotter.
func (o *meteredOp) Snapshot(dst []byte) ([]byte, error) { return o.inner.Snapshot(dst) }

// Restore implements state.Snapshotter.
func (o *meteredOp) Restore(src []byte) error { return o.inner.Restore(src) }

// jobMeters are a running job's operator meters, laid out like its
// pipeline: sides[i][k] meters pipe.Sides[i][k], join the interval join,
// main[k] pipe.Ops[k]. rowsOut counts the rows the job applied to its
// store (or handed to its sink). Set by instrument before the job's
// goroutine starts and never changed after.
type jobMeters struct {
	sides   [][]*opMeter
	join    *opMeter
	main    []*opMeter
	rowsOut atomic.Int64
}

// meter wraps operators in meters, recording the meters in dst.
func meter(list []ops.Operator, dst *[]*opMeter) []ops.Operator {
	out := make([]ops.Operator, len(list))
	for i, op := range list {
		m := newOpMeter()
		*dst = append(*dst, m)
		out[i] = &meteredOp{inner: op, m: m}
	}
	return out
}

// instrument builds the job's operator chains, every operator metered:
// the main chain into the job's output and, for a join, one chain per
// input side into the join. newJob calls it once.
func (j *job) instrument() {
	jm := &jobMeters{}
	out := func(c batch.Chunk) error {
		jm.rowsOut.Add(int64(c.Len()))
		return j.output(c)
	}
	j.chain = ops.NewChain(j.fctx, out, meter(j.pipe.Ops, &jm.main)...)
	switch {
	case j.pipe.Join != nil:
		jm.join = newOpMeter()
		jm.sides = make([][]*opMeter, len(j.inputs))
		join, push := j.pipe.Join, ops.Emit(j.chain.Push)
		for i, in := range j.inputs {
			side := i
			toJoin := func(c batch.Chunk) error {
				jm.join.batches.Add(1)
				jm.join.rowsIn.Add(int64(c.Len()))
				return jm.join.run(push, func(fwd ops.Emit) error { return join.PushSide(j.fctx, side, c, fwd) })
			}
			in.chain = ops.NewChain(j.fctx, toJoin, meter(j.pipe.Sides[i], &jm.sides[i])...)
		}
	case len(j.inputs) == 1:
		j.inputs[0].chain = j.chain
	}
	j.meters = jm
}

// operatorKind names an operator for EXPLAIN and metrics.
func operatorKind(op any) string {
	switch op := op.(type) {
	case *ops.Filter:
		return "Filter"
	case *ops.Project:
		return "Project"
	case *ops.WindowAssign:
		return "WindowAssign"
	case *ops.HashAgg:
		return "HashAgg"
	case *ops.SessionAgg:
		return "SessionAgg"
	case *ops.Over:
		return "Over"
	case *ops.LookupJoin:
		return "LookupJoin"
	case *ops.IntervalJoin:
		return "IntervalJoin"
	case *meteredOp:
		return operatorKind(op.inner)
	}
	return "Operator"
}
