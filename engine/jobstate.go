package engine

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/types"
)

const jobMetaVersion = 2

// encodeMeta writes the job's position: per input its offsets, watermark
// state and counters; for a view reading a view, its own counters.
func (j *job) encodeMeta() []byte {
	w := state.Writer{Buf: []byte{jobMetaVersion}}
	w.Varint(j.stats.watermark.Load())
	w.Varint(j.stats.records.Load())
	w.Varint(j.stats.rows.Load())
	w.Uvarint(uint64(len(j.inputs)))
	for _, in := range j.inputs {
		parts := make([]int32, 0, len(in.offsets))
		for p := range in.offsets {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(a, b int) bool { return parts[a] < parts[b] })
		w.Uvarint(uint64(len(parts)))
		for _, p := range parts {
			w.Varint(int64(p))
			w.Varint(in.offsets[p])
		}
		var current int64
		var pw map[int32]int64
		switch {
		case in.tracker != nil:
			current, pw = in.tracker.Current(), in.tracker.PartitionWatermarks()
		case in.restored != nil:
			current, pw = in.restored.current, in.restored.parts
		default:
			current = noWatermark
		}
		w.Varint(current)
		w.Uvarint(uint64(len(pw)))
		for p, wm := range pw {
			w.Varint(int64(p))
			w.Varint(wm)
		}
		w.Varint(in.stats.records.Load())
		w.Varint(in.stats.bytes.Load())
		w.Varint(in.stats.rows.Load())
		w.Varint(in.stats.malformed.Load())
	}
	return w.Buf
}

// restoreMeta is encodeMeta's inverse.
func (j *job) restoreMeta(b []byte) error {
	if len(b) == 0 || b[0] != jobMetaVersion {
		return fmt.Errorf("view %s: unknown job state version", j.view.Name)
	}
	r := state.Reader{Buf: b[1:]}
	j.stats.watermark.Store(r.Varint())
	j.stats.records.Store(r.Varint())
	j.stats.rows.Store(r.Varint())
	n := int(r.Uvarint())
	if r.Err == nil && n != len(j.inputs) {
		return fmt.Errorf("view %s: checkpoint has %d inputs, the view %d", j.view.Name, n, len(j.inputs))
	}
	for _, in := range j.inputs {
		np := r.Uvarint()
		for i := uint64(0); i < np && r.Err == nil; i++ {
			p := int32(r.Varint())
			off := r.Varint()
			in.offsets[p] = off
			in.stats.setOffset(p, off, -1)
		}
		ts := &trackerState{parts: map[int32]int64{}, current: r.Varint()}
		np = r.Uvarint()
		for i := uint64(0); i < np && r.Err == nil; i++ {
			p := int32(r.Varint())
			ts.parts[p] = r.Varint()
		}
		in.restored, in.wm = ts, ts.current
		in.stats.watermark.Store(ts.current)
		in.stats.records.Store(r.Varint())
		in.stats.bytes.Store(r.Varint())
		in.stats.rows.Store(r.Varint())
		in.stats.malformed.Store(r.Varint())
	}
	return r.Err
}

// checkpoint writes the job's changes since the last checkpoint into the
// barrier's batch. It runs on the job's goroutine between two batches, so
// the offsets, the operators' states and the view's rows agree.
func (j *job) checkpoint(b *barrier) error {
	id := j.view.ID
	if b.full {
		b.batch.DeletePrefix(durable.ObjectPrefix(id))
	}
	b.batch.Put(durable.JobKey(id), j.encodeMeta())
	for i, op := range j.states() {
		prefix := durable.OperatorPrefix(id, i)
		if cp, ok := op.(state.Checkpointer); ok {
			if err := cp.Checkpoint(b.batch.Sink(prefix), b.full); err != nil {
				return fmt.Errorf("view %s: checkpoint operator %d: %w", j.view.Name, i, err)
			}
			continue
		}
		blob, err := op.Snapshot(nil)
		if err != nil {
			return fmt.Errorf("view %s: snapshot operator %d: %w", j.view.Name, i, err)
		}
		if len(blob) > 0 {
			b.batch.Put(prefix, blob)
		}
	}
	if err := j.store.Checkpoint(b.batch.Sink(durable.StorePrefix(id)), b.full); err != nil {
		return err
	}
	if j.sink != nil {
		blob, err := j.sink.snapshot()
		if err != nil {
			return err
		}
		b.batch.Put(durable.SinkKey(id), blob)
	}
	for _, in := range j.inputs {
		if len(in.deadLetters) == 0 {
			continue
		}
		topic := in.obj.Source.Options["topic"]
		for _, r := range in.deadLetters {
			b.batch.Put(durable.DeadLetterKey(in.obj.ID, r.Partition, r.Offset), encodeDeadLetter(r, topic, j.now().UnixMicro()))
		}
		in.deadLetters = in.deadLetters[:0]
	}
	if j.late != nil {
		for _, lr := range j.late.pending {
			b.batch.Put(durable.LateKey(id, lr.partition, lr.offset), lr.value)
		}
		j.late.pending = j.late.pending[:0]
	}
	b.offsets = make([]connectors.Offsets, len(j.inputs))
	for i, in := range j.inputs {
		b.offsets[i] = in.offsets.Clone()
	}
	return nil
}

// restore loads the job's last checkpointed state (if any).
func (j *job) restore(db *durable.DB) error {
	id := j.view.ID
	meta, ok, err := db.Get(durable.JobKey(id))
	if err != nil || !ok {
		return err
	}
	if err := j.restoreMeta(meta); err != nil {
		return err
	}
	j.restoredState = true
	for i, op := range j.states() {
		prefix := durable.OperatorPrefix(id, i)
		if cp, ok := op.(state.Checkpointer); ok {
			if err := cp.RestoreEntries(db.Entries(prefix)); err != nil {
				return fmt.Errorf("view %s: restore operator %d: %w", j.view.Name, i, err)
			}
			continue
		}
		blob, ok, err := db.Get(prefix)
		if err != nil {
			return err
		}
		if ok {
			if err := op.Restore(blob); err != nil {
				return fmt.Errorf("view %s: restore operator %d: %w", j.view.Name, i, err)
			}
		}
	}
	if err := j.store.RestoreEntries(db.Entries(durable.StorePrefix(id))); err != nil {
		return err
	}
	if j.sink != nil {
		blob, ok, err := db.Get(durable.SinkKey(id))
		if err != nil {
			return err
		}
		if ok {
			if err := j.sink.restore(blob); err != nil {
				return err
			}
		}
	}
	j.setLate()
	return nil
}

const deadLetterVersion = 1

func encodeDeadLetter(r connectors.Reject, topic string, seenAt int64) []byte {
	w := state.Writer{Buf: []byte{deadLetterVersion}}
	w.Bytes([]byte(topic))
	w.Uvarint(uint64(r.Class))
	w.Bytes([]byte(r.Err))
	w.Bytes(r.Raw)
	w.Bool(r.Truncated)
	w.Varint(seenAt)
	return w.Buf
}

// deadLetter is a decoded dead-letter entry.
type deadLetter struct {
	topic     string
	class     connectors.ErrorClass
	err       string
	raw       []byte
	truncated bool
	seenAt    int64
}

func decodeDeadLetter(b []byte) (deadLetter, error) {
	if len(b) == 0 || b[0] != deadLetterVersion {
		return deadLetter{}, state.ErrCorrupt
	}
	r := state.Reader{Buf: b[1:]}
	d := deadLetter{topic: string(r.Bytes()), class: connectors.ErrorClass(r.Uvarint())}
	d.err = string(r.Bytes())
	d.raw = append([]byte(nil), r.Bytes()...)
	d.truncated = r.Bool()
	d.seenAt = r.Varint()
	return d, r.Err
}

// lateRows collects the late rows a view keeps (late_rows = 'keep'),
// to be written with the next checkpoint, keyed by source position.
type lateRows struct {
	schema  types.Schema
	enc     *rowcodec.Encoder
	wm      func() int64
	pending []lateRow
	bufs    [][]byte
}

type lateRow struct {
	partition int32
	offset    int64
	value     []byte
}

func newLateRows(schema types.Schema, wm func() int64) *lateRows {
	all := make([]int, len(schema))
	for i := range all {
		all[i] = i
	}
	return &lateRows{schema: schema, enc: rowcodec.NewEncoder(schema, all), wm: wm}
}

// sink is the WindowAssign LateSink.
func (l *lateRows) sink(c batch.Chunk, rows []int32) error {
	if c.Origin == nil {
		return fmt.Errorf("BUG: late rows without their source position")
	}
	var rec arrow.RecordBatch = batch.Take(c.Rec, rows)
	n := len(rows)
	if cap(l.bufs) < n {
		l.bufs = make([][]byte, n)
	}
	bufs := l.bufs[:n]
	wm := l.wm()
	for i := range bufs {
		var w state.Writer
		w.Varint(wm)
		bufs[i] = w.Buf
	}
	l.enc.Append(bufs, rec)
	for i, r := range rows {
		l.pending = append(l.pending, lateRow{partition: c.Origin.Partition, offset: c.Origin.Offsets[r], value: bufs[i]})
	}
	return nil
}
