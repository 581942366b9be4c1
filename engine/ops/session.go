package ops

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// SessionAggConfig configures a SessionAgg. Keys are input columns, as
// for HashAgg; StartKey and EndKey are the positions in Keys of the
// session's window_start and window_end (-1 if not grouped by), whose
// input values are each row's singleton session [ts, ts+gap).
type SessionAggConfig struct {
	Input       types.Schema
	Keys        []int
	StartKey    int
	EndKey      int
	Gap         int64
	Aggs        []AggSpec
	Out         types.Schema
	EmitOnClose bool
}

// SessionAgg aggregates session windows: per group (the keys other than
// the window bounds) it keeps the open sessions, each the rows of events
// whose [ts, ts+gap) intervals chain together. An event that bridges two
// sessions merges them. A session's aggregates are recomputed from its
// rows when it changes (sessions are short-lived and their rows are
// freed when they close), and a session replaced by a merge is
// retracted with the row last emitted for it.
type SessionAgg struct {
	cfg      SessionAggConfig
	groupEnc *rowcodec.Encoder
	rowEnc   *rowcodec.Encoder
	keyTypes []types.Type
	inTypes  []types.Type
	schema   *arrow.Schema
	groups   map[string][]*session
	wm       int64
	rowBufs  [][]byte
	keyBufs  [][]byte
}

type session struct {
	start, end int64
	rows       []string // rowcodec encodings of the input rows
	out        string   // the output row last emitted, if any
	changed    bool
}

var _ Operator = (*SessionAgg)(nil)

// NewSessionAgg returns an empty session aggregate.
func NewSessionAgg(cfg SessionAggConfig) *SessionAgg {
	var groupCols []int
	for i, c := range cfg.Keys {
		if i != cfg.StartKey && i != cfg.EndKey {
			groupCols = append(groupCols, c)
		}
	}
	all := make([]int, len(cfg.Input))
	inTypes := make([]types.Type, len(cfg.Input))
	for i := range all {
		all[i] = i
		inTypes[i] = cfg.Input[i].Type
	}
	s := &SessionAgg{
		cfg: cfg, groupEnc: rowcodec.NewEncoder(cfg.Input, groupCols), rowEnc: rowcodec.NewEncoder(cfg.Input, all),
		inTypes: inTypes, schema: cfg.Out.Arrow(), groups: map[string][]*session{}, wm: window.NoWatermark,
	}
	for _, c := range cfg.Out {
		s.keyTypes = append(s.keyTypes, c.Type)
	}
	return s
}

// bounds returns each row's singleton session [start, end), from the
// window_start / window_end key columns the window assignment filled.
func (s *SessionAgg) bounds(rec arrow.RecordBatch) ([]int64, []int64) {
	n := int(rec.NumRows())
	var starts, ends []int64
	if s.cfg.StartKey >= 0 {
		starts = vec.Values[int64](rec.Column(s.cfg.Keys[s.cfg.StartKey]))
	}
	if s.cfg.EndKey >= 0 {
		ends = vec.Values[int64](rec.Column(s.cfg.Keys[s.cfg.EndKey]))
	}
	if starts == nil {
		starts = make([]int64, n)
		for i, e := range ends {
			starts[i] = e - s.cfg.Gap
		}
	}
	if ends == nil {
		ends = make([]int64, n)
		for i, st := range starts {
			ends[i] = st + s.cfg.Gap
		}
	}
	return starts, ends
}

// Push implements Operator.
func (s *SessionAgg) Push(_ *functions.Context, c batch.Chunk, emit Emit) error {
	if c.Signs != nil {
		return fmt.Errorf("BUG: session windows over an updating input")
	}
	n := c.Len()
	s.keyBufs = rowcodec.Rows(s.keyBufs, n)
	s.rowBufs = rowcodec.Rows(s.rowBufs, n)
	s.groupEnc.Append(s.keyBufs, c.Rec)
	s.rowEnc.Append(s.rowBufs, c.Rec)
	starts, ends := s.bounds(c.Rec)
	var touched []string
	seen := map[string]bool{}
	var retracted []*session
	for i := 0; i < n; i++ {
		key := string(s.keyBufs[i])
		if !seen[key] {
			seen[key] = true
			touched = append(touched, key)
		}
		open := s.groups[key]
		merged := &session{start: starts[i], end: ends[i], rows: []string{string(s.rowBufs[i])}, changed: true}
		kept := open[:0]
		for _, o := range open {
			if o.start < merged.end && merged.start < o.end {
				merged.start = min(merged.start, o.start)
				merged.end = max(merged.end, o.end)
				merged.rows = append(merged.rows, o.rows...)
				if o.out != "" {
					retracted = append(retracted, o)
				}
				merged.out = ""
				continue
			}
			kept = append(kept, o)
		}
		kept = append(kept, merged)
		sort.Slice(kept, func(a, b int) bool { return kept[a].start < kept[b].start })
		s.groups[key] = kept
	}
	if s.cfg.EmitOnClose {
		return nil
	}
	if len(retracted) > 0 {
		out, err := s.decodeOutputs(retracted)
		if err != nil {
			return err
		}
		signs := make([]int8, len(retracted))
		for i := range signs {
			signs[i] = -1
		}
		if err := emit(batch.Chunk{Rec: out, Signs: signs}); err != nil {
			return err
		}
	}
	var changed []*session
	for _, k := range touched {
		for _, ss := range s.groups[k] {
			if ss.changed {
				changed = append(changed, ss)
			}
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return s.emitSessions(changed, emit, true)
}

// emitSessions computes the sessions' rows and emits them (upserts);
// remember keeps each row for a later retraction.
func (s *SessionAgg) emitSessions(list []*session, emit Emit, remember bool) error {
	out, err := s.compute(list)
	if err != nil {
		return err
	}
	if remember {
		enc := make([][]byte, len(list))
		all := make([]int, len(s.cfg.Out))
		for i := range all {
			all[i] = i
		}
		rowcodec.NewEncoder(s.cfg.Out, all).Append(enc, out)
		for i, ss := range list {
			ss.out, ss.changed = string(enc[i]), false
		}
	}
	return emit(batch.Chunk{Rec: out})
}

// compute recomputes each session's output row from its rows.
func (s *SessionAgg) compute(list []*session) (arrow.RecordBatch, error) {
	dec := rowcodec.NewColumns(s.inTypes)
	groups := make([]uint32, 0)
	firstRow := make([]int, len(list))
	for g, ss := range list {
		firstRow[g] = dec.Len()
		for _, r := range ss.rows {
			if _, err := dec.DecodeRow([]byte(r)); err != nil {
				return nil, fmt.Errorf("BUG: session row: %w", err)
			}
			groups = append(groups, uint32(g))
		}
	}
	cols := dec.Arrays()
	rec := array.NewRecordBatch(s.cfg.Input.Arrow(), cols, int64(len(groups)))
	ids := make([]uint32, len(list))
	for i := range ids {
		ids[i] = uint32(i)
	}
	outCols := make([]arrow.Array, 0, len(s.cfg.Out))
	// Keys: take each session's first row, with the session's bounds.
	first := make([]int32, len(list))
	for i, r := range firstRow {
		first[i] = int32(r)
	}
	keyRec := batch.Take(rec, first)
	for k, col := range s.cfg.Keys {
		switch k {
		case s.cfg.StartKey, s.cfg.EndKey:
			vals := make([]int64, len(list))
			for i, ss := range list {
				vals[i] = ss.start
				if k == s.cfg.EndKey {
					vals[i] = ss.end
				}
			}
			outCols = append(outCols, vec.NewFixed(s.cfg.Out[k].Type.Arrow(), vals, nil, 0))
		default:
			outCols = append(outCols, keyRec.Column(col))
		}
	}
	for _, a := range s.cfg.Aggs {
		st, err := a.New()
		if err != nil {
			return nil, err
		}
		st.Resize(len(list))
		g := groups
		if a.Filter >= 0 {
			g = filterGroups(groups, rec.Column(a.Filter))
		}
		args := make([]arrow.Array, len(a.Args))
		for j, col := range a.Args {
			args[j] = rec.Column(col)
		}
		if err := st.Update(args, g, nil); err != nil {
			return nil, err
		}
		res, err := st.Finalize(ids)
		if err != nil {
			return nil, err
		}
		outCols = append(outCols, res)
	}
	return array.NewRecordBatch(s.schema, outCols, int64(len(list))), nil
}

func filterGroups(groups []uint32, pred arrow.Array) []uint32 {
	out := make([]uint32, len(groups))
	b := pred.(*array.Boolean)
	for i, g := range groups {
		if b.IsValid(i) && b.Value(i) {
			out[i] = g
		} else {
			out[i] = functions.NoGroup
		}
	}
	return out
}

// decodeOutputs rebuilds the rows last emitted for sessions.
func (s *SessionAgg) decodeOutputs(list []*session) (arrow.RecordBatch, error) {
	dec := rowcodec.NewColumns(s.keyTypes)
	for _, ss := range list {
		if _, err := dec.DecodeRow([]byte(ss.out)); err != nil {
			return nil, fmt.Errorf("BUG: session output: %w", err)
		}
	}
	return array.NewRecordBatch(s.schema, dec.Arrays(), int64(len(list))), nil
}

// Watermark implements Operator: sessions ending at or before wm close;
// with EmitOnClose they are emitted (by key, then start), and their rows
// are freed either way.
func (s *SessionAgg) Watermark(_ *functions.Context, wm int64, emit Emit) error {
	if wm <= s.wm {
		return nil
	}
	s.wm = wm
	var closed []*session
	keys := make([]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		open := s.groups[k]
		kept := open[:0]
		for _, ss := range open {
			if ss.end <= wm {
				closed = append(closed, ss)
				continue
			}
			kept = append(kept, ss)
		}
		if len(kept) == 0 {
			delete(s.groups, k)
		} else {
			s.groups[k] = kept
		}
	}
	if len(closed) == 0 || !s.cfg.EmitOnClose {
		return nil
	}
	return s.emitSessions(closed, emit, false)
}

// OpenSessions returns the number of open sessions.
func (s *SessionAgg) OpenSessions() int {
	n := 0
	for _, l := range s.groups {
		n += len(l)
	}
	return n
}

const sessionVersion = 1

// Snapshot implements state.Snapshotter.
func (s *SessionAgg) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: append(dst, sessionVersion)}
	w.Varint(s.wm)
	keys := make([]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.Uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.Bytes([]byte(k))
		w.Uvarint(uint64(len(s.groups[k])))
		for _, ss := range s.groups[k] {
			w.Varint(ss.start)
			w.Varint(ss.end)
			w.Bytes([]byte(ss.out))
			w.Bool(ss.changed)
			w.Uvarint(uint64(len(ss.rows)))
			for _, r := range ss.rows {
				w.Bytes([]byte(r))
			}
		}
	}
	return w.Buf, nil
}

// Restore implements state.Snapshotter.
func (s *SessionAgg) Restore(src []byte) error {
	if len(src) == 0 || src[0] != sessionVersion {
		return fmt.Errorf("session aggregate: unknown state version")
	}
	r := state.Reader{Buf: src[1:]}
	s.wm = r.Varint()
	s.groups = map[string][]*session{}
	nk := r.Uvarint()
	for i := uint64(0); i < nk && r.Err == nil; i++ {
		k := string(r.Bytes())
		ns := r.Uvarint()
		for j := uint64(0); j < ns && r.Err == nil; j++ {
			ss := &session{start: r.Varint(), end: r.Varint()}
			ss.out = string(r.Bytes())
			ss.changed = r.Bool()
			nr := r.Uvarint()
			for x := uint64(0); x < nr && r.Err == nil; x++ {
				ss.rows = append(ss.rows, string(r.Bytes()))
			}
			s.groups[k] = append(s.groups[k], ss)
		}
	}
	return r.Err
}
