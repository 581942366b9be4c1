package ops

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions/vec"
)

// Record chunks. An incremental checkpoint writes the pending rows of
// the records kept since the previous one as Arrow IPC streams ("r" +
// 8-byte chunk number: the chunk's largest time as a varint, then a
// stream of record batches): each batch is a kept record's pending rows
// (the record itself when all its rows are pending) with their arrival
// numbers as an extra int64 column. Writing one costs a copy of the
// columns' buffers, not an encoding per row, and the columns are smaller
// than rowcodec rows with their keys and lengths. Restoring keeps the
// decoded batches as the window's records. Row chunks ("c", rowcodec)
// are still written by full checkpoints and read back.

// ckptArrow returns the schema of the record chunks' batches.
func (o *Over) ckptArrow() *arrow.Schema {
	if o.ckptSchema == nil {
		fields := append(append([]arrow.Field{}, o.inArrow.Fields()...),
			arrow.Field{Name: "__over_seq", Type: arrow.PrimitiveTypes.Int64})
		o.ckptSchema = arrow.NewSchema(fields, nil)
	}
	return o.ckptSchema
}

// pendingRecord returns a kept record's rows that are still pending with
// their arrival numbers (a row's follows from its record's first and the
// rows Push took) and their largest time; ok is false when none is.
func (o *Over) pendingRecord(k *keptRec) (rec arrow.RecordBatch, maxTS int64, ok bool) {
	n := int(k.rec.NumRows())
	tcol := k.rec.Column(o.cfg.Time)
	tss := vec.Values[int64](tcol)
	idx, seqs := o.ckpt.idx[:0], make([]int64, 0, n)
	seq := k.seq0
	for i := 0; i < n; i++ {
		if !o.pendingAt(tcol, tss, i, k.wm0) {
			continue // late on arrival: never queued
		}
		if o.pendingAt(tcol, tss, i, o.wm) {
			if len(seqs) == 0 || tss[i] > maxTS {
				maxTS = tss[i]
			}
			idx = append(idx, int32(i))
			seqs = append(seqs, seq)
		}
		seq++
	}
	o.ckpt.idx = idx
	if len(idx) == 0 {
		return nil, 0, false
	}
	src := k.rec
	if len(idx) < n {
		src = batch.Take(k.rec, idx)
	}
	cols := append(append([]arrow.Array{}, src.Columns()...), vec.NewFixed(arrow.PrimitiveTypes.Int64, seqs, nil, 0))
	return array.NewRecordBatch(o.ckptArrow(), cols, int64(len(idx))), maxTS, true
}

// recordChunk is a record chunk to write: the pending rows of some kept
// records (with their arrival numbers), its number and its rows' largest
// time.
type recordChunk struct {
	id    uint64
	recs  []arrow.RecordBatch
	maxTS int64
}

// writeArrived writes the pending rows of the records kept since the
// last checkpoint as record chunks of about overChunkBytes. The records
// are picked and cut into chunks here, on the job's goroutine; through a
// state.RunSink the chunks are encoded later, as a run, on the
// checkpoint coordinator's goroutine. So the job stalls for the pick, not
// for the encoding (in workload 5 of tocsin bench, 400,000 rows a
// second, a checkpoint held the job 30-75 ms, its latency's p99), and
// the chunks, each written once and deleted a few seconds later, skip
// the WAL and the memtable. The run replaces the chunk numbers from its
// first to the next one: any stored there are stale, left by a run
// whose checkpoint did not commit, and RestoreEntries skips them (the
// metadata holds the next chunk number). The runs of successive
// checkpoints tile the numbers, so a stale chunk is replaced by the time
// a committed checkpoint counts its number; and since a run does not
// reach past its own chunks, its table can go to the bottom level beside
// the earlier ones instead of over them.
func (o *Over) writeArrived(s state.Sink) error {
	c := &o.ckpt
	var chunks []recordChunk
	var cur recordChunk
	size, limit := 0, overChunkBytes
	if o.chunkBytes > 0 {
		limit = o.chunkBytes
	}
	for id := c.from; id != o.bats.next(); id++ {
		k := o.bats.get(id)
		if k == nil || k.live == 0 {
			continue // released since
		}
		if k.restored {
			releaseChunks(append(chunks, cur))
			return fmt.Errorf("BUG: OVER restored rows after the checkpoint mark")
		}
		rec, maxTS, ok := o.pendingRecord(k)
		if !ok {
			continue
		}
		if len(cur.recs) == 0 {
			cur.maxTS = maxTS
		}
		cur.recs = append(cur.recs, rec)
		cur.maxTS = max(cur.maxTS, maxTS)
		if size += recordBytes(rec); size >= limit {
			chunks, cur, size = append(chunks, cur), recordChunk{}, 0
		}
	}
	if len(cur.recs) > 0 {
		chunks = append(chunks, cur)
	}
	c.from = o.bats.next()
	if len(chunks) == 0 {
		return nil
	}
	for i := range chunks {
		chunks[i].id = c.next
		c.stored = append(c.stored, storedChunk{id: c.next, maxTS: chunks[i].maxTS, kind: chunkRecords})
		c.next++
	}
	schema := o.ckptArrow()
	write := func(put func(key, value []byte) error) error {
		defer releaseChunks(chunks)
		for _, ch := range chunks {
			v, err := encodeRecordChunk(schema, ch)
			if err == nil {
				err = put(chunkKey(chunkRecords, ch.id), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if rs, ok := s.(state.RunSink); ok {
		rs.AppendRun(chunkKey(chunkRecords, chunks[0].id), chunkKey(chunkRecords, c.next), write)
		return nil
	}
	return write(func(key, value []byte) error {
		s.Put(key, value)
		return nil
	})
}

// encodeRecordChunk returns a record chunk's stored value: its largest
// time, then its batches as an Arrow IPC stream.
func encodeRecordChunk(schema *arrow.Schema, ch recordChunk) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(binary.AppendVarint(nil, ch.maxTS))
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	for _, rec := range ch.recs {
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("OVER window: write checkpoint chunk: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("OVER window: write checkpoint chunk: %w", err)
	}
	return buf.Bytes(), nil
}

func releaseChunks(chunks []recordChunk) {
	for _, ch := range chunks {
		for _, rec := range ch.recs {
			rec.Release()
		}
	}
}

// recordBytes estimates a record's size in a chunk: its columns' buffer
// bytes.
func recordBytes(rec arrow.RecordBatch) int {
	n := 0
	var add func(d arrow.ArrayData)
	add = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += b.Len()
			}
		}
		for _, c := range d.Children() {
			add(c)
		}
	}
	for _, col := range rec.Columns() {
		add(col.Data())
	}
	return n
}

// restoreRecords reads a record chunk's batches (after its largest
// time) into rs.
func (o *Over) restoreRecords(rs *overRestore, value []byte) error {
	rd, err := ipc.NewReader(bytes.NewReader(bytes.Clone(value)), ipc.WithSchema(o.ckptArrow()))
	if err != nil {
		return fmt.Errorf("OVER window: stored chunk: %w", err)
	}
	defer rd.Release()
	nIn := len(o.inArrow.Fields())
	for rd.Next() {
		rec := rd.RecordBatch()
		if int(rec.NumCols()) != nIn+1 {
			return fmt.Errorf("OVER window: stored chunk has %d columns, want %d", rec.NumCols(), nIn+1)
		}
		// The reader releases rec at Next: the new record retains the
		// input columns, and the arrival numbers are copied out.
		in := array.NewRecordBatch(o.inArrow, rec.Columns()[:nIn], rec.NumRows())
		seqs := append([]int64(nil), vec.Values[int64](rec.Column(nIn))...)
		rs.recs = append(rs.recs, restoredRec{rec: in, seqs: seqs})
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("OVER window: stored chunk: %w", err)
	}
	return nil
}

// restoredRec is a batch of a record chunk: the rows and their arrival
// numbers.
type restoredRec struct {
	rec  arrow.RecordBatch
	seqs []int64
}

// keepRestored queues the rows of the restored batches the watermark has
// not passed, keeping the batches as the window's records.
func (o *Over) keepRestored(recs []restoredRec) {
	for _, r := range recs {
		n := int(r.rec.NumRows())
		o.keyBufs = rowcodec.Rows(o.keyBufs, n)
		o.partEnc.Append(o.keyBufs, r.rec)
		tcol := r.rec.Column(o.cfg.Time)
		tss := vec.Values[int64](tcol)
		id, kept := o.bats.next(), 0
		for i := 0; i < n; i++ {
			if !o.pendingAt(tcol, tss, i, o.wm) {
				continue // released before the checkpoint
			}
			o.part(o.keyBufs[i]).pending.insert(pendingEntry{ts: tss[i], seq: r.seqs[i], ref: batch.RowRef{Rec: id, Row: uint32(i)}})
			kept++
		}
		if kept > 0 {
			o.bats.add(keptRec{rec: r.rec, live: kept, wm0: window.NoWatermark, restored: true})
		}
		r.rec.Release()
	}
}
