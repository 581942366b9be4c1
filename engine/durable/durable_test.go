package durable

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCatalogAndStateSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	d := open(t, dir)
	for _, e := range []CatalogEntry{{ID: 16385, Kind: 3, Name: "v", SQL: "CREATE MATERIALIZED VIEW v AS ..."}, {ID: 16384, Kind: 1, Name: "s", SQL: "CREATE SOURCE s ..."}} {
		if err := d.PutCatalog(e); err != nil {
			t.Fatal(err)
		}
	}
	b := d.NewBatch()
	sink := b.Sink(OperatorPrefix(16385, 2))
	sink.Put([]byte("g1"), []byte("one"))
	sink.Put([]byte("g2"), []byte("two"))
	b.Put(JobKey(16385), []byte("meta"))
	b.Put(DeadLetterKey(16384, 3, 99), []byte("bad"))
	b.RecordCheckpoint(CheckpointInfo{ID: 1, Started: time.Unix(100, 0), Duration: time.Millisecond, Bytes: b.Bytes(), Views: 1})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	// A later checkpoint deletes one key and updates another.
	b = d.NewBatch()
	sink = b.Sink(OperatorPrefix(16385, 2))
	sink.Delete([]byte("g1"))
	sink.Put([]byte("g2"), []byte("TWO"))
	b.RecordCheckpoint(CheckpointInfo{ID: 2, Started: time.Unix(101, 0)})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = open(t, dir)
	defer d.Close()
	cat, err := d.Catalog()
	if err != nil || len(cat) != 2 || cat[0].ID != 16384 || cat[1].SQL != "CREATE MATERIALIZED VIEW v AS ..." {
		t.Fatalf("catalog %+v %v", cat, err)
	}
	var got string
	_ = d.Entries(OperatorPrefix(16385, 2))(func(k, v []byte) error {
		got += fmt.Sprintf("%s=%s ", k, v)
		return nil
	})
	if got != "g2=TWO " {
		t.Fatalf("operator entries %q", got)
	}
	last, ok, err := d.LastCheckpoint()
	if err != nil || !ok || last.ID != 2 {
		t.Fatalf("last checkpoint %+v %v %v", last, ok, err)
	}
	if hist, _ := d.Checkpoints(); len(hist) != 2 || hist[0].ID != 1 || hist[0].Views != 1 {
		t.Fatalf("history %+v", hist)
	}
	var dl []string
	_ = d.Entries(DeadLetterPrefix(16384))(func(k, v []byte) error {
		p, off := PositionOf(k)
		dl = append(dl, fmt.Sprintf("%d/%d=%s", p, off, v))
		return nil
	})
	if fmt.Sprint(dl) != "[3/99=bad]" {
		t.Fatalf("dead letters %v", dl)
	}
	if err := d.DropObject(16385); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Count(ObjectPrefix(16385)); n != 0 {
		t.Fatalf("%d state keys left after drop", n)
	}
	if cat, _ := d.Catalog(); len(cat) != 1 {
		t.Fatalf("catalog after drop %+v", cat)
	}
}

// TestLargeCommitReleasesMemory checks that a checkpoint of a burst
// (60 MB of writes) does not stay in memory after its commit.
func TestLargeCommitReleasesMemory(t *testing.T) {
	d := open(t, t.TempDir())
	defer d.Close()
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	start := heap()
	b := d.NewBatch()
	for i := 0; i < 600_000; i++ {
		b.Put([]byte(fmt.Sprintf("key-%09d", i)), make([]byte, 80))
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if after := heap(); after > start+16<<20 {
		t.Fatalf("heap in use %d MiB after committing a 60 MB batch, %d MiB before", after>>20, start>>20)
	}
}
