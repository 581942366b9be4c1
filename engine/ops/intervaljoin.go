package ops

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// IntervalJoinConfig configures an interval join of two streams:
// left.key = right.key AND Lower <= right.ts - left.ts <= Upper, plus an
// optional residual condition over the output (which also holds the time
// bounds, so the result is exact whatever the bounds' use).
type IntervalJoinConfig struct {
	Left, Right         types.Schema
	LeftKeys, RightKeys []int
	LeftTime, RightTime int
	Lower, Upper        int64
	Residual            *expr.Evaluator
	Out                 types.Schema
}

// IntervalJoin is an inner join of two append-only streams whose time
// difference is bounded. Each side's rows are kept, per key, until the
// other side's watermark shows no future row can match them: a left row
// until right's watermark passes left.ts + Upper, a right row until
// left's watermark passes right.ts - Lower. Rows older than their own
// side's watermark are late and dropped (counted).
type IntervalJoin struct {
	cfg    IntervalJoinConfig
	sides  [2]*joinSide
	schema *arrow.Schema
}

type joinSide struct {
	schema  types.Schema
	types   []types.Type
	keys    []int
	time    int
	keyEnc  *rowcodec.Encoder
	rowEnc  *rowcodec.Encoder
	buf     map[string][]timedRow
	wm      int64
	late    int64
	keyBufs [][]byte
	rowBufs [][]byte
}

type timedRow struct {
	ts  int64
	row string
}

// NewIntervalJoin returns an empty interval join.
func NewIntervalJoin(cfg IntervalJoinConfig) *IntervalJoin {
	mk := func(s types.Schema, keys []int, ts int) *joinSide {
		all := make([]int, len(s))
		tys := make([]types.Type, len(s))
		for i := range all {
			all[i], tys[i] = i, s[i].Type
		}
		return &joinSide{schema: s, types: tys, keys: keys, time: ts, keyEnc: rowcodec.NewEncoder(s, keys),
			rowEnc: rowcodec.NewEncoder(s, all), buf: map[string][]timedRow{}, wm: window.NoWatermark}
	}
	return &IntervalJoin{cfg: cfg, schema: cfg.Out.Arrow(), sides: [2]*joinSide{
		mk(cfg.Left, cfg.LeftKeys, cfg.LeftTime), mk(cfg.Right, cfg.RightKeys, cfg.RightTime)}}
}

// Late returns the number of late rows dropped.
func (j *IntervalJoin) Late() int64 { return j.sides[0].late + j.sides[1].late }

// LateSide returns the number of late rows dropped from side s.
func (j *IntervalJoin) LateSide(s int) int64 { return j.sides[s].late }

// bounds returns, for a row of side s at time ts, the range of the other
// side's times it matches.
func (j *IntervalJoin) bounds(s int, ts int64) (int64, int64) {
	if s == 0 {
		return ts + j.cfg.Lower, ts + j.cfg.Upper
	}
	return ts - j.cfg.Upper, ts - j.cfg.Lower
}

// PushSide handles a chunk from one input (0 left, 1 right).
func (j *IntervalJoin) PushSide(ctx *functions.Context, s int, c batch.Chunk, emit Emit) error {
	if c.Signs != nil {
		return fmt.Errorf("BUG: interval join over an updating input")
	}
	me, other := j.sides[s], j.sides[1-s]
	n := c.Len()
	me.keyBufs = rowcodec.Rows(me.keyBufs, n)
	me.rowBufs = rowcodec.Rows(me.rowBufs, n)
	me.keyEnc.Append(me.keyBufs, c.Rec)
	me.rowEnc.Append(me.rowBufs, c.Rec)
	tsCol := c.Rec.Column(me.time)
	tss := vec.Values[int64](tsCol)
	var pairsMe []int32
	var pairsOther []string
	for i := 0; i < n; i++ {
		if tsCol.IsNull(i) || keyHasNull(c.Rec, me.keys, i) {
			continue
		}
		ts := tss[i]
		if ts < me.wm {
			me.late++
			continue
		}
		lo, hi := j.bounds(s, ts)
		key := string(me.keyBufs[i])
		for _, r := range other.buf[key] {
			if r.ts >= lo && r.ts <= hi {
				pairsMe = append(pairsMe, int32(i))
				pairsOther = append(pairsOther, r.row)
			}
		}
		me.buf[key] = append(me.buf[key], timedRow{ts: ts, row: string(me.rowBufs[i])})
	}
	if len(pairsMe) == 0 {
		return nil
	}
	dec := rowcodec.NewColumns(other.types)
	for _, r := range pairsOther {
		if _, err := dec.DecodeRow([]byte(r)); err != nil {
			return fmt.Errorf("BUG: join row: %w", err)
		}
	}
	mine := batch.Take(c.Rec, pairsMe).Columns()
	theirs := dec.Arrays()
	cols := make([]arrow.Array, 0, len(j.cfg.Out))
	if s == 0 {
		cols = append(append(cols, mine...), theirs...)
	} else {
		cols = append(append(cols, theirs...), mine...)
	}
	out := array.NewRecordBatch(j.schema, cols, int64(len(pairsMe)))
	if j.cfg.Residual == nil {
		return emit(batch.Chunk{Rec: out})
	}
	mask, err := j.cfg.Residual.EvalArray(ctx, out)
	if err != nil {
		return err
	}
	keep, all := batch.Selected(mask, nil)
	switch {
	case all:
		return emit(batch.Chunk{Rec: out})
	case len(keep) == 0:
		return nil
	}
	return emit(batch.Chunk{Rec: batch.Take(out, keep)})
}

func keyHasNull(rec arrow.RecordBatch, keys []int, i int) bool {
	for _, k := range keys {
		if rec.Column(k).IsNull(i) {
			return true
		}
	}
	return false
}

// WatermarkSide advances one input's watermark and frees the other
// side's rows that can no longer match.
func (j *IntervalJoin) WatermarkSide(s int, wm int64) {
	me := j.sides[s]
	if wm <= me.wm {
		return
	}
	me.wm = wm
	other := j.sides[1-s]
	for k, rows := range other.buf {
		kept := rows[:0]
		for _, r := range rows {
			if _, hi := j.bounds(1-s, r.ts); hi >= wm {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			delete(other.buf, k)
		} else {
			clear(rows[len(kept):])
			other.buf[k] = kept
		}
	}
}

// Buffered returns the number of rows held on each side.
func (j *IntervalJoin) Buffered() (int, int) {
	count := func(s *joinSide) int {
		n := 0
		for _, r := range s.buf {
			n += len(r)
		}
		return n
	}
	return count(j.sides[0]), count(j.sides[1])
}

const intervalJoinVersion = 1

// Snapshot implements state.Snapshotter.
func (j *IntervalJoin) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: append(dst, intervalJoinVersion)}
	for _, s := range j.sides {
		w.Varint(s.late)
		w.Varint(s.wm)
		keys := make([]string, 0, len(s.buf))
		for k := range s.buf {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.Uvarint(uint64(len(keys)))
		for _, k := range keys {
			w.Bytes([]byte(k))
			w.Uvarint(uint64(len(s.buf[k])))
			for _, r := range s.buf[k] {
				w.Varint(r.ts)
				w.Bytes([]byte(r.row))
			}
		}
	}
	return w.Buf, nil
}

// Restore implements state.Snapshotter.
func (j *IntervalJoin) Restore(src []byte) error {
	if len(src) == 0 || src[0] != intervalJoinVersion {
		return fmt.Errorf("interval join: unknown state version")
	}
	r := state.Reader{Buf: src[1:]}
	for _, s := range j.sides {
		s.late = r.Varint()
		s.wm = r.Varint()
		s.buf = map[string][]timedRow{}
		nk := r.Uvarint()
		for i := uint64(0); i < nk && r.Err == nil; i++ {
			k := string(r.Bytes())
			nr := r.Uvarint()
			for x := uint64(0); x < nr && r.Err == nil; x++ {
				ts := r.Varint()
				s.buf[k] = append(s.buf[k], timedRow{ts: ts, row: string(r.Bytes())})
			}
		}
	}
	return r.Err
}
