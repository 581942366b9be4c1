package ops

import (
	"fmt"

	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/plan"
)

// callStates is the state of the stateful function calls (DRAIN_TEMPLATE)
// an operator's expressions hold, checkpointed with the operator. An
// operator without any has an empty snapshot, as a stateless one.
type callStates struct {
	states []functions.KernelState
}

// CallStates lists the states of the stateful calls in exprs, in a
// fixed order.
func CallStates(exprs ...plan.Expr) []functions.KernelState {
	var out []functions.KernelState
	for _, e := range exprs {
		plan.Walk(e, func(x plan.Expr) {
			if c, ok := x.(*plan.Call); ok && c.State != nil {
				out = append(out, c.State)
			}
		})
	}
	return out
}

// Snapshot implements state.Snapshotter.
func (c *callStates) Snapshot(dst []byte) ([]byte, error) {
	if len(c.states) == 0 {
		return dst, nil
	}
	w := state.Writer{Buf: dst}
	w.Uvarint(uint64(len(c.states)))
	for _, s := range c.states {
		w.Bytes(s.AppendState(nil))
	}
	return w.Buf, nil
}

// Restore implements state.Snapshotter.
func (c *callStates) Restore(src []byte) error {
	if len(c.states) == 0 {
		return nil
	}
	r := state.Reader{Buf: src}
	if n := r.Uvarint(); r.Err == nil && int(n) != len(c.states) {
		return fmt.Errorf("function states: %d in the checkpoint, %d in the plan", n, len(c.states))
	}
	for _, s := range c.states {
		if err := s.RestoreState(r.Bytes()); err != nil {
			return err
		}
	}
	return r.Err
}

// Watermark implements Operator: stateful calls do not look at time.
func (c *callStates) Watermark(*functions.Context, int64, Emit) error { return nil }
