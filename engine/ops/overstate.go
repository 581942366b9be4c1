package ops

import (
	"fmt"
	"math"
	"sort"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// overPart is one partition: its pending rows (overqueue.go) and one
// overFn per function.
type overPart struct {
	key     string
	pending overQueue
	// heapIdx is the partition's index in Over.ready, -1 outside.
	heapIdx int
	// take is the pending rows the current watermark releases.
	take int
	// started is set once rows were released: the functions' states are
	// part of a snapshot from then on.
	started bool
	// dirty is set while the partition is in Over.ckpt.dirty.
	dirty bool
	fns   []overFn
}

func newOverPart(key string, fs []OverFunc) *overPart {
	p := &overPart{key: key, heapIdx: -1, fns: make([]overFn, len(fs))}
	for k := range fs {
		if fs[k].Kind == OverDetector {
			p.fns[k].model = fs[k].Model()
		}
	}
	return p
}

// frameEntry is one row in a function's frame (or lag's history).
type frameEntry struct {
	ts    int64
	pos   int64
	valid bool
	f     float64
	i     int64
	enc   string
}

// overFn is one function's state in one partition: the rows of its
// frame (a queue from head), running aggregates over the valid ones,
// a monotonic deque for min/max, or a detector's model.
type overFn struct {
	q     []frameEntry
	head  int
	pos   int64
	n     int64
	sumI  int64
	sumF  float64
	mean  float64
	m2    float64
	dq    []frameEntry
	model functions.SeriesModel
	// scratch for detectors
	out []float64
	ok  []bool
}

// bounded reports whether the function keeps the rows of its frame.
func (f *OverFunc) bounded() bool { return f.Rows >= 0 || f.Range >= 0 }

func (s *overFn) add(f *OverFunc, e frameEntry) error {
	if f.bounded() || f.Kind == OverLag {
		s.q = append(s.q, e)
	}
	if !e.valid {
		return nil
	}
	s.n++
	switch f.Kind {
	case OverSum, OverAvg:
		if f.ArgType.IsInteger() {
			v, err := addInt(s.sumI, e.i)
			if err != nil {
				return err
			}
			s.sumI = v
		}
		s.sumF += e.f
	case OverVarSamp, OverVarPop, OverStddevSamp, OverStddevPop:
		d := e.f - s.mean
		s.mean += d / float64(s.n)
		s.m2 += d * (e.f - s.mean)
	case OverMin, OverMax:
		less := f.Kind == OverMin
		for len(s.dq) > 0 {
			back := s.dq[len(s.dq)-1].enc
			if (less && back >= e.enc) || (!less && back <= e.enc) {
				s.dq = s.dq[:len(s.dq)-1]
				continue
			}
			break
		}
		s.dq = append(s.dq, e)
	}
	return nil
}

func (s *overFn) remove(f *OverFunc, e frameEntry) {
	if !e.valid {
		return
	}
	s.n--
	switch f.Kind {
	case OverSum, OverAvg:
		s.sumI -= e.i
		s.sumF -= e.f
		if s.n == 0 {
			s.sumI, s.sumF = 0, 0
		}
	case OverVarSamp, OverVarPop, OverStddevSamp, OverStddevPop:
		if s.n == 0 {
			s.mean, s.m2 = 0, 0
			return
		}
		d := e.f - s.mean
		s.mean -= d / float64(s.n)
		s.m2 -= d * (e.f - s.mean)
		s.m2 = max(s.m2, 0)
	case OverMin, OverMax:
		if len(s.dq) > 0 && s.dq[0].pos == e.pos {
			s.dq = s.dq[1:]
		}
	}
}

// expire drops the frame's rows that fall out of it for a current row
// at time ts.
func (s *overFn) expire(f *OverFunc, ts int64) {
	for s.head < len(s.q) {
		e := s.q[s.head]
		var out bool
		switch {
		case f.Kind == OverLag:
			out = int64(len(s.q)-s.head) > int64(f.Offset)+1
		case f.ExcludeCurrent:
			out = int64(len(s.q)-s.head) > f.Rows
		case f.Rows >= 0:
			out = int64(len(s.q)-s.head) > f.Rows+1
		case f.Range >= 0:
			out = e.ts < ts-f.Range
		}
		if !out {
			break
		}
		if f.Kind != OverLag {
			s.remove(f, e)
		}
		s.q[s.head] = frameEntry{}
		s.head++
	}
	if s.head > 64 && s.head*2 > len(s.q) {
		s.q = append(s.q[:0], s.q[s.head:]...)
		s.head = 0
	}
}

// run computes the function for rows [start, end) of one partition.
// In a RANGE frame a row's peers (same time) are in its frame, so they
// are added together and share the result, as in Postgres.
func (s *overFn) run(f *OverFunc, a *overArg, tss []int64, start, end int, r *overResult) error {
	if f.Kind == OverDetector {
		return s.runDetector(a, start, end, r)
	}
	entry := func(i int) frameEntry {
		e := frameEntry{ts: tss[i], pos: s.pos, valid: f.Arg < 0 || a.valid[i]}
		s.pos++
		if f.Arg >= 0 && e.valid {
			if a.f != nil {
				e.f = a.f[i]
			}
			if a.i != nil {
				e.i = a.i[i]
			}
			if a.enc != nil {
				e.enc = a.enc[i]
			}
		}
		return e
	}
	for i := start; i < end; {
		if f.Kind == OverLag {
			e := entry(i)
			s.q = append(s.q, e)
			s.expire(f, e.ts)
			if back := len(s.q) - s.head - 1 - f.Offset; back >= 0 {
				prev := s.q[s.head+back]
				r.valid[i], r.enc[i] = prev.valid, prev.enc
			} else if !f.Default.Null {
				r.valid[i], r.enc[i] = true, datumEnc(f.Default)
			}
			i++
			continue
		}
		if f.ExcludeCurrent {
			s.expire(f, tss[i])
			s.result(f, i, r)
			if err := s.add(f, entry(i)); err != nil {
				return err
			}
			i++
			continue
		}
		j := i + 1
		if f.Peers {
			for j < end && tss[j] == tss[i] {
				j++
			}
		}
		for k := i; k < j; k++ {
			if err := s.add(f, entry(k)); err != nil {
				return err
			}
		}
		s.expire(f, tss[i])
		for k := i; k < j; k++ {
			s.result(f, k, r)
		}
		i = j
	}
	return nil
}

func datumEnc(d types.Datum) string { return string(rowcodec.AppendDatum(nil, d)) }

func (s *overFn) result(f *OverFunc, i int, r *overResult) {
	n := float64(s.n)
	switch f.Kind {
	case OverCountStar, OverCount:
		r.valid[i], r.i[i] = true, s.n
	case OverSum:
		if s.n == 0 {
			return
		}
		r.valid[i] = true
		if r.i != nil {
			r.i[i] = s.sumI
		} else {
			r.f[i] = s.sumF
		}
	case OverAvg:
		if s.n == 0 {
			return
		}
		r.valid[i] = true
		if f.ArgType.IsInteger() {
			r.f[i] = float64(s.sumI) / n
		} else {
			r.f[i] = s.sumF / n
		}
	case OverVarSamp, OverStddevSamp:
		if s.n < 2 {
			return
		}
		v := s.m2 / (n - 1)
		if f.Kind == OverStddevSamp {
			v = math.Sqrt(v)
		}
		r.valid[i], r.f[i] = true, v
	case OverVarPop, OverStddevPop:
		if s.n < 1 {
			return
		}
		v := s.m2 / n
		if f.Kind == OverStddevPop {
			v = math.Sqrt(v)
		}
		r.valid[i], r.f[i] = true, v
	case OverMin, OverMax:
		if len(s.dq) == 0 {
			return
		}
		r.valid[i], r.enc[i] = true, s.dq[0].enc
	}
}

func (s *overFn) runDetector(a *overArg, start, end int, r *overResult) error {
	n := end - start
	if cap(s.out) < n {
		s.out, s.ok = make([]float64, n), make([]bool, n)
	}
	out, ok := s.out[:n], s.ok[:n]
	s.model.Step(a.f[start:end], a.valid[start:end], out, ok)
	for k := 0; k < n; k++ {
		i := start + k
		r.valid[i] = ok[k]
		switch {
		case r.f != nil:
			r.f[i] = out[k]
		default:
			r.enc[i] = datumEnc(types.BoolDatum(out[k] != 0))
		}
	}
	return nil
}

const overVersion = 1

// Snapshot implements state.Snapshotter: the watermark, the late count,
// the pending rows (by partition, then time and arrival), and the
// function states of every partition that has released rows.
func (o *Over) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: append(dst, overVersion)}
	w.Varint(o.wm)
	w.Varint(o.late)
	w.Varint(o.seq)
	keys := make([]string, 0, len(o.parts))
	pending, started := 0, 0
	for k, p := range o.parts {
		keys = append(keys, k)
		pending += p.pending.len()
		if p.started {
			started++
		}
	}
	sort.Strings(keys)
	w.Uvarint(uint64(pending))
	enc := o.rowEncodings()
	for _, k := range keys {
		q := &o.parts[k].pending
		for i := range q.len() {
			e := q.row(i)
			w.Bytes([]byte(k))
			w.Varint(e.ts)
			w.Varint(e.seq)
			w.Bytes(enc(e.ref))
		}
	}
	w.Uvarint(uint64(started))
	for _, k := range keys {
		p := o.parts[k]
		if !p.started {
			continue
		}
		w.Bytes([]byte(k))
		for _, s := range p.fns {
			s.write(&w)
		}
	}
	return w.Buf, nil
}

func (s *overFn) write(w *state.Writer) {
	w.Varint(s.pos)
	w.Varint(s.n)
	w.Varint(s.sumI)
	w.Float(s.sumF)
	w.Float(s.mean)
	w.Float(s.m2)
	for _, q := range [][]frameEntry{s.q[s.head:], s.dq} {
		w.Uvarint(uint64(len(q)))
		for _, e := range q {
			w.Varint(e.ts)
			w.Varint(e.pos)
			w.Bool(e.valid)
			w.Float(e.f)
			w.Varint(e.i)
			w.Bytes([]byte(e.enc))
		}
	}
	if s.model != nil {
		w.Bytes(s.model.AppendState(nil))
	}
}

// Restore implements state.Snapshotter.
func (o *Over) Restore(src []byte) error {
	if len(src) == 0 || src[0] != overVersion {
		return fmt.Errorf("OVER window: unknown state version")
	}
	o.reset()
	r := state.Reader{Buf: src[1:]}
	o.wm, o.late, o.seq = r.Varint(), r.Varint(), r.Varint()
	np := r.Uvarint()
	var rs overRestore
	for i := uint64(0); i < np && r.Err == nil; i++ {
		key := r.Bytes()
		ts, seq := r.Varint(), r.Varint()
		row := r.Bytes()
		if r.Err != nil {
			break
		}
		if err := o.restoreRow(&rs, key, ts, seq, row); err != nil {
			return err
		}
	}
	nk := r.Uvarint()
	for i := uint64(0); i < nk && r.Err == nil; i++ {
		p := o.part(r.Bytes())
		p.started = true
		for j := range p.fns {
			if err := p.fns[j].read(&r); err != nil {
				return err
			}
		}
	}
	if r.Err != nil {
		return r.Err
	}
	o.restoreDone(&rs)
	return nil
}

func (s *overFn) read(r *state.Reader) error {
	s.pos, s.n, s.sumI = r.Varint(), r.Varint(), r.Varint()
	s.sumF, s.mean, s.m2 = r.Float(), r.Float(), r.Float()
	for _, q := range []*[]frameEntry{&s.q, &s.dq} {
		n := r.Uvarint()
		*q = nil
		for i := uint64(0); i < n && r.Err == nil; i++ {
			e := frameEntry{ts: r.Varint(), pos: r.Varint(), valid: r.Bool(), f: r.Float(), i: r.Varint()}
			e.enc = string(r.Bytes())
			*q = append(*q, e)
		}
	}
	s.head = 0
	if s.model != nil {
		if err := s.model.RestoreState(r.Bytes()); err != nil {
			return err
		}
	}
	return r.Err
}
