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

const jobMetaVersion = 1

// encodeMeta writes the job's offsets, watermark state and counters.
func (j *job) encodeMeta() []byte {
	w := state.Writer{Buf: []byte{jobMetaVersion}}
	parts := make([]int32, 0, len(j.offsets))
	for p := range j.offsets {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(a, b int) bool { return parts[a] < parts[b] })
	w.Uvarint(uint64(len(parts)))
	for _, p := range parts {
		w.Varint(int64(p))
		w.Varint(j.offsets[p])
	}
	if j.tracker != nil {
		pw := j.tracker.PartitionWatermarks()
		w.Varint(j.tracker.Current())
		w.Uvarint(uint64(len(pw)))
		for p, wm := range pw {
			w.Varint(int64(p))
			w.Varint(wm)
		}
	} else if r := j.restored; r != nil {
		w.Varint(r.current)
		w.Uvarint(uint64(len(r.parts)))
		for p, wm := range r.parts {
			w.Varint(int64(p))
			w.Varint(wm)
		}
	} else {
		w.Varint(j.stats.watermark.Load())
		w.Uvarint(0)
	}
	w.Varint(j.stats.records.Load())
	w.Varint(j.stats.bytes.Load())
	w.Varint(j.stats.rows.Load())
	w.Varint(j.stats.malformed.Load())
	return w.Buf
}

// restoreMeta is encodeMeta's inverse.
func (j *job) restoreMeta(b []byte) error {
	if len(b) == 0 || b[0] != jobMetaVersion {
		return fmt.Errorf("view %s: unknown job state version", j.view.Name)
	}
	r := state.Reader{Buf: b[1:]}
	n := r.Uvarint()
	for i := uint64(0); i < n && r.Err == nil; i++ {
		p := int32(r.Varint())
		off := r.Varint()
		j.offsets[p] = off
		j.stats.setOffset(p, off, -1)
	}
	ts := &trackerState{parts: map[int32]int64{}, current: r.Varint()}
	n = r.Uvarint()
	for i := uint64(0); i < n && r.Err == nil; i++ {
		p := int32(r.Varint())
		ts.parts[p] = r.Varint()
	}
	j.restored = ts
	j.stats.watermark.Store(ts.current)
	j.stats.records.Store(r.Varint())
	j.stats.bytes.Store(r.Varint())
	j.stats.rows.Store(r.Varint())
	j.stats.malformed.Store(r.Varint())
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
	for i, op := range j.pipe.Ops {
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
	if len(j.deadLetters) > 0 {
		topic := j.source.Source.Options["topic"]
		for _, r := range j.deadLetters {
			b.batch.Put(durable.DeadLetterKey(j.source.ID, r.Partition, r.Offset), encodeDeadLetter(r, topic, j.now().UnixMicro()))
		}
		j.deadLetters = j.deadLetters[:0]
	}
	if j.late != nil {
		for _, lr := range j.late.pending {
			b.batch.Put(durable.LateKey(id, lr.partition, lr.offset), lr.value)
		}
		j.late.pending = j.late.pending[:0]
	}
	b.offsets = j.offsets.Clone()
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
	for i, op := range j.pipe.Ops {
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
	var late int64
	for _, w := range j.pipe.Windows {
		late += w.Late()
	}
	for _, a := range j.pipe.Aggs {
		late += a.Late()
	}
	j.stats.late.Store(late)
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
