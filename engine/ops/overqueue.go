package ops

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
)

// Pending rows of a streaming OVER window.
//
// The window keeps the input records that hold pending rows (overBatches,
// Retain'd, released once none of their rows is pending), and each
// partition keeps its pending rows in an overQueue: entries sorted by
// (time, arrival) naming a row of a kept record. Nothing is encoded or
// copied per row: a watermark gathers the rows it releases from the kept
// records column by column (batch.Gather). Rows of one partition mostly
// arrive in time order, so an insertion is an append; a late-ish row
// (older than the newest pending one) is placed by binary search. The
// partitions with pending rows sit in a min-heap (overHeap) keyed by
// their oldest pending time, so a watermark finds the partitions it
// releases rows of, and each one's released prefix, in
// O(released + touched partitions · log partitions), whatever the
// backlog.

// pendingEntry is one pending row: its time, arrival number and where
// it is (a kept record's number and the row in it).
type pendingEntry struct {
	ts, seq int64
	ref     batch.RowRef
}

// before orders pending rows by (time, arrival).
func (e *pendingEntry) before(ts, seq int64) bool {
	return e.ts < ts || (e.ts == ts && e.seq < seq)
}

// overQueue is one partition's pending rows; rows[head:] are live.
type overQueue struct {
	rows []pendingEntry
	head int
}

// len returns the number of pending rows.
func (q *overQueue) len() int { return len(q.rows) - q.head }

// first returns the oldest pending row (the queue must not be empty).
func (q *overQueue) first() *pendingEntry { return &q.rows[q.head] }

// insert adds a row; it reports whether the row became the queue's
// first (its oldest).
func (q *overQueue) insert(e pendingEntry) bool {
	n := len(q.rows)
	if n == q.head || q.rows[n-1].before(e.ts, e.seq) {
		q.rows = append(q.rows, e)
		return n == q.head
	}
	live := q.rows[q.head:]
	i := q.head + sort.Search(len(live), func(i int) bool { return !live[i].before(e.ts, e.seq) })
	q.rows = append(q.rows, pendingEntry{})
	copy(q.rows[i+1:], q.rows[i:])
	q.rows[i] = e
	return i == q.head
}

// ready returns how many of the oldest rows have time + plus <= wm.
func (q *overQueue) ready(wm, plus int64) int {
	live := q.rows[q.head:]
	k := 0
	for k < len(live) && live[k].ts+plus <= wm {
		k++
	}
	return k
}

// row returns the i-th oldest pending row.
func (q *overQueue) row(i int) *pendingEntry { return &q.rows[q.head+i] }

// drop removes the k oldest rows.
func (q *overQueue) drop(k int) {
	q.head += k
	if q.head == len(q.rows) {
		q.rows, q.head = q.rows[:0], 0
		return
	}
	if q.head >= 64 && q.head*2 >= len(q.rows) {
		q.rows = q.rows[:copy(q.rows, q.rows[q.head:])]
		q.head = 0
	}
}

// overBatches is the input records holding pending rows. Records are
// numbered in arrival order (the number wraps around at 2^32; far fewer
// are kept at once); the oldest records are released once none of their
// rows is pending.
type overBatches struct {
	recs []keptRec
	// base is the number of recs[0].
	base uint32
}

// keptRec is a kept input record. live counts its pending rows. seq0 and
// wm0 are the arrival number of its first pending row and the watermark
// when it arrived (window.NoWatermark for restored rows, whose arrival
// numbers are not consecutive), from which a checkpoint recovers each
// row's arrival number.
type keptRec struct {
	rec      arrow.RecordBatch
	live     int
	seq0     int64
	wm0      int64
	restored bool
}

// next returns the number the next added record gets.
func (b *overBatches) next() uint32 { return b.base + uint32(len(b.recs)) }

// add keeps k.rec (retained) and returns its number.
func (b *overBatches) add(k keptRec) uint32 {
	k.rec.Retain()
	b.recs = append(b.recs, k)
	return b.next() - 1
}

// index returns where record id is in recs (outside [0, len) once
// released).
func (b *overBatches) index(id uint32) int { return int(int32(id - b.base)) }

// get returns record id, nil once released.
func (b *overBatches) get(id uint32) *keptRec {
	i := b.index(id)
	if i < 0 || i >= len(b.recs) {
		return nil
	}
	return &b.recs[i]
}

// done notes that the given pending rows left, releasing records with
// no pending row left from the oldest on.
func (b *overBatches) done(rows []pendingEntry) {
	for i := range rows {
		b.recs[b.index(rows[i].ref.Rec)].live--
	}
	k := 0
	for k < len(b.recs) && b.recs[k].live == 0 {
		b.recs[k].rec.Release()
		b.recs[k] = keptRec{}
		k++
	}
	if k == 0 {
		return
	}
	b.base += uint32(k)
	if k*2 >= len(b.recs) {
		n := copy(b.recs, b.recs[k:])
		clear(b.recs[n:])
		b.recs = b.recs[:n]
		return
	}
	b.recs = b.recs[k:]
}

// reset releases every kept record.
func (b *overBatches) reset() {
	for _, k := range b.recs {
		if k.rec != nil {
			k.rec.Release()
		}
	}
	*b = overBatches{}
}

// overHeap is the partitions with pending rows, the one with the oldest
// first pending row on top. Items carry that row's (time, arrival), so
// comparisons do not chase pointers; each partition knows its index
// (heapIdx, -1 outside).
type overHeap []heapItem

type heapItem struct {
	ts, seq int64
	p       *overPart
}

func (h overHeap) less(i, j int) bool {
	return h[i].ts < h[j].ts || (h[i].ts == h[j].ts && h[i].seq < h[j].seq)
}

func (h overHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].p.heapIdx, h[j].p.heapIdx = i, j
}

func (h overHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

func (h overHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h.less(r, l) {
			c = r
		}
		if !h.less(c, i) {
			return
		}
		h.swap(i, c)
		i = c
	}
}

// update places p (whose first pending row changed) in the heap: added
// if absent, moved otherwise.
func (h *overHeap) update(p *overPart) {
	f := p.pending.first()
	if p.heapIdx < 0 {
		p.heapIdx = len(*h)
		*h = append(*h, heapItem{ts: f.ts, seq: f.seq, p: p})
		h.up(p.heapIdx)
		return
	}
	i := p.heapIdx
	(*h)[i].ts, (*h)[i].seq = f.ts, f.seq
	h.up(i)
	h.down(p.heapIdx)
}

// pop removes the top partition.
func (h *overHeap) pop() *overPart {
	old := *h
	n := len(old) - 1
	old.swap(0, n)
	p := old[n].p
	old[n] = heapItem{}
	*h = old[:n]
	h.down(0)
	p.heapIdx = -1
	return p
}

// init orders a heap built by appending, setting every heapIdx.
func (h overHeap) init() {
	for i := range h {
		h[i].p.heapIdx = i
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}
