package view

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/types"
)

// An append-only store (NewViewStore for a view without a key) keeps its
// rows in arrival order in immutable chunks instead of a B-tree: a view
// without a key only ever appends rows (a retraction is a BUG) and
// drops the oldest ones (retention), so a row number is a position and
// the tree's ordered inserts buy nothing. Each Apply adds one chunk,
// one string holding its rows back to back in the stored format of
// row.go (key = 8-byte row number) and their end offsets: two
// allocations per chunk instead of one per row and a tree descent.
//
// Snapshots share the chunks (which never change once appended) and
// record the live range of row numbers, so Publish is O(1) and readers
// need no lock. Expiry advances the first live row number and drops
// chunks that are wholly expired.
//
// Checkpoints are incremental by construction: the rows appended since
// the previous checkpoint are written as pages, entry "p" + the page's
// first row number (8 bytes, big-endian), value the count and then each
// row's rest; pages whose rows have all expired are deleted; entry "m"
// holds the next row number, appendVersion and the first live row
// number (rows of the first page below it are skipped on restore). No
// stored page is ever rewritten. A checkpoint of versions 1 and 2 (one
// "r" entry per row) restores, and the next checkpoint replaces its
// entries with pages.
//
// Through a state.RunSink, the new pages are a run that replaces the
// page keys from the previous checkpoint's next row number to this one's,
// written after Checkpoint returns. A run can reach the disk without the
// metadata of its checkpoint (a crash before the batch commits), so a
// restore skips pages at or after the stored next row number, and the
// next run deletes them.

// appendVersion is the checkpoint version of an append-only store.
const appendVersion = 3

// Page limits: a page holds at most pageRows rows and is closed once it
// exceeds pageBytes.
const (
	pageRows  = 2048
	pageBytes = 64 << 10
)

// logChunk is an immutable run of rows with consecutive row numbers.
type logChunk struct {
	base uint64
	data string
	ends []uint32
}

func (c *logChunk) row(i int) string {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.data[start:c.ends[i]]
}

// appendLog is an append-only store's rows and checkpoint bookkeeping.
type appendLog struct {
	// chunks hold the rows, oldest first; the first may start with
	// expired rows (below lo).
	chunks []logChunk
	lo     uint64
	// saved is the row number below which every live row is in a stored
	// page; pages are the first row numbers of the stored pages, oldest
	// first (a page ends where the next begins, the last at saved).
	saved uint64
	pages []uint64
	// legacy are the row numbers of rows stored as version 1 or 2
	// entries, deleted by the next checkpoint.
	legacy []uint64
	sb     strings.Builder
	// sizes and pos are appendFlat's scratch.
	sizes, pos []int
}

// logSnap is a published view of an append log: the rows numbered
// lo..hi-1 of chunks.
type logSnap struct {
	chunks []logChunk
	lo, hi uint64
}

// each calls fn with the rows numbered lo..hi-1 in order until it
// returns false.
func (ls *logSnap) each(fn func(row string) bool) {
	for ci := range ls.chunks {
		c := &ls.chunks[ci]
		i := 0
		if c.base < ls.lo {
			i = int(ls.lo - c.base)
		}
		for ; i < len(c.ends); i++ {
			if c.base+uint64(i) >= ls.hi {
				return
			}
			if !fn(c.row(i)) {
				return
			}
		}
	}
}

// get returns the row with the given store key (an 8-byte row number).
func (ls *logSnap) get(key []byte) (string, bool) {
	if len(key) != 8 {
		return "", false
	}
	id := binary.BigEndian.Uint64(key)
	if id < ls.lo || id >= ls.hi {
		return "", false
	}
	ci := sort.Search(len(ls.chunks), func(i int) bool { return ls.chunks[i].base > id }) - 1
	if ci < 0 {
		return "", false
	}
	c := &ls.chunks[ci]
	if i := int(id - c.base); i < len(c.ends) {
		return c.row(i), true
	}
	return "", false
}

// NewViewStore returns the store for a view's rows: NewStore for a view
// with a key, and an append-only store for a view without one (rows in
// arrival order, see applog.go), which supports every method but
// DeleteKeys.
func NewViewStore(schema types.Schema, key []int, keyed bool) *Store {
	if keyed || len(key) > 0 {
		return NewStore(schema, key, keyed)
	}
	s := NewStore(schema, nil, false)
	s.log = &appendLog{}
	s.dirty = nil
	s.Publish()
	return s
}

// AppendOnly reports whether the store keeps its rows in an append log.
func (s *Store) AppendOnly() bool { return s.log != nil }

// current returns the writer's rows as a snapshot of the log.
func (s *Store) current() *logSnap {
	l := s.log
	return &logSnap{chunks: l.chunks[:len(l.chunks):len(l.chunks)], lo: l.lo, hi: s.nextID}
}

// appendRows appends the rows of c (all insertions) as one chunk.
func (s *Store) appendRows(c batch.Chunk) error {
	for _, sign := range c.Signs {
		if sign < 0 {
			return fmt.Errorf("BUG: retraction applied to a view without a key")
		}
	}
	if s.restEnc.Flat() {
		s.appendFlat(c.Rec)
		return nil
	}
	s.encode(c.Rec)
	s.appendEncoded(s.bufs)
	return nil
}

// appendFlat appends the rows of rec as a chunk encoded straight into
// its string (rowcodec's flat encoding): each row is its 8-byte row
// number, its rest and the end every row of the chunk shares (epoch and
// trailer), with no per-row buffer or copy.
func (s *Store) appendFlat(rec arrow.RecordBatch) {
	n := int(rec.NumRows())
	if n == 0 {
		return
	}
	end := appendEnd(nil, 8, s.epoch)
	sizes := s.log.sizes[:0]
	for range n {
		sizes = append(sizes, 8+len(end))
	}
	s.restEnc.Sizes(sizes, rec)
	pos := s.log.pos[:0]
	ends := make([]uint32, n)
	total := 0
	for i, size := range sizes {
		pos = append(pos, total+8)
		total += size
		ends[i] = uint32(total)
	}
	buf := make([]byte, total)
	for i, p := range pos {
		binary.BigEndian.PutUint64(buf[p-8:], s.nextID+uint64(i))
	}
	s.restEnc.Put(buf, pos, rec)
	for _, p := range pos {
		copy(buf[p:], end)
	}
	s.log.sizes, s.log.pos = sizes, pos
	// buf is not written again: the chunk's string shares it.
	s.log.chunks = append(s.log.chunks, logChunk{base: s.nextID, data: unsafe.String(&buf[0], len(buf)), ends: ends})
	s.nextID += uint64(n)
}

// appendEncoded appends stored rows numbered from s.nextID as a chunk.
func (s *Store) appendEncoded(rows [][]byte) {
	if len(rows) == 0 {
		return
	}
	total := 0
	for _, b := range rows {
		total += len(b)
	}
	sb := &s.log.sb
	sb.Reset()
	sb.Grow(total)
	ends := make([]uint32, len(rows))
	for i, b := range rows {
		sb.Write(b)
		ends[i] = uint32(sb.Len())
	}
	s.log.chunks = append(s.log.chunks, logChunk{base: s.nextID, data: sb.String(), ends: ends})
	sb.Reset()
	s.nextID += uint64(len(rows))
}

// appendDiff is ApplyDiff of an append-only store: every row is new.
func (s *Store) appendDiff(c batch.Chunk) (batch.Chunk, error) {
	if err := s.appendRows(c); err != nil || c.Len() == 0 {
		return batch.Chunk{}, err
	}
	idx := make([]int32, c.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	return batch.Chunk{Rec: batch.Take(c.Rec, idx)}, nil
}

// expireLog drops the oldest rows while retention says they are due.
func (s *Store) expireLog(threshold int64) (int, error) {
	l := s.log
	n := 0
	var err error
	s.current().each(func(row string) bool {
		var t int64
		var ok bool
		_, rest, _ := split(row)
		t, ok, err = s.restInt(rest, s.retention.Col)
		if err != nil || !ok || t+s.retention.Plus > threshold {
			return false
		}
		n++
		return true
	})
	l.lo += uint64(n)
	// Drop wholly expired chunks (without writing the elements, which
	// published snapshots may be reading).
	k := 0
	for k < len(l.chunks) && l.chunks[k].base+uint64(len(l.chunks[k].ends)) <= l.lo {
		k++
	}
	l.chunks = l.chunks[k:]
	return n, err
}

// pageKey returns the state key of the page starting at row id.
func pageKey(dst []byte, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append(dst[:0], 'p'), id)
}

// checkpointLog implements Checkpoint for an append-only store.
func (s *Store) checkpointLog(sink state.Sink, full bool) error {
	l := s.log
	if full {
		l.pages, l.saved, l.legacy = nil, l.lo, nil
	}
	key := make([]byte, 0, 9)
	for _, id := range l.legacy {
		key = binary.BigEndian.AppendUint64(append(key[:0], 'r'), id)
		sink.Delete(key)
	}
	legacy := l.legacy != nil
	if legacy {
		// The legacy rows are all live rows: write them all as pages.
		l.legacy, l.saved = nil, l.lo
	}
	for len(l.pages) > 0 {
		end := l.saved
		if len(l.pages) > 1 {
			end = l.pages[1]
		}
		if end > l.lo {
			break
		}
		sink.Delete(pageKey(key, l.pages[0]))
		l.pages = l.pages[1:]
	}
	from := max(l.saved, l.lo)
	snap := s.current()
	snap.lo = from
	if rs, ok := sink.(state.RunSink); ok && !full && !legacy {
		// The page boundaries now; the pages' bytes later, off this
		// goroutine, from the immutable chunks snap holds. The run
		// replaces the pages of the row numbers from saved to nextID:
		// any there are stale, left by a checkpoint that did not commit
		// (restoreLogEntries skips them). The runs of successive
		// checkpoints tile the keys, so a stale page is deleted by the
		// run of the checkpoint that first stores its row numbers as
		// committed; and since a run does not reach past its own rows,
		// Pebble puts its table at the bottom level, beside the earlier
		// ones, instead of over them (a range to the end of the pages
		// made each run overlap the one before and be compacted into
		// it). A run may have no pages: rows that expired before this
		// checkpoint still move saved.
		eachPage(snap, false, func(first uint64, _ []byte) { l.pages = append(l.pages, first) })
		if s.nextID > l.saved {
			rs.AppendRun(pageKey(nil, l.saved), pageKey(nil, s.nextID), func(put func(key, value []byte) error) error {
				var err error
				k := make([]byte, 0, 9)
				eachPage(snap, true, func(first uint64, value []byte) {
					if err == nil {
						err = put(pageKey(k, first), value)
					}
				})
				return err
			})
		}
	} else {
		eachPage(snap, true, func(first uint64, value []byte) {
			sink.Put(pageKey(key, first), value)
			l.pages = append(l.pages, first)
		})
	}
	var w state.Writer
	l.saved = s.nextID
	w.Buf = binary.AppendUvarint(w.Buf[:0], s.nextID)
	w.Buf = append(w.Buf, appendVersion)
	w.Uvarint(l.lo)
	sink.Put([]byte{'m'}, w.Buf)
	return nil
}

// eachPage cuts the rows of snap into pages of at most pageRows rows,
// each closed once its rows pass pageBytes, and calls fn with each
// page's first row number and, if build is set, its stored value (the
// row count, then each row's rest, length-prefixed), which is valid
// until fn returns. The cut depends only on the rows, so a call without
// build finds the same pages as one with it.
func eachPage(snap *logSnap, build bool, fn func(first uint64, value []byte)) {
	// Room for the count ahead of the rows, written once it is known.
	const head = binary.MaxVarintLen64
	var buf []byte
	if build {
		buf = make([]byte, head, head+pageBytes+4<<10)
	}
	first := snap.lo
	rows, size := 0, 0
	flush := func() {
		if rows == 0 {
			return
		}
		if !build {
			fn(first, nil)
		} else {
			var n [head]byte
			k := binary.PutUvarint(n[:], uint64(rows))
			copy(buf[head-k:], n[:k])
			fn(first, buf[head-k:])
			buf = buf[:head]
		}
		first += uint64(rows)
		rows, size = 0, 0
	}
	snap.each(func(row string) bool {
		_, rest, _ := split(row)
		if build {
			buf = binary.AppendUvarint(buf, uint64(len(rest)))
			buf = append(buf, rest...)
		}
		size += uvarintLen(len(rest)) + len(rest)
		rows++
		if rows >= pageRows || size >= pageBytes {
			flush()
		}
		return true
	})
	flush()
}

// uvarintLen is the length of x's uvarint encoding.
func uvarintLen(x int) int { return (bits.Len64(uint64(x)|1) + 6) / 7 }

// logRestorer rebuilds an append log from restored rows, renumbering
// them consecutively from the first one's number if they have gaps.
type logRestorer struct {
	s       *Store
	started bool
	bufs    [][]byte
	n       int
}

func (r *logRestorer) add(id uint64, rest []byte) {
	if !r.started {
		r.s.nextID, r.s.log.lo, r.started = id, id, true
	}
	if r.n == len(r.bufs) {
		r.bufs = append(r.bufs, nil)
	}
	b := binary.BigEndian.AppendUint64(r.bufs[r.n][:0], r.s.nextID+uint64(r.n))
	b = append(b, rest...)
	r.bufs[r.n] = appendEnd(b, 8, 0)
	r.n++
	if r.n == pageRows {
		r.flush()
	}
}

func (r *logRestorer) flush() {
	r.s.appendEncoded(r.bufs[:r.n])
	r.n = 0
}

// resetLog empties the log before a restore.
func (s *Store) resetLog() {
	s.log = &appendLog{}
	s.nextID = 0
}

// finishRestore completes a restore: next is the stored next row number.
func (s *Store) finishRestore(r *logRestorer, next uint64) {
	r.flush()
	if !r.started {
		s.log.lo = next
		s.nextID = next
	}
	s.nextID = max(s.nextID, next)
	s.log.saved = s.nextID
	s.Publish()
}

// restoreLogEntries implements RestoreEntries for an append-only store.
func (s *Store) restoreLogEntries(e state.Entries) error {
	s.resetLog()
	r := &logRestorer{s: s}
	var next, lo uint64
	sawMeta := false
	version := byte(1)
	var buf []byte
	err := e(func(key, value []byte) error {
		switch {
		case len(key) == 1 && key[0] == 'm':
			sawMeta = true
			rd := state.Reader{Buf: value}
			next = rd.Uvarint()
			if len(rd.Buf) > 0 {
				version = rd.Buf[0]
				rd.Buf = rd.Buf[1:]
				if version != 2 && version != appendVersion {
					return fmt.Errorf("view store: unknown checkpoint version %d", version)
				}
				if version == appendVersion {
					lo = rd.Uvarint()
				}
			}
			return rd.Err
		case len(key) == 9 && key[0] == 'p':
			first := binary.BigEndian.Uint64(key[1:])
			if !sawMeta || first >= next {
				// A page of a run that was ingested for a checkpoint that
				// did not commit (state.RunSink): the next run replaces it.
				return nil
			}
			if version != appendVersion {
				return fmt.Errorf("view store: page entry in a checkpoint of version %d", version)
			}
			s.log.pages = append(s.log.pages, first)
			rd := state.Reader{Buf: value}
			n := rd.Uvarint()
			for i := uint64(0); i < n && rd.Err == nil; i++ {
				rest := rd.Bytes()
				if rd.Err == nil && first+i >= lo && first+i < next {
					r.add(first+i, rest)
				}
			}
			return rd.Err
		case len(key) > 0 && key[0] == 'r':
			if version == appendVersion || len(key) != 9 {
				return fmt.Errorf("view store: unexpected state key %q", key)
			}
			id := binary.BigEndian.Uint64(key[1:])
			row, b, err := s.restoreRow(version, key[1:], value, buf)
			buf = b
			if err != nil {
				return err
			}
			_, rest, _ := split(row)
			r.add(id, []byte(rest))
			s.log.legacy = append(s.log.legacy, id)
			return nil
		}
		return fmt.Errorf("view store: unexpected state key %q", key)
	})
	if err != nil {
		return err
	}
	s.finishRestore(r, next)
	return nil
}

// restoreLog implements Restore (of Snapshot's bytes) for an
// append-only store; r reads the rows after the version byte.
func (s *Store) restoreLog(version byte, rd *state.Reader) error {
	s.resetLog()
	r := &logRestorer{s: s}
	next := rd.Uvarint()
	n := rd.Uvarint()
	var buf []byte
	for i := uint64(0); i < n && rd.Err == nil; i++ {
		k, v := rd.Bytes(), rd.Bytes()
		if rd.Err != nil {
			break
		}
		if len(k) != 8 {
			return fmt.Errorf("view store: row number of %d bytes", len(k))
		}
		row, b, err := s.restoreRow(version, k, v, buf)
		buf = b
		if err != nil {
			return err
		}
		_, rest, _ := split(row)
		r.add(binary.BigEndian.Uint64(k), []byte(rest))
	}
	if rd.Err != nil {
		return rd.Err
	}
	s.finishRestore(r, next)
	return nil
}
