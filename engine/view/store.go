package view

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tidwall/btree"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/types"
)

func less(a, b string) bool { return keyOf(a) < keyOf(b) }

// Store is a materialized view's contents.
type Store struct {
	schema types.Schema
	layout layout
	key    []int
	keyed  bool
	keyEnc *rowcodec.Encoder
	// restEnc encodes the columns stored after the key.
	restEnc *rowcodec.Encoder
	tree    *btree.BTreeG[string]
	snap    atomic.Pointer[Snapshot]
	nextID  uint64

	// epoch numbers the checkpoints; every row carries the epoch it was
	// written in.
	epoch uint32
	// dirty holds the keys changed since the last Checkpoint while they
	// are few. Its keys are the key parts of stored rows (no copy), and a
	// map assignment replaces the key string, so it pins no replaced
	// row. Once it would grow past dirtyLimit, dirtyAll is set instead:
	// the next checkpoint scans the tree for rows of the current epoch,
	// and deleted holds the keys deleted meanwhile (so that the set of
	// changes costs no memory per changed row).
	dirty    map[string]struct{}
	dirtyAll bool
	deleted  []string
	// retention, when set, expires rows by event time (see SetRetention).
	retention *Retention
	// log, when set, holds the rows of an append-only store instead of
	// tree (applog.go).
	log *appendLog

	bufs   [][]byte
	keyLen []int
	order  []change
	// ApplyDiff's scratch: the replaced rows it decodes into olds, and
	// the chunk rows it inserts.
	olds    *rowcodec.Columns
	diffOld []oldRow
	diffNew []int32
}

// Retention expires rows whose time has fallen too far behind the
// watermark. The time of a row is the value of key column KeyCol plus
// Plus (for a window_start key, Plus is the window size, so the time is
// the window's end); a row expires once time <= watermark - Keep.
// KeyCol must be the first key column, so expired rows form a prefix of
// the store. For a keyless (append-only) store, Col is a column of the
// row instead and rows are expired from the oldest insertion while they
// are due, so a row that arrived out of order may outlive Keep a little.
type Retention struct {
	Keep   int64
	KeyCol int
	Col    int
	Plus   int64
}

var _ state.Snapshotter = (*Store)(nil)

// NewStore returns an empty store for rows of schema. A keyed store
// identifies rows by the key columns: a +1 row replaces the row with its
// key, and with no key columns the store holds at most one row (a global
// aggregate). An unkeyed store appends every +1 row.
func NewStore(schema types.Schema, key []int, keyed bool) *Store {
	ts := make([]types.Type, len(schema))
	for i := range ts {
		ts[i] = schema[i].Type
	}
	keyed = keyed || len(key) > 0
	s := &Store{
		schema: schema, layout: newLayout(ts, key, keyed), key: key, keyed: keyed,
		keyEnc: rowcodec.NewEncoder(schema, key),
		tree:   btree.NewBTreeGOptions(less, btree.Options{NoLocks: true}),
		dirty:  map[string]struct{}{},
		epoch:  1,
	}
	s.restEnc = rowcodec.NewEncoder(schema, s.layout.restCols)
	s.Publish()
	return s
}

// SetRetention makes the store expire old rows as the watermark moves.
func (s *Store) SetRetention(r Retention) { s.retention = &r }

// encode encodes the rows of rec as stored rows (without the trailer)
// into s.bufs, the key's length of each in s.keyLen. A store without a
// key gets the next row numbers as keys.
func (s *Store) encode(rec arrow.RecordBatch) {
	n := int(rec.NumRows())
	s.bufs = rowcodec.Rows(s.bufs, n)
	s.keyLen = s.keyLen[:0]
	if s.keyed {
		s.keyEnc.Append(s.bufs, rec)
	} else {
		for i := range s.bufs {
			s.bufs[i] = binary.BigEndian.AppendUint64(s.bufs[i], s.nextID+uint64(i))
		}
	}
	for _, b := range s.bufs {
		s.keyLen = append(s.keyLen, len(b))
	}
	s.restEnc.Append(s.bufs, rec)
	for i, b := range s.bufs {
		s.bufs[i] = appendEnd(b, s.keyLen[i], s.epoch)
	}
}

// checkSigns rejects a retraction in a chunk for a store without a key.
func (s *Store) checkSigns(c batch.Chunk) error {
	if s.keyed || c.Signs == nil {
		return nil
	}
	for _, sign := range c.Signs {
		if sign < 0 {
			return fmt.Errorf("BUG: retraction applied to a view without a key")
		}
	}
	return nil
}

// Apply applies a chunk of changes: in a keyed store +1 rows are upserts
// and -1 rows delete the row with that key; in an unkeyed store every +1
// row is appended and -1 rows are an error. Changes become visible at the next
// Publish.
func (s *Store) Apply(c batch.Chunk) error {
	if s.log != nil {
		return s.appendRows(c)
	}
	n := c.Len()
	if err := s.checkSigns(c); err != nil {
		return err
	}
	s.encode(c.Rec)
	if !s.keyed || n < sortedApplyMin {
		for i := 0; i < n; i++ {
			if c.Signs != nil && c.Signs[i] < 0 {
				s.delete(probeBytes(s.bufs[i][:s.keyLen[i]]), nil)
				continue
			}
			s.set(string(s.bufs[i]), nil)
		}
		if !s.keyed {
			s.nextID += uint64(n)
		}
		return nil
	}
	// A larger chunk is applied in key order with a path hint: each
	// descent starts where the last one ended, so most compare a few
	// neighbours instead of a full binary search per level, and the
	// nodes visited stay in cache. The order of changes to one key is
	// kept (ties are broken by position).
	s.sortChanges(n)
	var hint btree.PathHint
	for _, e := range s.order {
		i := e.i
		if c.Signs != nil && c.Signs[i] < 0 {
			s.delete(probeBytes(s.bufs[i][:s.keyLen[i]]), &hint)
			continue
		}
		s.set(string(s.bufs[i]), &hint)
	}
	return nil
}

// change is one row of a chunk being applied in key order: its index
// and an abbreviation of its key (the 16 bytes after the prefix that
// every key of the chunk shares), so that most comparisons of the sort
// compare two integers.
type change struct {
	hi, lo uint64
	i      int32
}

// sortChanges fills s.order with the encoded rows 0..n-1 in key order,
// equal keys in position order.
func (s *Store) sortChanges(n int) {
	key := func(i int32) []byte { return s.bufs[i][:s.keyLen[i]] }
	first := key(0)
	common := len(first)
	for i := 1; i < n && common > 0; i++ {
		k := key(int32(i))
		if bytes.HasPrefix(k, first[:common]) {
			continue
		}
		j := 0
		for m := min(common, len(k)); j < m && k[j] == first[j]; j++ {
		}
		common = j
	}
	s.order = s.order[:0]
	for i := 0; i < n; i++ {
		var abbr [16]byte
		copy(abbr[:], key(int32(i))[common:])
		s.order = append(s.order, change{
			hi: binary.BigEndian.Uint64(abbr[:8]),
			lo: binary.BigEndian.Uint64(abbr[8:]),
			i:  int32(i),
		})
	}
	sortChangeList(s.order, func(a, b int32) bool {
		if c := bytes.Compare(key(a)[common:], key(b)[common:]); c != 0 {
			return c < 0
		}
		return a < b
	})
}

// sortChangeList sorts changes by abbreviation, calling tie (which must
// be a strict order of the indexes) only for equal abbreviations: a
// quicksort whose common comparisons are inline integer compares.
func sortChangeList(cs []change, tie func(a, b int32) bool) {
	less := func(a, b *change) bool {
		if a.hi != b.hi {
			return a.hi < b.hi
		}
		if a.lo != b.lo {
			return a.lo < b.lo
		}
		return tie(a.i, b.i)
	}
	for len(cs) > 12 {
		// Median of three to cs[0], then partition around it.
		m := len(cs) / 2
		l := len(cs) - 1
		if less(&cs[m], &cs[0]) {
			cs[m], cs[0] = cs[0], cs[m]
		}
		if less(&cs[l], &cs[m]) {
			cs[l], cs[m] = cs[m], cs[l]
			if less(&cs[m], &cs[0]) {
				cs[m], cs[0] = cs[0], cs[m]
			}
		}
		cs[0], cs[m] = cs[m], cs[0]
		p := cs[0]
		i, j := 1, l
		for {
			for i <= j && less(&cs[i], &p) {
				i++
			}
			for i <= j && less(&p, &cs[j]) {
				j--
			}
			if i >= j {
				break
			}
			cs[i], cs[j] = cs[j], cs[i]
			i++
			j--
		}
		cs[0], cs[j] = cs[j], cs[0]
		// Recurse into the smaller side, loop on the larger.
		if j < len(cs)-1-j {
			sortChangeList(cs[:j], tie)
			cs = cs[j+1:]
		} else {
			sortChangeList(cs[j+1:], tie)
			cs = cs[:j]
		}
	}
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && less(&cs[j], &cs[j-1]); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// sortedApplyMin is the chunk size from which Apply sorts the changes
// by key.
const sortedApplyMin = 16

func restOf(row string) string {
	_, rest, _ := split(row)
	return rest
}

// put inserts or replaces a row in the tree (hint, if not nil, is a
// path hint) and returns the row it replaced.
func (s *Store) put(row string, hint *btree.PathHint) (old string, replaced bool) {
	if hint != nil {
		return s.tree.SetHint(row, hint)
	}
	return s.tree.Set(row)
}

// set inserts or replaces a stored row (hint, if not nil, is a path
// hint for the tree).
func (s *Store) set(row string, hint *btree.PathHint) {
	s.put(row, hint)
	s.markDirty(keyOf(row))
}

// delete removes the row with the key of the given (probe) row and
// returns it.
func (s *Store) delete(row string, hint *btree.PathHint) (old string, ok bool) {
	if hint != nil {
		old, ok = s.tree.DeleteHint(row, hint)
	} else {
		old, ok = s.tree.Delete(row)
	}
	if !ok {
		return old, false
	}
	if s.dirtyAll {
		s.deleted = append(s.deleted, keyOf(old))
	} else {
		s.markDirty(keyOf(old))
	}
	return old, true
}

// dirtyMapMin is the number of changed keys a store always tracks in
// its dirty map; beyond it and an eighth of the rows, the next
// checkpoint scans the rows instead.
const dirtyMapMin = 4096

func (s *Store) markDirty(key string) {
	if s.dirtyAll {
		return
	}
	s.dirty[key] = struct{}{}
	if len(s.dirty) <= max(dirtyMapMin, s.tree.Len()/8) {
		return
	}
	for k := range s.dirty {
		if _, ok := s.tree.Get(probe(k)); !ok {
			s.deleted = append(s.deleted, k)
		}
	}
	s.dirty, s.dirtyAll = nil, true
}

// resetDirty starts a new checkpoint epoch.
func (s *Store) resetDirty() {
	s.epoch++
	if s.dirty == nil || len(s.dirty) > dirtyMapMin {
		// A map keeps its peak size after clear; start a new one.
		s.dirty = map[string]struct{}{}
	} else {
		clear(s.dirty)
	}
	s.dirtyAll, s.deleted = false, nil
}

// Expire deletes the rows that retention says are due at watermark wm,
// and returns how many it deleted.
func (s *Store) Expire(wm int64) (int, error) {
	r := s.retention
	if r == nil || wm == math.MinInt64 {
		return 0, nil
	}
	threshold := wm - r.Keep
	if s.log != nil {
		return s.expireLog(threshold)
	}
	var due []string
	var err error
	s.tree.Scan(func(row string) bool {
		var t int64
		var ok bool
		key, rest, _ := split(row)
		if s.keyed {
			t, ok, err = firstInt(key)
		} else {
			t, ok, err = s.restInt(rest, r.Col)
		}
		if err != nil || !ok || t+r.Plus > threshold {
			return false
		}
		due = append(due, row)
		return true
	})
	// The due rows are in key order: each deletion starts from the last.
	var hint btree.PathHint
	for _, row := range due {
		s.delete(row, &hint)
	}
	return len(due), err
}

// firstInt decodes the first value of an encoding as an integer; ok is
// false for NULL.
func firstInt(enc string) (int64, bool, error) {
	ds, _, err := rowcodec.DecodeDatums([]byte(enc[:min(len(enc), 9)]), []types.Type{types.Int64Type})
	if err != nil || ds[0].Null {
		return 0, false, err
	}
	return ds[0].I, true, nil
}

// restInt decodes column col of a row's rest as an integer (a store
// without a key, whose rest holds every column).
func (s *Store) restInt(rest string, col int) (int64, bool, error) {
	ds, _, err := rowcodec.DecodeDatums([]byte(rest), s.layout.types[:col+1])
	if err != nil || ds[col].Null {
		return 0, false, err
	}
	return ds[col].I, true, nil
}

// Publish makes the changes applied so far visible to readers.
func (s *Store) Publish() {
	if s.log != nil {
		s.snap.Store(&Snapshot{log: s.current(), layout: &s.layout, schema: s.schema})
		return
	}
	s.snap.Store(&Snapshot{tree: s.tree.Copy(), layout: &s.layout, schema: s.schema})
}

// Read returns the latest published contents.
func (s *Store) Read() *Snapshot { return s.snap.Load() }

// Len returns the number of rows (including unpublished changes).
func (s *Store) Len() int {
	if s.log != nil {
		return int(s.nextID - s.log.lo)
	}
	return s.tree.Len()
}

// eachRow calls fn with the writer's current rows in key order until it
// returns false.
func (s *Store) eachRow(fn func(row string) bool) {
	if s.log != nil {
		s.current().each(fn)
		return
	}
	s.tree.Scan(fn)
}

// Snapshot is an immutable view of a store's rows, safe for concurrent
// readers.
type Snapshot struct {
	// Exactly one of tree and log is set.
	tree   *btree.BTreeG[string]
	log    *logSnap
	layout *layout
	schema types.Schema
}

// Len returns the number of rows.
func (sn *Snapshot) Len() int {
	if sn.log != nil {
		return int(sn.log.hi - sn.log.lo)
	}
	return sn.tree.Len()
}

// Scan calls fn with the rows in key order, in record batches of at most
// batchSize rows. fn must not retain the batch after returning unless it
// retains it.
func (sn *Snapshot) Scan(batchSize int, fn func(arrow.RecordBatch) error) error {
	return scanRows(sn.Rows, sn.layout, sn.schema, batchSize, false, func(_ []string, rec arrow.RecordBatch) error {
		return fn(rec)
	})
}

// scanRows decodes the rows each yields into record batches of at most
// batchSize rows and calls fn with each (and, with withKeys, the rows'
// store keys).
func scanRows(each func(func(string) bool), l *layout, schema types.Schema, batchSize int, withKeys bool,
	fn func(keys []string, rec arrow.RecordBatch) error) error {
	cols := rowcodec.NewColumns(l.types)
	as := schema.Arrow()
	var keys []string
	var err error
	flush := func() {
		if cols.Len() == 0 || err != nil {
			return
		}
		n := cols.Len()
		err = fn(keys, array.NewRecordBatch(as, cols.Arrays(), int64(n)))
		keys = nil
	}
	each(func(row string) bool {
		if err = l.decode(cols, row); err != nil {
			return false
		}
		if withKeys {
			keys = append(keys, keyOf(row))
		}
		if cols.Len() >= batchSize {
			flush()
		}
		return err == nil
	})
	flush()
	return err
}

// storeVersion is the version of Snapshot's bytes and of the checkpoint
// metadata. Version 1 stored every column of a row after its key;
// version 2 stores the key and the other columns (see row.go). Both
// restore.
const storeVersion = 2

// Snapshot implements state.Snapshotter: every row, in key order.
func (s *Store) Snapshot(dst []byte) ([]byte, error) {
	w := state.Writer{Buf: append(dst, storeVersion)}
	w.Uvarint(s.nextID)
	w.Uvarint(uint64(s.Len()))
	s.eachRow(func(row string) bool {
		key, rest, _ := split(row)
		w.Bytes([]byte(key))
		w.Bytes([]byte(rest))
		return true
	})
	return w.Buf, nil
}

// restoreRow returns the stored row for a key and a value read back
// from a snapshot or checkpoint of the given version.
func (s *Store) restoreRow(version byte, key, value []byte, buf []byte) (string, []byte, error) {
	rest := string(value)
	if version == 1 {
		var err error
		if rest, err = s.layout.restOfFullRow(value); err != nil {
			return "", buf, err
		}
	}
	row, buf := makeRow(buf, string(key), rest, 0)
	return row, buf, nil
}

// Restore implements state.Snapshotter.
func (s *Store) Restore(src []byte) error {
	if len(src) == 0 || (src[0] != 1 && src[0] != storeVersion) {
		return fmt.Errorf("view store: unknown snapshot version")
	}
	version := src[0]
	r := state.Reader{Buf: src[1:]}
	if s.log != nil {
		return s.restoreLog(version, &r)
	}
	s.nextID = r.Uvarint()
	n := r.Uvarint()
	tree := btree.NewBTreeGOptions(less, btree.Options{NoLocks: true})
	var buf []byte
	for i := uint64(0); i < n && r.Err == nil; i++ {
		k, v := r.Bytes(), r.Bytes()
		if r.Err != nil {
			break
		}
		var row string
		var err error
		if row, buf, err = s.restoreRow(version, k, v, buf); err != nil {
			return err
		}
		tree.Set(row)
	}
	if r.Err != nil {
		return r.Err
	}
	s.tree = tree
	s.resetDirty()
	s.Publish()
	return nil
}

// A store's checkpointed state is one entry per row, key "r" + the row
// key and value the rest of the row, and one entry "m" with the next row
// number and the version (absent in version 1, whose values were whole
// rows).

var _ state.Checkpointer = (*Store)(nil)

// Checkpoint implements state.Checkpointer: the rows changed since the
// previous checkpoint.
func (s *Store) Checkpoint(sink state.Sink, full bool) error {
	if s.log != nil {
		return s.checkpointLog(sink, full)
	}
	key := []byte{'r'}
	var buf []byte
	put := func(row string) {
		k, rest, _ := split(row)
		key = append(key[:1], k...)
		buf = append(buf[:0], rest...)
		sink.Put(key, buf)
	}
	switch {
	case full:
		s.tree.Scan(func(row string) bool {
			put(row)
			return true
		})
	case s.dirtyAll:
		for _, k := range s.deleted {
			if _, ok := s.tree.Get(probe(k)); !ok {
				sink.Delete(append(key[:1], k...))
			}
		}
		s.tree.Scan(func(row string) bool {
			if _, _, epoch := split(row); epoch == s.epoch {
				put(row)
			}
			return true
		})
	default:
		for k := range s.dirty {
			if row, ok := s.tree.Get(probe(k)); ok {
				put(row)
			} else {
				sink.Delete(append(key[:1], k...))
			}
		}
	}
	s.resetDirty()
	var w state.Writer
	w.Uvarint(s.nextID)
	w.Buf = append(w.Buf, storeVersion)
	sink.Put([]byte{'m'}, w.Buf)
	return nil
}

// RestoreEntries implements state.Checkpointer.
func (s *Store) RestoreEntries(e state.Entries) error {
	if s.log != nil {
		return s.restoreLogEntries(e)
	}
	tree := btree.NewBTreeGOptions(less, btree.Options{NoLocks: true})
	var next uint64
	// The metadata sorts before the rows; without it the rows are of
	// version 1.
	version := byte(1)
	var buf []byte
	err := e(func(key, value []byte) error {
		switch {
		case len(key) == 1 && key[0] == 'm':
			r := state.Reader{Buf: value}
			next = r.Uvarint()
			if len(r.Buf) > 0 {
				version = r.Buf[0]
				if version != storeVersion {
					return fmt.Errorf("view store: unknown checkpoint version %d", version)
				}
			}
			return r.Err
		case len(key) > 0 && key[0] == 'r':
			row, b, err := s.restoreRow(version, key[1:], value, buf)
			buf = b
			if err != nil {
				return err
			}
			tree.Set(row)
			return nil
		}
		return fmt.Errorf("view store: unexpected state key %q", key)
	})
	if err != nil {
		return err
	}
	s.tree, s.nextID = tree, next
	s.resetDirty()
	s.Publish()
	return nil
}
