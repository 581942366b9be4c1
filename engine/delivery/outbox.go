package delivery

import (
	"fmt"
	"sort"
	"sync"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

// outboxVersion is the first byte of an outbox snapshot.
const outboxVersion = 1

// Entry is one notification in the outbox with its sequence number.
type Entry struct {
	Seq uint64
	N   *connectors.Notification
}

// Outbox holds the notifications handed to the dispatcher and not yet
// finished (delivered, or given up), in the order they were added. It is
// safe for concurrent use. Sequence numbers start at 1, increase by one
// per Add and survive Snapshot/Restore, so a restored entry keeps its
// number.
type Outbox struct {
	mu sync.Mutex
	// entries is ordered by Seq; finished entries have N == nil until
	// compaction. head is the index of the first entry that may be live.
	entries []Entry
	head    int
	live    int
	next    uint64
	// scratch is Snapshot's reused encoding buffer.
	scratch []byte
}

var _ state.Snapshotter = (*Outbox)(nil)

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox {
	return &Outbox{next: 1}
}

// Add appends n and returns its sequence number. The outbox keeps the
// pointer: n must not be modified afterwards.
func (o *Outbox) Add(n *connectors.Notification) uint64 {
	if n == nil {
		panic("BUG: delivery: Outbox.Add of a nil notification")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	seq := o.next
	o.next++
	o.entries = append(o.entries, Entry{Seq: seq, N: n})
	o.live++
	return seq
}

// Done removes the entry seq: it was delivered or given up. Unknown or
// already finished sequence numbers are ignored.
func (o *Outbox) Done(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	live := o.entries[o.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].Seq >= seq })
	if i == len(live) || live[i].Seq != seq || live[i].N == nil {
		return
	}
	live[i].N = nil
	o.live--
	for o.head < len(o.entries) && o.entries[o.head].N == nil {
		o.head++
	}
	o.compact()
}

// compact drops finished entries once they are at least half of the
// slice, so Done costs amortized O(log n) and memory follows Len.
func (o *Outbox) compact() {
	if o.live == 0 {
		clear(o.entries)
		o.entries = o.entries[:0]
		o.head = 0
		return
	}
	if dead := len(o.entries) - o.live; dead < 64 || dead < len(o.entries)/2 {
		return
	}
	kept := o.entries[:0]
	for _, e := range o.entries[o.head:] {
		if e.N != nil {
			kept = append(kept, e)
		}
	}
	clear(o.entries[len(kept):])
	o.entries = kept
	o.head = 0
}

// Pending returns the unfinished entries in sequence order. The slice is
// the caller's; the notifications are shared.
func (o *Outbox) Pending() []Entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Entry, 0, o.live)
	for _, e := range o.entries[o.head:] {
		if e.N != nil {
			out = append(out, e)
		}
	}
	return out
}

// Len returns the number of unfinished entries.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.live
}

// Snapshot appends the pending entries (every field of every
// notification, see EncodeNotification) and the next sequence number to
// dst, for a checkpoint.
//
// Layout: version byte; uvarint next sequence number; uvarint count; per
// entry a uvarint Seq and the length-prefixed EncodeNotification bytes.
func (o *Outbox) Snapshot(dst []byte) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := state.Writer{Buf: append(dst, outboxVersion)}
	w.Uvarint(o.next)
	w.Uvarint(uint64(o.live))
	for _, e := range o.entries[o.head:] {
		if e.N == nil {
			continue
		}
		w.Uvarint(e.Seq)
		o.scratch = EncodeNotification(o.scratch[:0], e.N)
		w.Bytes(o.scratch)
	}
	return w.Buf, nil
}

// Restore replaces the contents with the snapshot in src. On error the
// outbox is unchanged. Call it before the dispatcher starts; entries
// already queued in a dispatcher are not affected.
func (o *Outbox) Restore(src []byte) error {
	if len(src) == 0 || src[0] != outboxVersion {
		return fmt.Errorf("delivery: restore outbox: bad version: %w", state.ErrCorrupt)
	}
	r := state.Reader{Buf: src[1:]}
	next := r.Uvarint()
	count := getCount(&r)
	if r.Err != nil {
		return fmt.Errorf("delivery: restore outbox: %w", r.Err)
	}
	if next == 0 {
		return fmt.Errorf("delivery: restore outbox: zero next sequence: %w", state.ErrCorrupt)
	}
	entries := make([]Entry, 0, count)
	var prev uint64
	for range count {
		seq := r.Uvarint()
		b := r.Bytes()
		if r.Err != nil {
			return fmt.Errorf("delivery: restore outbox: %w", r.Err)
		}
		if seq <= prev || seq >= next {
			return fmt.Errorf("delivery: restore outbox: sequence %d out of order: %w", seq, state.ErrCorrupt)
		}
		prev = seq
		n, err := DecodeNotification(b)
		if err != nil {
			return fmt.Errorf("delivery: restore outbox: entry %d: %w", seq, err)
		}
		entries = append(entries, Entry{Seq: seq, N: n})
	}
	if len(r.Buf) != 0 {
		return fmt.Errorf("delivery: restore outbox: %d trailing bytes: %w", len(r.Buf), state.ErrCorrupt)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.entries = entries
	o.head = 0
	o.live = len(entries)
	o.next = next
	return nil
}
