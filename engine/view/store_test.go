package view

import (
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

var schema = types.Schema{{Name: "k", Type: types.TextType}, {Name: "n", Type: types.Int64Type}}

func chunk(keys []string, ns []int64, signs []int8) batch.Chunk {
	ks := make([]types.Datum, len(keys))
	vs := make([]types.Datum, len(keys))
	for i := range keys {
		ks[i] = types.StringDatum(types.TextType, keys[i])
		vs[i] = types.IntDatum(types.Int64Type, ns[i])
	}
	rec := array.NewRecordBatch(schema.Arrow(), []arrow.Array{
		functions.BuildArray(types.TextType, ks), functions.BuildArray(types.Int64Type, vs),
	}, int64(len(keys)))
	return batch.Chunk{Rec: rec, Signs: signs}
}

func contents(t *testing.T, sn *Snapshot) string {
	var out string
	err := sn.Scan(2, func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			out += fmt.Sprintf("%s=%d ", rec.Column(0).(*array.String).Value(i), rec.Column(1).(*array.Int64).Value(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpsertDeleteAndSnapshotIsolation(t *testing.T) {
	s := NewStore(schema, []int{0}, true)
	if err := s.Apply(chunk([]string{"b", "a", "c"}, []int64{1, 2, 3}, nil)); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, s.Read()); got != "" {
		t.Fatalf("unpublished changes visible: %q", got)
	}
	s.Publish()
	before := s.Read()
	_ = s.Apply(chunk([]string{"a", "c"}, []int64{20, 0}, []int8{1, -1}))
	s.Publish()
	if got := contents(t, before); got != "a=2 b=1 c=3 " {
		t.Fatalf("old snapshot changed: %q", got)
	}
	if got := contents(t, s.Read()); got != "a=20 b=1 " {
		t.Fatalf("new snapshot: %q", got)
	}
	snap, _ := s.Snapshot(nil)
	r := NewStore(schema, []int{0}, true)
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, r.Read()); got != "a=20 b=1 " {
		t.Fatalf("restored: %q", got)
	}
}

func TestAppendOnly(t *testing.T) {
	s := NewStore(schema, nil, false)
	_ = s.Apply(chunk([]string{"x", "x"}, []int64{1, 1}, nil))
	s.Publish()
	if got := contents(t, s.Read()); got != "x=1 x=1 " {
		t.Fatalf("append-only: %q", got)
	}
	if err := s.Apply(chunk([]string{"x"}, []int64{1}, []int8{-1})); err == nil {
		t.Fatal("retraction on a keyless view accepted")
	}
}

// TestSingleRow: a keyed store with no key columns (a global aggregate)
// holds one row that each update replaces, and its diff retracts the old.
func TestSingleRow(t *testing.T) {
	s := NewStore(schema, nil, true)
	if _, err := s.ApplyDiff(chunk([]string{"x"}, []int64{1}, nil)); err != nil {
		t.Fatal(err)
	}
	d, err := s.ApplyDiff(chunk([]string{"x", "x"}, []int64{2, 3}, nil))
	if err != nil {
		t.Fatal(err)
	}
	s.Publish()
	if got := contents(t, s.Read()); got != "x=3 " {
		t.Fatalf("single row: %q", got)
	}
	if d.Len() != 4 || d.Signs[0] != -1 || d.Signs[3] != 1 {
		t.Fatalf("diff: %d rows, signs %v", d.Len(), d.Signs)
	}
}

// TestConcurrentReaders runs readers against a writer under -race: every
// snapshot a reader sees is a whole batch (all keys carry the same
// value).
func TestConcurrentReaders(t *testing.T) {
	s := NewStore(schema, []int{0}, true)
	keys := []string{"a", "b", "c", "d", "e", "f"}
	stop := startReaders(t, s, 4, func(vals []int64) bool {
		for _, v := range vals {
			if v != vals[0] {
				return false
			}
		}
		return true
	})
	for v := int64(0); v < 300; v++ {
		ns := make([]int64, len(keys))
		for i := range ns {
			ns[i] = v
		}
		_ = s.Apply(chunk(keys, ns, nil))
		s.Publish()
	}
	stop()
}

// startReaders starts three goroutines that read snapshots of s (in
// batches of batchSize rows) until the returned stop is called, failing
// t when whole(second column's values) is false: a torn snapshot.
func startReaders(t *testing.T, s *Store, batchSize int, whole func(vals []int64) bool) (stop func()) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				var vals []int64
				_ = s.Read().Scan(batchSize, func(rec arrow.RecordBatch) error {
					vals = append(vals, rec.Column(1).(*array.Int64).Int64Values()...)
					return nil
				})
				if !whole(vals) {
					t.Errorf("torn snapshot: %v", vals)
					return
				}
			}
		}()
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

func TestIncrementalCheckpoints(t *testing.T) {
	s := NewStore(schema, []int{0}, true)
	stored := map[string][]byte{}
	checkpoint := func() {
		sink := state.NewMapSink()
		if err := s.Checkpoint(sink, false); err != nil {
			t.Fatal(err)
		}
		sink.Apply(stored)
	}
	_ = s.Apply(chunk([]string{"a", "b", "c"}, []int64{1, 2, 3}, nil))
	checkpoint()
	_ = s.Apply(chunk([]string{"b", "d", "a"}, []int64{20, 4, 0}, []int8{1, 1, -1}))
	_ = s.Apply(chunk([]string{"a"}, []int64{7}, nil)) // deleted then re-added
	checkpoint()
	_ = s.Apply(chunk([]string{"c"}, []int64{0}, []int8{-1}))
	checkpoint()
	s.Publish()
	want := contents(t, s.Read())
	r := NewStore(schema, []int{0}, true)
	if err := r.RestoreEntries(state.MapEntries(stored)); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, r.Read()); got != want || want != "a=7 b=20 d=4 " {
		t.Fatalf("restored %q, live %q", got, want)
	}
	// A checkpoint with nothing changed writes only the metadata.
	sink := state.NewMapSink()
	_ = r.Checkpoint(sink, false)
	if len(sink.Puts) != 1 || len(sink.Deletes) != 0 {
		t.Fatalf("idle checkpoint wrote %d puts, %d deletes", len(sink.Puts), len(sink.Deletes))
	}
}

func TestRetentionExpiresOldWindows(t *testing.T) {
	ws := types.Schema{{Name: "window_start", Type: types.TimestampType}, {Name: "k", Type: types.TextType}}
	s := NewStore(ws, []int{0, 1}, true)
	const minute = int64(60_000_000)
	s.SetRetention(Retention{Keep: 10 * minute, KeyCol: 0, Plus: minute})
	var starts, keys []types.Datum
	for w := int64(0); w < 30; w++ {
		for _, k := range []string{"x", "y"} {
			starts = append(starts, types.IntDatum(types.TimestampType, w*minute))
			keys = append(keys, types.StringDatum(types.TextType, k))
		}
	}
	rec := array.NewRecordBatch(ws.Arrow(), []arrow.Array{
		functions.BuildArray(types.TimestampType, starts), functions.BuildArray(types.TextType, keys)}, int64(len(keys)))
	_ = s.Apply(batch.Chunk{Rec: rec})
	// At watermark 20 min, windows ending at or before 10 min expire:
	// starts 0..9, two keys each.
	n, err := s.Expire(20 * minute)
	if err != nil || n != 20 || s.Len() != 40 {
		t.Fatalf("expired %d (%v), %d left", n, err, s.Len())
	}
	if n, _ := s.Expire(20 * minute); n != 0 {
		t.Fatalf("second expire at the same watermark removed %d", n)
	}
	sink := state.NewMapSink()
	_ = s.Checkpoint(sink, false)
	if len(sink.Puts) != 41 {
		t.Fatalf("first checkpoint should write the 40 remaining rows and the metadata, wrote %d", len(sink.Puts))
	}
}

func TestApplyDiff(t *testing.T) {
	s := NewStore(schema, []int{0}, true)
	render := func(c batch.Chunk) string {
		out := ""
		for i := 0; i < c.Len(); i++ {
			sign := "+"
			if c.Signs[i] < 0 {
				sign = "-"
			}
			out += fmt.Sprintf("%s%s=%d ", sign, c.Rec.Column(0).(*array.String).Value(i), c.Rec.Column(1).(*array.Int64).Value(i))
		}
		return out
	}
	d, err := s.ApplyDiff(chunk([]string{"a", "b"}, []int64{1, 2}, nil))
	if err != nil || render(d) != "+a=1 +b=2 " {
		t.Fatalf("first diff %q %v", render(d), err)
	}
	d, _ = s.ApplyDiff(chunk([]string{"a", "b", "c"}, []int64{10, 2, 3}, nil))
	if got := render(d); got != "-a=1 +a=10 +c=3 " {
		t.Fatalf("update diff %q (an unchanged row must not appear)", got)
	}
	d, _ = s.ApplyDiff(chunk([]string{"c"}, []int64{0}, []int8{-1}))
	if got := render(d); got != "-c=3 " {
		t.Fatalf("delete diff %q", got)
	}
	s.Publish()
	if got := contents(t, s.Read()); got != "a=10 b=2 " {
		t.Fatalf("contents %q", got)
	}
}
