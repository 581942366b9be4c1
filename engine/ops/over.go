package ops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// OverKind is a function a streaming OVER window computes.
type OverKind uint8

// The streaming OVER functions.
const (
	OverCountStar OverKind = iota + 1
	OverCount
	OverSum
	OverAvg
	OverMin
	OverMax
	OverVarSamp
	OverVarPop
	OverStddevSamp
	OverStddevPop
	OverLag
	OverDetector
)

// OverFunc is one function of a streaming OVER window.
type OverFunc struct {
	Kind OverKind
	// Arg is the input column of the argument (-1 for count(*)).
	Arg     int
	ArgType types.Type
	Out     types.Type
	// The frame of an aggregate: Rows preceding rows (ROWS BETWEEN n
	// PRECEDING AND CURRENT ROW), or Range microseconds before the
	// current row's time (RANGE BETWEEN INTERVAL ... PRECEDING AND
	// CURRENT ROW); both -1 for UNBOUNDED PRECEDING.
	Rows, Range int64
	// Peers is set for a RANGE frame (the default frame included): rows
	// with the same time are in each other's frame.
	Peers bool
	// ExcludeCurrent is ROWS BETWEEN n PRECEDING AND 1 PRECEDING: the
	// frame is the Rows rows before the current one.
	ExcludeCurrent bool
	// Offset is lag's offset; Default its default (a NULL datum for
	// none), of type Out.
	Offset  int
	Default types.Datum
	// Model makes a detector's per-partition model.
	Model func() functions.SeriesModel
}

// OverConfig configures a streaming OVER window.
type OverConfig struct {
	Input       types.Schema
	PartitionBy []int
	// Time is the ORDER BY column; a row is final, and released in time
	// order, once Time + Plus <= the watermark (Plus is 1 for a source's
	// event time, the window size for an upstream window_start).
	Time  int
	Plus  int64
	Funcs []OverFunc
	Out   types.Schema
}

// Over computes window functions over each partition's rows in event
// time order. Rows wait until the watermark makes them final, then are
// released sorted by (partition, time, arrival), and every function sees
// its partition's rows in that order, so the result does not depend on
// arrival order. The input records holding pending rows are kept as
// they arrived; each partition queues references to its pending rows in
// (time, arrival) order, and the partitions sit in a heap by their
// oldest pending time (overqueue.go), so a watermark costs what it
// releases, not the backlog, and a row is copied once, when released.
// Per partition it keeps only what the frames need (the rows in a
// bounded frame, running sums for an unbounded one, lag's last rows, a
// detector's model). A row whose time is already final on arrival is
// late: counted and dropped.
type Over struct {
	cfg     OverConfig
	partEnc *rowcodec.Encoder
	rowEnc  *rowcodec.Encoder
	inTypes []types.Type
	inArrow *arrow.Schema
	// ckptSchema is the schema of checkpoint record chunks (ckptArrow).
	ckptSchema *arrow.Schema
	// chunkBytes, if set, replaces overChunkBytes (tests).
	chunkBytes int
	schema     *arrow.Schema
	seq        int64
	wm         int64
	late       int64
	parts      map[string]*overPart
	// ready holds the partitions with pending rows.
	ready overHeap
	// bats is the input records holding pending rows (overqueue.go).
	bats    overBatches
	keyBufs [][]byte
	// touched, refs, recs, remap and used are Watermark's scratch: the
	// partitions it releases rows of, those rows, the kept records they
	// are in, and the map from a kept record's index to its place in
	// recs (-1 outside; used lists the entries to reset).
	touched []*overPart
	refs    []batch.RowRef
	recs    []arrow.RecordBatch
	remap   []int32
	used    []int
	ckpt    overCkpt
}

var _ Operator = (*Over)(nil)

// NewOver returns an empty streaming OVER window.
func NewOver(cfg OverConfig) *Over {
	all := make([]int, len(cfg.Input))
	ts := make([]types.Type, len(cfg.Input))
	for i := range all {
		all[i], ts[i] = i, cfg.Input[i].Type
	}
	return &Over{cfg: cfg, partEnc: rowcodec.NewEncoder(cfg.Input, cfg.PartitionBy), rowEnc: rowcodec.NewEncoder(cfg.Input, all),
		inTypes: ts, inArrow: cfg.Input.Arrow(), schema: cfg.Out.Arrow(), wm: window.NoWatermark, parts: map[string]*overPart{}}
}

// Late returns the number of late rows dropped.
func (o *Over) Late() int64 { return o.late }

// Push buffers rows until the watermark makes them final: the record is
// kept, and each row's partition queues a reference to it.
func (o *Over) Push(_ *functions.Context, c batch.Chunk, _ Emit) error {
	// An append-only upstream view's changelog carries signs, all +1.
	for _, sg := range c.Signs {
		if sg < 0 {
			return fmt.Errorf("BUG: streaming OVER over an updating input")
		}
	}
	n := c.Len()
	if n == 0 {
		return nil
	}
	o.keyBufs = rowcodec.Rows(o.keyBufs, n)
	o.partEnc.Append(o.keyBufs, c.Rec)
	tcol := c.Rec.Column(o.cfg.Time)
	tss := vec.Values[int64](tcol)
	id, seq0 := o.bats.next(), o.seq
	for i := 0; i < n; i++ {
		if !o.pendingAt(tcol, tss, i, o.wm) {
			o.late++
			continue
		}
		o.enqueue(o.keyBufs[i], pendingEntry{ts: tss[i], seq: o.seq, ref: batch.RowRef{Rec: id, Row: uint32(i)}})
		o.seq++
	}
	if kept := int(o.seq - seq0); kept > 0 {
		o.bats.add(keptRec{rec: c.Rec, live: kept, seq0: seq0, wm0: o.wm})
	}
	return nil
}

// pendingAt reports whether row i (tss its times) is pending under
// watermark wm: it has a time and the time is not final.
func (o *Over) pendingAt(tcol arrow.Array, tss []int64, i int, wm int64) bool {
	return !tcol.IsNull(i) && (wm == window.NoWatermark || tss[i]+o.cfg.Plus > wm)
}

// part returns the partition with the given key, created if new.
func (o *Over) part(key []byte) *overPart {
	p := o.parts[string(key)]
	if p == nil {
		p = newOverPart(string(key), o.cfg.Funcs)
		o.parts[p.key] = p
	}
	return p
}

// enqueue adds a pending row to its partition.
func (o *Over) enqueue(key []byte, e pendingEntry) {
	p := o.part(key)
	if !p.pending.insert(e) {
		return
	}
	o.ready.update(p)
}

// Watermark releases the rows it makes final and computes their
// functions.
func (o *Over) Watermark(ctx *functions.Context, wm int64, emit Emit) error {
	if wm <= o.wm {
		return nil
	}
	o.wm = wm
	touched := o.touched[:0]
	for len(o.ready) > 0 && o.ready[0].ts+o.cfg.Plus <= wm {
		p := o.ready.pop()
		p.take = p.pending.ready(wm, o.cfg.Plus)
		touched = append(touched, p)
	}
	if len(touched) == 0 {
		return nil
	}
	slices.SortFunc(touched, func(a, b *overPart) int { return strings.Compare(a.key, b.key) })
	err := o.compute(touched, emit)
	for _, p := range touched {
		o.ckpt.noteRelease(p)
		o.bats.done(p.pending.rows[p.pending.head : p.pending.head+p.take])
		p.pending.drop(p.take)
		p.take = 0
		if p.pending.len() > 0 {
			o.ready.update(p)
		}
	}
	clear(touched)
	o.touched = touched[:0]
	return err
}

// compute runs every function over the released rows (each touched
// partition's take oldest pending rows), partition by partition.
func (o *Over) compute(touched []*overPart, emit Emit) error {
	// Gather from the kept records the released rows are in (a few of
	// the oldest, usually), not from all of them: with small batches a
	// watermark delay keeps thousands.
	refs, recs := o.refs[:0], o.recs[:0]
	for len(o.remap) < len(o.bats.recs) {
		o.remap = append(o.remap, -1)
	}
	for _, p := range touched {
		for i := range p.take {
			ref := p.pending.row(i).ref
			k := o.bats.index(ref.Rec)
			if o.remap[k] < 0 {
				o.remap[k] = int32(len(recs))
				recs = append(recs, o.bats.recs[k].rec)
				o.used = append(o.used, k)
			}
			ref.Rec = uint32(o.remap[k])
			refs = append(refs, ref)
		}
	}
	for _, k := range o.used {
		o.remap[k] = -1
	}
	o.used = o.used[:0]
	o.refs = refs
	n := len(refs)
	in := batch.Gather(o.inArrow, recs, refs)
	clear(recs)
	o.recs = recs[:0]
	res := make([]overResult, len(o.cfg.Funcs))
	args := make([]overArg, len(o.cfg.Funcs))
	for k, f := range o.cfg.Funcs {
		res[k] = newOverResult(f, n)
		if f.Arg >= 0 {
			args[k] = newOverArg(in.Column(f.Arg), f.ArgType, f.Kind == OverMin || f.Kind == OverMax || f.Kind == OverLag)
		}
	}
	tss := vec.Values[int64](in.Column(o.cfg.Time))
	start := 0
	for _, p := range touched {
		end := start + p.take
		p.started = true
		for k := range o.cfg.Funcs {
			if err := p.fns[k].run(&o.cfg.Funcs[k], &args[k], tss, start, end, &res[k]); err != nil {
				return err
			}
		}
		start = end
	}
	cols := append([]arrow.Array{}, in.Columns()...)
	for k := range res {
		cols = append(cols, res[k].finish(o.cfg.Funcs[k].Out))
	}
	return emit(batch.Chunk{Rec: array.NewRecordBatch(o.schema, cols, int64(n))})
}

// overArg is one function's argument column in typed form.
type overArg struct {
	valid []bool
	f     []float64
	i     []int64
	enc   []string
}

// newOverArg extracts an argument column: numbers as float64 (and int64
// for integers) for the arithmetic, and, when enc is set (min, max, lag),
// each value's rowcodec encoding, which orders like the values and
// decodes to the argument's type.
func newOverArg(arr arrow.Array, t types.Type, enc bool) overArg {
	n := arr.Len()
	a := overArg{valid: make([]bool, n)}
	for i := range a.valid {
		a.valid[i] = arr.IsValid(i)
	}
	switch {
	case t.IsInteger():
		a.i = make([]int64, n)
		a.f = make([]float64, n)
		switch t.Kind {
		case types.Int16:
			for i, v := range vec.Values[int16](arr) {
				a.i[i], a.f[i] = int64(v), float64(v)
			}
		case types.Int32:
			for i, v := range vec.Values[int32](arr) {
				a.i[i], a.f[i] = int64(v), float64(v)
			}
		default:
			for i, v := range vec.Values[int64](arr) {
				a.i[i], a.f[i] = v, float64(v)
			}
		}
	case t.Kind == types.Float32:
		a.f = make([]float64, n)
		for i, v := range vec.Values[float32](arr) {
			a.f[i] = float64(v)
		}
	case t.Kind == types.Float64:
		a.f = vec.Values[float64](arr)
	}
	if !enc {
		return a
	}
	bufs := make([][]byte, n)
	rowcodec.AppendColumn(bufs, arr, t)
	a.enc = make([]string, n)
	for i, b := range bufs {
		a.enc[i] = string(b)
	}
	return a
}

// overResult collects one function's outputs in release order.
type overResult struct {
	valid []bool
	f     []float64
	i     []int64
	enc   []string
}

// newOverResult chooses the representation: counts and sums as int64,
// float results as float64, values of the argument's type (min, max,
// lag, boolean detectors) in rowcodec encoding.
func newOverResult(f OverFunc, n int) overResult {
	r := overResult{valid: make([]bool, n)}
	switch {
	case f.Kind == OverMin || f.Kind == OverMax || f.Kind == OverLag:
		r.enc = make([]string, n)
	case f.Out.Kind == types.Float64:
		r.f = make([]float64, n)
	case f.Out.Kind == types.Int64:
		r.i = make([]int64, n)
	default:
		r.enc = make([]string, n)
	}
	return r
}

func (r *overResult) finish(t types.Type) arrow.Array {
	bm, nulls := vec.BitmapOf(r.valid)
	switch {
	case r.f != nil:
		return vec.NewFixed(t.Arrow(), r.f, bm, nulls)
	case r.i != nil:
		return vec.NewFixed(t.Arrow(), r.i, bm, nulls)
	}
	dec := rowcodec.NewColumns([]types.Type{t})
	null := string(rowcodec.AppendDatum(nil, types.NullDatum(t)))
	for i, e := range r.enc {
		if !r.valid[i] {
			e = null
		}
		if _, err := dec.DecodeRow([]byte(e)); err != nil {
			panic(fmt.Sprintf("BUG: OVER value: %v", err))
		}
	}
	return dec.Arrays()[0]
}

// overflow is sum's 22003.
func overflow() error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "bigint out of range")
}

func addInt(a, b int64) (int64, error) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, overflow()
	}
	return s, nil
}
