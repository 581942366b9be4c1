package view

import (
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
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
	s := NewStore(schema, []int{0})
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
	r := NewStore(schema, []int{0})
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, r.Read()); got != "a=20 b=1 " {
		t.Fatalf("restored: %q", got)
	}
}

func TestAppendOnly(t *testing.T) {
	s := NewStore(schema, nil)
	_ = s.Apply(chunk([]string{"x", "x"}, []int64{1, 1}, nil))
	s.Publish()
	if got := contents(t, s.Read()); got != "x=1 x=1 " {
		t.Fatalf("append-only: %q", got)
	}
	if err := s.Apply(chunk([]string{"x"}, []int64{1}, []int8{-1})); err == nil {
		t.Fatal("retraction on a keyless view accepted")
	}
}

// TestConcurrentReaders runs readers against a writer under -race: every
// snapshot a reader sees is a whole batch (all keys carry the same
// value).
func TestConcurrentReaders(t *testing.T) {
	s := NewStore(schema, []int{0})
	keys := []string{"a", "b", "c", "d", "e", "f"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var vals []int64
				_ = s.Read().Scan(4, func(rec arrow.RecordBatch) error {
					vals = append(vals, rec.Column(1).(*array.Int64).Int64Values()...)
					return nil
				})
				for _, v := range vals {
					if v != vals[0] {
						t.Errorf("torn snapshot: %v", vals)
						return
					}
				}
			}
		}()
	}
	for v := int64(0); v < 300; v++ {
		ns := make([]int64, len(keys))
		for i := range ns {
			ns[i] = v
		}
		_ = s.Apply(chunk(keys, ns, nil))
		s.Publish()
	}
	close(stop)
	wg.Wait()
}
