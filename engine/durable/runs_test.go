package durable

import (
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/engine/state"
)

// TestRunsReplaceTheirRange checks that a run replaces exactly the
// stored entries of its range, [from, end), and that a run with no
// entries (only the range deletion) is ingested too.
func TestRunsReplaceTheirRange(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		d := open(t, dir)
		prefix := OperatorPrefix(9, 0)
		b := d.NewBatch()
		sink := b.Sink(prefix)
		for _, k := range []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7"} {
			sink.Put([]byte(k), []byte("old"))
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		b = d.NewBatch()
		rs := b.Sink(prefix).(state.RunSink)
		rs.AppendRun([]byte("a2"), []byte("a4"), func(put func(key, value []byte) error) error {
			return put([]byte("a2"), []byte("new"))
		})
		rs.AppendRun([]byte("a5"), []byte("a7"), func(func(key, value []byte) error) error { return nil })
		if err := b.IngestRuns(); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		var got []string
		err := d.Entries(prefix)(func(key, value []byte) error {
			got = append(got, string(key)+"="+string(value))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := "a1=old a2=new a4=old a7=old"; strings.Join(got, " ") != want {
			t.Fatalf("dir %q: stored %v, want %s", dir, got, want)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
