package view

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
)

// seqChunk returns n rows k=<prefix><i>, n=i for i from..from+n-1.
func seqChunk(prefix string, from, n int) batch.Chunk {
	ks := make([]string, n)
	ns := make([]int64, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("%s%d", prefix, from+i)
		ns[i] = int64(from + i)
	}
	return chunk(ks, ns, nil)
}

// seqContents is contents for rows of seqChunk numbered from..to-1.
func seqContents(prefix string, from, to int) string {
	var sb strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&sb, "%s%d=%d ", prefix, i, i)
	}
	return sb.String()
}

func TestAppendStoreMatchesTreeStore(t *testing.T) {
	tree, log := NewStore(schema, nil, false), NewViewStore(schema, nil, false)
	if !log.AppendOnly() || tree.AppendOnly() || NewViewStore(schema, []int{0}, true).AppendOnly() {
		t.Fatal("NewViewStore: append-only only without a key")
	}
	for _, s := range []*Store{tree, log} {
		for i, n := range []int{3, 0, 1, 40} {
			if err := s.Apply(seqChunk("x", i*100, n)); err != nil {
				t.Fatal(err)
			}
		}
		s.Publish()
	}
	want := contents(t, tree.Read())
	if got := contents(t, log.Read()); got != want || log.Len() != 44 || log.Read().Len() != 44 {
		t.Fatalf("append store %q (%d rows), tree store %q", got, log.Len(), want)
	}
	// Keys are row numbers in both.
	var treeKeys, logKeys []string
	tree.Read().Rows(func(row string) bool { treeKeys = append(treeKeys, keyOf(row)); return true })
	log.Read().Rows(func(row string) bool { logKeys = append(logKeys, keyOf(row)); return true })
	if fmt.Sprint(treeKeys) != fmt.Sprint(logKeys) {
		t.Fatalf("keys differ:\n%q\n%q", logKeys, treeKeys)
	}
	for _, k := range logKeys {
		want, _ := tree.Read().Get(k)
		got, ok := log.Read().GetBytes([]byte(k))
		if !ok || got != want || !log.Has(k) {
			t.Fatalf("get %q: %q %v, want %q", k, got, ok, want)
		}
	}
	if _, ok := log.Read().Get(string(binary.BigEndian.AppendUint64(nil, 44))); ok || log.Has("x") {
		t.Fatal("found a row that does not exist")
	}
	var scanned []string
	err := log.ScanCurrent(7, func(keys []string, rec arrow.RecordBatch) error {
		if len(keys) != int(rec.NumRows()) {
			t.Fatalf("%d keys for %d rows", len(keys), rec.NumRows())
		}
		scanned = append(scanned, keys...)
		return nil
	})
	if err != nil || fmt.Sprint(scanned) != fmt.Sprint(logKeys) {
		t.Fatalf("ScanCurrent: %v %q", err, scanned)
	}
	if err := log.Apply(chunk([]string{"x"}, []int64{1}, []int8{-1})); err == nil {
		t.Fatal("retraction on an append-only store accepted")
	}
	d, err := log.ApplyDiff(seqChunk("y", 0, 2))
	if err != nil || d.Len() != 2 || d.Signs != nil || log.Len() != 46 {
		t.Fatalf("ApplyDiff: %v, %d rows", err, d.Len())
	}
}

func TestAppendStoreSnapshotIsolationAndExpiry(t *testing.T) {
	s := NewViewStore(schema, nil, false)
	s.SetRetention(Retention{Keep: 10, Col: 1})
	_ = s.Apply(seqChunk("a", 0, 5))
	_ = s.Apply(seqChunk("a", 5, 5))
	s.Publish()
	before := s.Read()
	_ = s.Apply(seqChunk("a", 10, 5))
	if got := contents(t, s.Read()); got != seqContents("a", 0, 10) {
		t.Fatalf("unpublished rows visible: %q", got)
	}
	// Rows with n + 0 <= 17 - 10 expire: 0..7, a chunk and a part.
	n, err := s.Expire(17)
	if err != nil || n != 8 || s.Len() != 7 {
		t.Fatalf("expired %d (%v), %d left", n, err, s.Len())
	}
	s.Publish()
	if got := contents(t, before); got != seqContents("a", 0, 10) {
		t.Fatalf("old snapshot changed: %q", got)
	}
	if got := contents(t, s.Read()); got != seqContents("a", 8, 15) {
		t.Fatalf("after expiry: %q", got)
	}
	if _, ok := s.Read().Get(string(binary.BigEndian.AppendUint64(nil, 7))); ok {
		t.Fatal("expired row found")
	}
	if n, _ := s.Expire(17); n != 0 {
		t.Fatalf("expired %d twice", n)
	}
	if n, _ := s.Expire(100); n != 7 || s.Len() != 0 || len(s.log.chunks) != 0 {
		t.Fatalf("expired %d of 7, %d chunks left", n, len(s.log.chunks))
	}
}

// checkpointer applies a store's checkpoints to a map standing for the
// stored state and counts what each wrote.
type checkpointer struct {
	t      *testing.T
	stored map[string][]byte
	puts   int
	dels   int
}

func (c *checkpointer) run(s *Store, full bool) {
	if full {
		clear(c.stored)
	}
	sink := state.NewMapSink()
	if err := s.Checkpoint(sink, full); err != nil {
		c.t.Fatal(err)
	}
	c.puts, c.dels = len(sink.Puts), len(sink.Deletes)
	sink.Apply(c.stored)
}

func (c *checkpointer) restore(s *Store) {
	if err := s.RestoreEntries(state.MapEntries(c.stored)); err != nil {
		c.t.Fatal(err)
	}
}

func TestAppendStoreCheckpoints(t *testing.T) {
	s := NewViewStore(schema, nil, false)
	s.SetRetention(Retention{Keep: 0, Col: 1})
	c := &checkpointer{t: t, stored: map[string][]byte{}}
	_ = s.Apply(seqChunk("a", 0, pageRows+10))
	c.run(s, false)
	if c.puts != 3 || c.dels != 0 { // two pages and the metadata
		t.Fatalf("first checkpoint: %d puts, %d deletes", c.puts, c.dels)
	}
	stored := map[string]string{}
	for k, v := range c.stored {
		stored[k] = string(v)
	}
	_ = s.Apply(seqChunk("a", pageRows+10, 5))
	c.run(s, false)
	if c.puts != 2 || c.dels != 0 {
		t.Fatalf("second checkpoint: %d puts, %d deletes", c.puts, c.dels)
	}
	for k, v := range stored {
		if k != "m" && string(c.stored[k]) != v {
			t.Fatalf("page %q rewritten", k)
		}
	}
	c.run(s, false)
	if c.puts != 1 || c.dels != 0 {
		t.Fatalf("idle checkpoint: %d puts, %d deletes", c.puts, c.dels)
	}
	// Expire the first page and a part of the second.
	if n, _ := s.Expire(pageRows + 3); n != pageRows+4 {
		t.Fatalf("expired %d", n)
	}
	c.run(s, false)
	if c.puts != 1 || c.dels != 1 {
		t.Fatalf("checkpoint after expiry: %d puts, %d deletes", c.puts, c.dels)
	}
	s.Publish()
	want := seqContents("a", pageRows+4, pageRows+15)
	if got := contents(t, s.Read()); got != want {
		t.Fatalf("live: %q", got)
	}
	r := NewViewStore(schema, nil, false)
	c.restore(r)
	if got := contents(t, r.Read()); got != want || r.Len() != 11 {
		t.Fatalf("restored %q (%d rows), want %q", got, r.Len(), want)
	}
	// The restored store goes on numbering and checkpointing where the
	// live one stopped.
	r.SetRetention(Retention{Keep: 0, Col: 1})
	_ = r.Apply(seqChunk("a", pageRows+15, 3))
	c.run(r, false)
	if c.puts != 2 || c.dels != 0 {
		t.Fatalf("checkpoint after restore: %d puts, %d deletes", c.puts, c.dels)
	}
	if n, _ := r.Expire(pageRows + 14); n != 11 {
		t.Fatalf("expired %d after restore", n)
	}
	c.run(r, false)
	if c.dels != 2 {
		t.Fatalf("pages deleted after restore: %d", c.dels)
	}
	r2 := NewViewStore(schema, nil, false)
	c.restore(r2)
	r.Publish()
	if got, want := contents(t, r2.Read()), contents(t, r.Read()); got != want || want != seqContents("a", pageRows+15, pageRows+18) {
		t.Fatalf("second restore %q, want %q", got, want)
	}
	// A full checkpoint writes every live row again.
	c.run(r2, true)
	r3 := NewViewStore(schema, nil, false)
	c.restore(r3)
	if got := contents(t, r3.Read()); got != seqContents("a", pageRows+15, pageRows+18) || len(c.stored) != 2 {
		t.Fatalf("after full checkpoint: %q, %d entries", got, len(c.stored))
	}
	// A tree store refuses the new version.
	if err := NewStore(schema, nil, false).RestoreEntries(state.MapEntries(c.stored)); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("tree store restored an append-only checkpoint: %v", err)
	}
}

// TestAppendStoreRestoresRowEntries: a checkpoint written by the tree
// store (one "r" entry per row, versions 1 and 2) restores, and the next
// checkpoint replaces its entries with pages.
func TestAppendStoreRestoresRowEntries(t *testing.T) {
	tree := NewStore(schema, nil, false)
	tree.SetRetention(Retention{Keep: 0, Col: 1})
	c := &checkpointer{t: t, stored: map[string][]byte{}}
	_ = tree.Apply(seqChunk("a", 0, 10))
	_, _ = tree.Expire(2)
	c.run(tree, false)
	tree.Publish()
	want := contents(t, tree.Read())
	s := NewViewStore(schema, nil, false)
	c.restore(s)
	if got := contents(t, s.Read()); got != want || want != seqContents("a", 3, 10) {
		t.Fatalf("restored %q, want %q", got, want)
	}
	_ = s.Apply(seqChunk("a", 10, 2))
	c.run(s, false)
	if c.dels != 7 {
		t.Fatalf("row entries deleted: %d", c.dels)
	}
	for k := range c.stored {
		if k[0] == 'r' {
			t.Fatalf("row entry %q left", k)
		}
	}
	r := NewViewStore(schema, nil, false)
	c.restore(r)
	if got := contents(t, r.Read()); got != seqContents("a", 3, 12) {
		t.Fatalf("restored after migration: %q", got)
	}
	// Version 1: no metadata, whole rows (the same bytes for a store
	// without a key).
	v1 := map[string][]byte{}
	tree.Read().Rows(func(row string) bool {
		k, rest, _ := split(row)
		v1["r"+k] = []byte(rest)
		return true
	})
	s1 := NewViewStore(schema, nil, false)
	if err := s1.RestoreEntries(state.MapEntries(v1)); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, s1.Read()); got != want {
		t.Fatalf("version 1: %q", got)
	}
}

func TestAppendStoreSnapshotBytes(t *testing.T) {
	tree, log := NewStore(schema, nil, false), NewViewStore(schema, nil, false)
	for _, s := range []*Store{tree, log} {
		_ = s.Apply(seqChunk("a", 0, 5))
		_ = s.Apply(seqChunk("a", 5, 3))
	}
	tb, err := tree.Snapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := log.Snapshot(nil)
	if err != nil || string(lb) != string(tb) {
		t.Fatalf("snapshots differ (%v)", err)
	}
	r := NewViewStore(schema, nil, false)
	if err := r.Restore(tb); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, r.Read()); got != seqContents("a", 0, 8) {
		t.Fatalf("restored %q", got)
	}
	_ = r.Apply(seqChunk("a", 8, 1))
	rb, _ := r.Snapshot(nil)
	_ = tree.Apply(seqChunk("a", 8, 1))
	tb, _ = tree.Snapshot(nil)
	if string(rb) != string(tb) {
		t.Fatal("row numbering differs after restore")
	}
	if err := r.Restore([]byte{9}); err == nil {
		t.Fatal("unknown version restored")
	}
}

// TestAppendStoreConcurrentReaders runs readers against a writer that
// appends and expires, under -race: each snapshot holds a run of
// consecutive numbers.
func TestAppendStoreConcurrentReaders(t *testing.T) {
	s := NewViewStore(schema, nil, false)
	s.SetRetention(Retention{Keep: 50, Col: 1})
	stop := startReaders(t, s, 16, func(vals []int64) bool {
		for i := 1; i < len(vals); i++ {
			if vals[i] != vals[i-1]+1 {
				return false
			}
		}
		return true
	})
	for i := 0; i < 300; i++ {
		_ = s.Apply(seqChunk("a", i*3, 3))
		if _, err := s.Expire(int64(i * 3)); err != nil {
			t.Error(err)
		}
		s.Publish()
	}
	stop()
}

// FuzzAppendStoreRestoreEntries restores arbitrary page and metadata
// values: an error or a store, never a panic.
func FuzzAppendStoreRestoreEntries(f *testing.F) {
	s := NewViewStore(schema, nil, false)
	_ = s.Apply(seqChunk("a", 0, 3))
	sink := state.NewMapSink()
	_ = s.Checkpoint(sink, false)
	page := sink.Puts[string(pageKey(nil, 0))]
	f.Add(sink.Puts["m"], page)
	f.Add([]byte{3, 3, 1}, []byte{2, 1})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, meta, page []byte) {
		r := NewViewStore(schema, nil, false)
		entries := map[string][]byte{"m": meta, string(pageKey(nil, 0)): page, string(pageKey(nil, 2)): page}
		if err := r.RestoreEntries(state.MapEntries(entries)); err != nil {
			return
		}
		_ = r.Read().Scan(4, func(arrow.RecordBatch) error { return nil })
	})
}
