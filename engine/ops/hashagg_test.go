package ops

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/sql/types"
)

const minute = int64(60_000_000)

type event struct {
	key string
	ts  int64
	v   float64
}

// pipeline is WindowAssign(TUMBLE 1 minute) → HashAgg(count, sum, max)
// grouped by (window_start, key).
type pipeline struct {
	win *WindowAssign
	agg *HashAgg
}

var inSchema = types.Schema{
	{Name: "key", Type: types.TextType},
	{Name: "ts", Type: types.TimestampType},
	{Name: "v", Type: types.Float64Type},
}

func newPipeline(t testing.TB, eowc bool) *pipeline {
	reg := functions.NewRegistry()
	aggregate.Register(reg)
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})
	mk := func(name string, args ...types.Type) functions.GroupState {
		a, _, err := reg.ResolveAggregate(name, args, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := a.New(args, functions.AggOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := types.Schema{
		{Name: "window_start", Type: types.TimestampType}, {Name: "key", Type: types.TextType},
		{Name: "n", Type: types.Int64Type}, {Name: "s", Type: types.Float64Type}, {Name: "m", Type: types.Float64Type},
	}
	return &pipeline{
		win: NewWindowAssign(1, minute, minute, 0, winSchema),
		agg: NewHashAgg(HashAggConfig{
			Input: winSchema, Keys: []int{3, 0}, Out: out,
			Aggs: []AggSpec{
				{State: mk("count"), Filter: -1},
				{State: mk("sum", types.Float64Type), Args: []int{2}, Filter: -1},
				{State: mk("max", types.Float64Type), Args: []int{2}, Filter: -1},
			},
			Window:      &WindowClose{KeyCol: 0, Plus: minute},
			EmitOnClose: eowc,
		}),
	}
}

type row struct {
	n    int64
	s, m float64
}

// view applies emitted rows by key, as a materialized view does.
type resultView map[string]row

func (v resultView) apply(t *testing.T, c batch.Chunk) {
	rec := c.Rec
	for i := 0; i < int(rec.NumRows()); i++ {
		k := fmt.Sprintf("%d/%s", rec.Column(0).(*array.Timestamp).Value(i), rec.Column(1).(*array.String).Value(i))
		if c.Signs != nil && c.Signs[i] < 0 {
			delete(v, k)
			continue
		}
		v[k] = row{rec.Column(2).(*array.Int64).Value(i), rec.Column(3).(*array.Float64).Value(i), rec.Column(4).(*array.Float64).Value(i)}
	}
}

func record(evs []event) arrow.RecordBatch {
	ks := make([]types.Datum, len(evs))
	ts := make([]types.Datum, len(evs))
	vs := make([]types.Datum, len(evs))
	for i, e := range evs {
		ks[i] = types.StringDatum(types.TextType, e.key)
		ts[i] = types.IntDatum(types.TimestampType, e.ts)
		vs[i] = types.FloatDatum(types.Float64Type, e.v)
	}
	return array.NewRecordBatch(inSchema.Arrow(), []arrow.Array{
		functions.BuildArray(types.TextType, ks), functions.BuildArray(types.TimestampType, ts), functions.BuildArray(types.Float64Type, vs),
	}, int64(len(evs)))
}

// run feeds events in batches, advancing the watermark (max ts - delay)
// after each batch; restoreAt >= 0 snapshots the pipeline after that
// batch and continues on a fresh pipeline restored from the bytes.
func run(t *testing.T, evs []event, batchSize int, delay int64, eowc bool, restoreAt int) (resultView, int64) {
	p := newPipeline(t, eowc)
	v := resultView{}
	ctx := &functions.Context{}
	emit := func(c batch.Chunk) error { v.apply(t, c); return nil }
	maxTS := int64(math.MinInt64)
	for b := 0; b*batchSize < len(evs); b++ {
		part := evs[b*batchSize : min(len(evs), (b+1)*batchSize)]
		err := p.win.Push(ctx, batch.Chunk{Rec: record(part)}, func(c batch.Chunk) error {
			return p.agg.Push(ctx, c, emit)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range part {
			maxTS = max(maxTS, e.ts)
		}
		if err := p.agg.Watermark(ctx, maxTS-delay, emit); err != nil {
			t.Fatal(err)
		}
		if b == restoreAt {
			snap, err := p.agg.Snapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			p = newPipeline(t, eowc)
			if err := p.agg.Restore(snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Close every window at the end.
	if err := p.agg.Watermark(ctx, math.MaxInt64, emit); err != nil {
		t.Fatal(err)
	}
	return v, p.agg.Late()
}

// oracle computes the expected view with the same lateness rule: an
// event is late if its window's end <= max(ts) - delay over the batches
// before it.
func oracle(evs []event, batchSize int, delay int64) (resultView, int64) {
	v := resultView{}
	var late int64
	wm := int64(math.MinInt64)
	maxTS := int64(math.MinInt64)
	for b := 0; b*batchSize < len(evs); b++ {
		part := evs[b*batchSize : min(len(evs), (b+1)*batchSize)]
		for _, e := range part {
			start := e.ts - ((e.ts%minute)+minute)%minute
			if start+minute <= wm {
				late++
				continue
			}
			k := fmt.Sprintf("%d/%s", start, e.key)
			r, ok := v[k]
			if !ok {
				r.m = math.Inf(-1)
			}
			r.n++
			r.s += e.v
			r.m = math.Max(r.m, e.v)
			v[k] = r
		}
		for _, e := range part {
			maxTS = max(maxTS, e.ts)
		}
		wm = max(wm, maxTS-delay)
	}
	return v, late
}

func genEvents(rng *rand.Rand, n int) []event {
	evs := make([]event, n)
	base := int64(1_700_000_000) * 1_000_000
	for i := range evs {
		jitter := rng.Int63n(20_000_000) // up to 20 s of disorder
		if rng.Intn(100) == 0 {
			jitter = rng.Int63n(5 * minute) // a few very late ones
		}
		evs[i] = event{
			key: fmt.Sprintf("k%02d", rng.Intn(7)),
			ts:  base + int64(i)*50_000 - jitter,
			v:   float64(rng.Intn(1000)) / 4,
		}
	}
	return evs
}

func TestHashAggMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	evs := genEvents(rng, 5000)
	const delay = 5_000_000
	for _, eowc := range []bool{false, true} {
		for _, bs := range []int{1, 37, 500} {
			want, wantLate := oracle(evs, bs, delay)
			for _, restoreAt := range []int{-1, 0, 3, len(evs) / bs / 2} {
				got, late := run(t, evs, bs, delay, eowc, restoreAt)
				if late != wantLate {
					t.Fatalf("eowc=%v bs=%d restore=%d: late %d, want %d", eowc, bs, restoreAt, late, wantLate)
				}
				if len(got) != len(want) {
					t.Fatalf("eowc=%v bs=%d restore=%d: %d rows, want %d", eowc, bs, restoreAt, len(got), len(want))
				}
				keys := make([]string, 0, len(want))
				for k := range want {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					g, w := got[k], want[k]
					if g.n != w.n || g.m != w.m || math.Abs(g.s-w.s) > 1e-9*math.Abs(w.s) {
						t.Fatalf("eowc=%v bs=%d restore=%d key %s: %+v want %+v", eowc, bs, restoreAt, k, g, w)
					}
				}
			}
		}
	}
}

func TestHashAggFreesClosedWindows(t *testing.T) {
	p := newPipeline(t, false)
	ctx := &functions.Context{}
	noop := func(batch.Chunk) error { return nil }
	rng := rand.New(rand.NewSource(5))
	evs := genEvents(rng, 20000)
	for b := 0; b*100 < len(evs); b++ {
		part := evs[b*100 : (b+1)*100]
		_ = p.win.Push(ctx, batch.Chunk{Rec: record(part)}, func(c batch.Chunk) error { return p.agg.Push(ctx, c, noop) })
		_ = p.agg.Watermark(ctx, part[len(part)-1].ts-5_000_000, noop)
	}
	// 7 keys × at most 2 open one-minute windows.
	if g := p.agg.Groups(); g > 14 {
		t.Fatalf("%d open groups; closed windows were not freed", g)
	}
	if p.agg.Slots() > 64 {
		t.Fatalf("group slots grew to %d; freed ids are not reused", p.agg.Slots())
	}
}
