package ops

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// step is one input to an operator: a chunk or a watermark.
type step struct {
	chunk *batch.Chunk
	wm    int64
}

// render prints emitted chunks row by row with their signs, so outputs
// can be compared exactly (order included).
func render(c batch.Chunk) string {
	var b strings.Builder
	for i := 0; i < c.Len(); i++ {
		sign := "+"
		if c.Signs != nil && c.Signs[i] < 0 {
			sign = "-"
		}
		b.WriteString(sign)
		for j := 0; j < int(c.Rec.NumCols()); j++ {
			b.WriteString(" " + c.Rec.Column(j).ValueStr(i))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func drive(t *testing.T, op Operator, steps []step) []string {
	t.Helper()
	var out []string
	emit := func(c batch.Chunk) error { out = append(out, render(c)); return nil }
	ctx := &functions.Context{}
	for _, s := range steps {
		var err error
		if s.chunk != nil {
			err = op.Push(ctx, *s.chunk, emit)
		} else {
			err = op.Watermark(ctx, s.wm, emit)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkRestore runs steps through a fresh operator without stopping, then
// for every boundary k snapshots after step k, restores into a new
// operator and runs the rest; the output after k must be identical. For
// Checkpointers it also restores from the incremental checkpoints taken
// at every boundary up to k.
func checkRestore(t *testing.T, name string, mk func() Operator, steps []step) {
	t.Helper()
	reference := func(upto int) (before, after int, all []string) {
		op := mk()
		all = drive(t, op, steps[:upto])
		before = len(all)
		all = append(all, drive(t, op, steps[upto:])...)
		return before, len(all), all
	}
	for k := 0; k <= len(steps); k++ {
		before, _, want := reference(k)
		op := mk()
		drive(t, op, steps[:k])
		snap, err := op.Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		restored := mk()
		if err := restored.Restore(snap); err != nil {
			t.Fatalf("%s: restore at %d: %v", name, k, err)
		}
		got := drive(t, restored, steps[k:])
		if strings.Join(got, "") != strings.Join(want[before:], "") {
			t.Fatalf("%s: snapshot at step %d: output after restore differs\n got: %q\nwant: %q", name, k, got, want[before:])
		}
		cp, ok := mk().(state.Checkpointer)
		if !ok {
			continue
		}
		// Incremental: checkpoint at every boundary up to k.
		stored := map[string][]byte{}
		live := mk()
		for i := 0; i < k; i++ {
			drive(t, live, steps[i:i+1])
			sink := state.NewMapSink()
			if err := live.(state.Checkpointer).Checkpoint(sink, false); err != nil {
				t.Fatal(err)
			}
			sink.Apply(stored)
		}
		if err := cp.RestoreEntries(state.MapEntries(stored)); err != nil {
			t.Fatalf("%s: incremental restore at %d: %v", name, k, err)
		}
		got = drive(t, cp.(Operator), steps[k:])
		if strings.Join(got, "") != strings.Join(want[before:], "") {
			t.Fatalf("%s: incremental checkpoints up to step %d: output differs\n got: %q\nwant: %q", name, k, got, want[before:])
		}
	}
}

func randomSteps(rng *rand.Rand, batches int) []step {
	evs := genEvents(rng, batches*40)
	var steps []step
	maxTS := int64(-1 << 62)
	for b := 0; b < batches; b++ {
		part := evs[b*40 : (b+1)*40]
		rec := record(part)
		steps = append(steps, step{chunk: &batch.Chunk{Rec: rec}})
		for _, e := range part {
			maxTS = max(maxTS, e.ts)
		}
		steps = append(steps, step{wm: maxTS - 5_000_000})
	}
	return steps
}

func TestEveryOperatorRestores(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	steps := randomSteps(rng, 12)
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})

	gt, _, err := reg.ResolveScalar(">", []types.Type{types.Float64Type, types.Float64Type}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pred := &plan.Call{Fn: gt, Kernel: gt.Kernel, Typ: types.BoolType, Args: []plan.Expr{
		&plan.ColRef{Idx: 2, Typ: types.Float64Type}, &plan.Const{Val: types.FloatDatum(types.Float64Type, 100)}}}
	checkRestore(t, "filter", func() Operator {
		ev, _ := expr.Compile(pred)
		return NewFilter(ev)
	}, steps)
	checkRestore(t, "project", func() Operator {
		evs, _ := expr.CompileAll([]plan.Expr{&plan.ColRef{Idx: 0, Typ: types.TextType}, pred})
		return NewProject(evs, types.Schema{{Name: "k", Type: types.TextType}, {Name: "big", Type: types.BoolType}})
	}, steps)
	checkRestore(t, "tumble", func() Operator { return NewWindowAssign(1, minute, minute, 0, winSchema) }, steps)
	checkRestore(t, "hop", func() Operator { return NewWindowAssign(1, 3*minute, minute, 0, winSchema) }, steps)

	// The aggregate sees windowed rows; feed it through a window first.
	var aggSteps []step
	w := NewWindowAssign(1, minute, minute, 0, winSchema)
	for _, s := range steps {
		if s.chunk == nil {
			aggSteps = append(aggSteps, s)
			continue
		}
		_ = w.Push(&functions.Context{}, *s.chunk, func(c batch.Chunk) error {
			aggSteps = append(aggSteps, step{chunk: &c})
			return nil
		})
	}
	for _, eowc := range []bool{false, true} {
		checkRestore(t, fmt.Sprintf("hashagg eowc=%v", eowc), func() Operator { return newPipeline(t, eowc).agg }, aggSteps)
	}

	// Streaming OVER: a bounded ROWS frame, a RANGE frame, lag and an
	// unbounded running max, per key.
	overOut := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "a", Type: types.Float64Type}, types.Column{Name: "n", Type: types.Int64Type},
		types.Column{Name: "prev", Type: types.Float64Type}, types.Column{Name: "mx", Type: types.Float64Type})
	checkRestore(t, "over", func() Operator {
		f64 := types.Float64Type
		return NewOver(OverConfig{Input: inSchema, PartitionBy: []int{0}, Time: 1, Plus: 1, Out: overOut, Funcs: []OverFunc{
			{Kind: OverAvg, Arg: 2, ArgType: f64, Out: f64, Rows: 3, Range: -1},
			{Kind: OverCountStar, Arg: -1, Out: types.Int64Type, Rows: -1, Range: minute, Peers: true},
			{Kind: OverLag, Arg: 2, ArgType: f64, Out: f64, Rows: -1, Range: -1, Offset: 1, Default: types.NullDatum(f64)},
			{Kind: OverMax, Arg: 2, ArgType: f64, Out: f64, Rows: -1, Range: -1, Peers: true},
		}})
	}, steps)

	// SESSION: singleton sessions at assignment, merged per key by the
	// session aggregate.
	const gap = minute / 6
	checkRestore(t, "session assign", func() Operator { return NewSessionAssign(1, gap, winSchema) }, steps)
	var sessSteps []step
	sa := NewSessionAssign(1, gap, winSchema)
	for _, s := range steps {
		if s.chunk == nil {
			sessSteps = append(sessSteps, s)
			continue
		}
		_ = sa.Push(&functions.Context{}, *s.chunk, func(c batch.Chunk) error {
			sessSteps = append(sessSteps, step{chunk: &c})
			return nil
		})
	}
	state := func(name string, args ...types.Type) func() (functions.GroupState, error) {
		a, _, err := reg.ResolveAggregate(name, args, 0)
		if err != nil {
			t.Fatal(err)
		}
		return func() (functions.GroupState, error) { return a.New(args, functions.AggOptions{}) }
	}
	sessOut := types.Schema{{Name: "key", Type: types.TextType}, {Name: "window_start", Type: types.TimestampType},
		{Name: "window_end", Type: types.TimestampType}, {Name: "n", Type: types.Int64Type}, {Name: "s", Type: types.Float64Type}}
	for _, eowc := range []bool{false, true} {
		checkRestore(t, fmt.Sprintf("session eowc=%v", eowc), func() Operator {
			return NewSessionAgg(SessionAggConfig{Input: winSchema, Keys: []int{0, 3, 4}, StartKey: 1, EndKey: 2, Gap: gap,
				Aggs: []AggSpec{
					{New: state("count"), Filter: -1},
					{New: state("sum", types.Float64Type), Args: []int{2}, Filter: -1},
				},
				Out: sessOut, EmitOnClose: eowc})
		}, sessSteps)
	}
}

// TestWindowAssignLateRows checks lateness at window assignment: counted,
// handed to the late sink with their origin, and absent from the output.
func TestWindowAssignLateRows(t *testing.T) {
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})
	w := NewWindowAssign(1, minute, minute, 0, winSchema)
	var lateOffsets []int64
	w.LateSink = func(c batch.Chunk, rows []int32) error {
		for _, r := range rows {
			lateOffsets = append(lateOffsets, c.Origin.Offsets[r])
		}
		return nil
	}
	ctx := &functions.Context{}
	_ = w.Watermark(ctx, 10*minute, nil)
	rec := record([]event{{"a", 9*minute + 1, 1}, {"b", 10 * minute, 2}, {"c", 5 * minute, 3}})
	var out []arrow.RecordBatch
	err := w.Push(ctx, batch.Chunk{Rec: rec, Origin: &batch.Origin{Partition: 3, Offsets: []int64{100, 101, 102}}}, func(c batch.Chunk) error {
		out = append(out, c.Rec)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Late() != 2 || fmt.Sprint(lateOffsets) != "[100 102]" {
		t.Fatalf("late = %d, offsets %v; want 2, [100 102]", w.Late(), lateOffsets)
	}
	if len(out) != 1 || out[0].NumRows() != 1 || out[0].Column(0).ValueStr(0) != "b" {
		t.Fatalf("output %v", out)
	}
}
