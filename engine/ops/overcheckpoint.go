package ops

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/engine/window"
)

// Incremental checkpoints of a streaming OVER window.
//
// The pending rows are most of an OVER window's state (every row of the
// last watermark delay: a million rows at 200,000 events/s and 5 s), and
// most of them are still pending at the next checkpoint, so writing
// them all each time (the single-blob Snapshot) costs far more than the
// rows themselves. Instead the rows go to an append-only log of chunks:
//
//   - "r" + 8-byte big-endian chunk number: the rows that arrived during
//     one checkpoint interval and are still pending, as Arrow record
//     batches (overipc.go), split every overChunkBytes, after the chunk's
//     largest time. A chunk is written once and deleted once the
//     watermark has passed its largest time.
//   - "c" + chunk number: the same rows in rowcodec, each with its
//     partition key, time, arrival number and encoding; written by full
//     checkpoints (all pending rows, partition by partition).
//   - "s" + partition key: the function states of a partition, put after
//     each interval in which it released rows.
//   - "m": the version, watermark, late count, next arrival number and
//     next chunk number (chunks at or past it are stale, see
//     writeArrived).
//
// A stored row is pending exactly when its time is not final under the
// stored watermark (a row arrives only while its time is not final, and
// leaves the moment the watermark makes it final), so released rows
// need no deletes: restoring skips the rows the watermark has passed.
// A checkpoint writes the records kept since the previous one (their
// pending rows), so it costs one chunk per overChunkBytes of them (a run
// through a state.RunSink, see writeArrived) plus the changed partition
// states.
//
// A stored state of the older single-blob format (Snapshot, under the
// empty key) still restores; the next checkpoint replaces it.

var _ state.Checkpointer = (*Over)(nil)

// overChunkBytes is the size at which a chunk of arrived rows is sealed.
const overChunkBytes = 1 << 20

// overCkpt tracks what changed since the last checkpoint. Tracking
// starts with the first Checkpoint (or RestoreEntries), so an OVER
// window that is never checkpointed keeps nothing here.
type overCkpt struct {
	tracking bool
	// legacy is set after restoring a single-blob state: the next
	// checkpoint deletes it and writes everything.
	legacy bool
	// from is the number of the first kept record not written yet.
	from uint32
	// idx is pendingRecord's scratch.
	idx []int32
	// stored are the written chunks, oldest first.
	stored []storedChunk
	next   uint64
	// dirty is the partitions that released rows since the last
	// checkpoint.
	dirty []*overPart
}

// overChunk is a row chunk being written: its rows' encoding and their
// largest time.
type overChunk struct {
	rows  []byte
	maxTS int64
	n     int
}

type storedChunk struct {
	id    uint64
	maxTS int64
	kind  byte
}

// The kinds of stored chunk (the first byte of its key).
const (
	chunkRows    = 'c'
	chunkRecords = 'r'
)

func chunkKey(kind byte, id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{kind}, id)
}

func (ch *overChunk) add(key []byte, ts, seq int64, row []byte) {
	if ch.n == 0 {
		ch.maxTS = ts
		// Room for the largest time, written in front when stored.
		ch.rows = make([]byte, binary.MaxVarintLen64, overChunkBytes+4<<10)
	}
	ch.maxTS = max(ch.maxTS, ts)
	ch.n++
	w := state.Writer{Buf: ch.rows}
	w.Bytes(key)
	w.Varint(ts)
	w.Varint(seq)
	w.Bytes(row)
	ch.rows = w.Buf
}

// noteRelease records that p releases rows.
func (c *overCkpt) noteRelease(p *overPart) {
	if c.tracking && !p.dirty {
		p.dirty = true
		c.dirty = append(c.dirty, p)
	}
}

// Checkpoint implements state.Checkpointer.
func (o *Over) Checkpoint(s state.Sink, full bool) error {
	c := &o.ckpt
	var w state.Writer
	putState := func(p *overPart) {
		w.Buf = w.Buf[:0]
		for _, f := range p.fns {
			f.write(&w)
		}
		s.Put(append([]byte{'s'}, p.key...), w.Buf)
	}
	if full || !c.tracking || c.legacy {
		// Everything pending goes into fresh chunks; what was stored is
		// gone (full), never written (first checkpoint), or the legacy
		// blob, deleted here.
		if c.legacy {
			s.Delete(nil)
		}
		for _, ch := range c.stored {
			s.Delete(chunkKey(ch.kind, ch.id))
		}
		c.stored = c.stored[:0]
		// Row chunks, since restored records have no consecutive
		// arrival numbers for record chunks (every queued row is pending).
		var ch overChunk
		putRows := func() {
			if ch.n == 0 {
				return
			}
			var tmp [binary.MaxVarintLen64]byte
			m := binary.PutVarint(tmp[:], ch.maxTS)
			v := ch.rows[binary.MaxVarintLen64-m:]
			copy(v, tmp[:m])
			s.Put(chunkKey(chunkRows, c.next), v)
			c.stored = append(c.stored, storedChunk{id: c.next, maxTS: ch.maxTS, kind: chunkRows})
			c.next++
			ch = overChunk{}
		}
		enc := o.rowEncodings()
		for _, p := range o.parts {
			q := &p.pending
			for i := range q.len() {
				e := q.row(i)
				ch.add([]byte(p.key), e.ts, e.seq, enc(e.ref))
				if len(ch.rows) >= overChunkBytes {
					putRows()
				}
			}
			if p.started {
				putState(p)
			}
		}
		putRows()
		c.from = o.bats.next()
	} else {
		if err := o.writeArrived(s); err != nil {
			return err
		}
		for _, p := range c.dirty {
			putState(p)
		}
		// Chunks whose rows are all released are no longer needed.
		kept := c.stored[:0]
		for _, ch := range c.stored {
			if ch.maxTS+o.cfg.Plus <= o.wm {
				s.Delete(chunkKey(ch.kind, ch.id))
				continue
			}
			kept = append(kept, ch)
		}
		c.stored = kept
	}
	for _, p := range c.dirty {
		p.dirty = false
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	c.tracking, c.legacy = true, false
	s.Put([]byte{'m'}, o.meta())
	return nil
}

func (o *Over) meta() []byte {
	w := state.Writer{Buf: []byte{overVersion}}
	w.Varint(o.wm)
	w.Varint(o.late)
	w.Varint(o.seq)
	w.Varint(int64(o.ckpt.next))
	return w.Buf
}

// RestoreEntries implements state.Checkpointer.
func (o *Over) RestoreEntries(e state.Entries) error {
	o.reset()
	legacy := false
	metaNext := int64(-1)
	var stored []storedChunk
	var next uint64
	var rs overRestore
	err := e(func(key, value []byte) error {
		switch {
		case len(key) == 0:
			legacy = true
			return o.Restore(value)
		case len(key) == 1 && key[0] == 'm':
			if len(value) == 0 || value[0] != overVersion {
				return fmt.Errorf("OVER window: unknown state version")
			}
			r := state.Reader{Buf: value[1:]}
			o.wm, o.late, o.seq = r.Varint(), r.Varint(), r.Varint()
			if len(r.Buf) > 0 {
				// Absent before record chunks went to runs.
				metaNext = r.Varint()
			}
			return r.Err
		case len(key) == 9 && key[0] == chunkRecords:
			// The metadata sorts before the record chunks.
			id := binary.BigEndian.Uint64(key[1:])
			if metaNext >= 0 && id >= uint64(metaNext) {
				// A chunk of a run ingested for a checkpoint that did
				// not commit: the next runs replace it.
				return nil
			}
			r := state.Reader{Buf: value}
			stored = append(stored, storedChunk{id: id, maxTS: r.Varint(), kind: chunkRecords})
			next = max(next, id+1)
			if r.Err != nil {
				return r.Err
			}
			return o.restoreRecords(&rs, r.Buf)
		case len(key) == 9 && key[0] == chunkRows:
			id := binary.BigEndian.Uint64(key[1:])
			r := state.Reader{Buf: value}
			stored = append(stored, storedChunk{id: id, maxTS: r.Varint(), kind: chunkRows})
			next = max(next, id+1)
			for len(r.Buf) > 0 && r.Err == nil {
				key := r.Bytes()
				ts, seq := r.Varint(), r.Varint()
				row := r.Bytes()
				if r.Err == nil {
					if err := o.restoreRow(&rs, key, ts, seq, row); err != nil {
						return err
					}
				}
			}
			return r.Err
		case len(key) >= 1 && key[0] == 's':
			p := o.part(key[1:])
			p.started = true
			r := state.Reader{Buf: value}
			for j := range p.fns {
				if err := p.fns[j].read(&r); err != nil {
					return err
				}
			}
			return r.Err
		}
		return fmt.Errorf("OVER window: unexpected state key %q", key)
	})
	if err != nil {
		return err
	}
	if !legacy {
		o.restoreDone(&rs)
	}
	if metaNext >= 0 {
		next = uint64(metaNext)
	}
	o.ckpt = overCkpt{tracking: true, legacy: legacy, stored: stored, next: next, from: o.bats.next()}
	return nil
}

// rowEncodings returns a function giving a kept row's rowcodec
// encoding; each record it is asked about is encoded whole, once.
func (o *Over) rowEncodings() func(batch.RowRef) []byte {
	encs := map[uint32][][]byte{}
	return func(ref batch.RowRef) []byte {
		rows, ok := encs[ref.Rec]
		if !ok {
			rec := o.bats.get(ref.Rec).rec
			rows = make([][]byte, rec.NumRows())
			o.rowEnc.Append(rows, rec)
			encs[ref.Rec] = rows
		}
		return rows[ref.Row]
	}
}

// overRestore collects the pending rows of a stored state: decoded into
// one record, kept once the watermark is known (restoreDone).
type overRestore struct {
	dec  *rowcodec.Columns
	rows []restoredRow
	// recs are the batches of record chunks.
	recs []restoredRec
}

type restoredRow struct {
	p       *overPart
	ts, seq int64
}

// restoreRow adds a stored pending row.
func (o *Over) restoreRow(rs *overRestore, key []byte, ts, seq int64, row []byte) error {
	if rs.dec == nil {
		rs.dec = rowcodec.NewColumns(o.inTypes)
	}
	if _, err := rs.dec.DecodeRow(row); err != nil {
		return fmt.Errorf("OVER window: stored row: %w", err)
	}
	rs.rows = append(rs.rows, restoredRow{p: o.part(key), ts: ts, seq: seq})
	return nil
}

// restoreDone queues the restored rows the watermark has not passed (the
// others were released before the checkpoint) and builds the heap.
func (o *Over) restoreDone(rs *overRestore) {
	if len(rs.rows) > 0 {
		rec := array.NewRecordBatch(o.inArrow, rs.dec.Arrays(), int64(len(rs.rows)))
		id, kept := o.bats.next(), 0
		for i, r := range rs.rows {
			if o.wm != window.NoWatermark && r.ts+o.cfg.Plus <= o.wm {
				continue
			}
			r.p.pending.insert(pendingEntry{ts: r.ts, seq: r.seq, ref: batch.RowRef{Rec: id, Row: uint32(i)}})
			kept++
		}
		if kept > 0 {
			o.bats.add(keptRec{rec: rec, live: kept, wm0: window.NoWatermark, restored: true})
		}
		rec.Release()
	}
	o.keepRestored(rs.recs)
	o.initReady()
}

// reset empties the operator.
func (o *Over) reset() {
	o.bats.reset()
	o.parts, o.ready, o.wm, o.late, o.seq = map[string]*overPart{}, nil, window.NoWatermark, 0, 0
	o.ckpt = overCkpt{}
}

// initReady builds the heap of partitions with pending rows.
func (o *Over) initReady() {
	o.ready = o.ready[:0]
	for _, p := range o.parts {
		if p.pending.len() > 0 {
			f := p.pending.first()
			o.ready = append(o.ready, heapItem{ts: f.ts, seq: f.seq, p: p})
		}
	}
	o.ready.init()
}
