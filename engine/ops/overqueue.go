package ops

import "sort"

// Pending rows of a streaming OVER window.
//
// Each partition keeps the rows the watermark has not made final yet in
// an overQueue: entries sorted by (time, arrival) pointing into a byte
// arena that holds the rows' rowcodec encodings. Rows of one partition
// mostly arrive in time order, so an insertion is an append; a late-ish
// row (older than the newest pending one) is placed by binary search.
// The partitions with pending rows sit in a min-heap (overHeap) keyed by
// their oldest pending time, so a watermark finds the partitions it
// releases rows of, and each one's released prefix, in
// O(released + touched partitions · log partitions), whatever the
// backlog. Released prefixes leave dead bytes at the front of the
// arena; the arena is rebuilt (live rows only) when they outweigh the
// live ones, into a buffer of twice the live bytes, so memory stays
// within about twice the pending rows and each row is copied about once
// more.

// pendingEntry is one pending row: its time, arrival number and the
// span of its encoding in the partition's arena.
type pendingEntry struct {
	ts, seq  int64
	off, end int
}

// before orders pending rows by (time, arrival).
func (e *pendingEntry) before(ts, seq int64) bool {
	return e.ts < ts || (e.ts == ts && e.seq < seq)
}

// overQueue is one partition's pending rows; rows[head:] are live.
type overQueue struct {
	rows  []pendingEntry
	head  int
	arena []byte
	// dead is the arena bytes of released rows.
	dead int
}

// minArenaCompact is the dead bytes below which the arena is not
// rebuilt (small partitions are rebuilt only when they empty).
const minArenaCompact = 4 << 10

// len returns the number of pending rows.
func (q *overQueue) len() int { return len(q.rows) - q.head }

// first returns the oldest pending row (the queue must not be empty).
func (q *overQueue) first() *pendingEntry { return &q.rows[q.head] }

// insert adds a row's encoding; it reports whether the row became the
// queue's first (its oldest).
func (q *overQueue) insert(ts, seq int64, row []byte) bool {
	e := pendingEntry{ts: ts, seq: seq, off: len(q.arena)}
	q.arena = append(q.arena, row...)
	e.end = len(q.arena)
	n := len(q.rows)
	if n == q.head || q.rows[n-1].before(ts, seq) {
		q.rows = append(q.rows, e)
		return n == q.head
	}
	live := q.rows[q.head:]
	i := q.head + sort.Search(len(live), func(i int) bool { return !live[i].before(ts, seq) })
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

// row returns the encoding of the i-th oldest pending row.
func (q *overQueue) row(i int) []byte {
	e := &q.rows[q.head+i]
	return q.arena[e.off:e.end]
}

// drop removes the k oldest rows, reclaiming space when that pays.
func (q *overQueue) drop(k int) {
	for _, e := range q.rows[q.head : q.head+k] {
		q.dead += e.end - e.off
	}
	q.head += k
	if q.head == len(q.rows) {
		q.rows, q.head, q.arena, q.dead = q.rows[:0], 0, q.arena[:0], 0
		return
	}
	if q.dead >= minArenaCompact && q.dead*2 >= len(q.arena) {
		live := q.rows[q.head:]
		// Twice the live bytes: the rows arriving until the next rebuild
		// (about as many as are released meanwhile) fit without growth.
		arena := make([]byte, 0, 2*(len(q.arena)-q.dead))
		for i := range live {
			e := &live[i]
			off := len(arena)
			arena = append(arena, q.arena[e.off:e.end]...)
			e.off, e.end = off, len(arena)
		}
		q.arena, q.dead = arena, 0
	}
	if q.head >= 64 && q.head*2 >= len(q.rows) {
		q.rows = q.rows[:copy(q.rows, q.rows[q.head:])]
		q.head = 0
	}
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
