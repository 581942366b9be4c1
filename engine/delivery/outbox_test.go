package delivery

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

func TestOutboxOrderAndDone(t *testing.T) {
	o := NewOutbox()
	const n = 1000
	want := map[uint64]*connectors.Notification{}
	for i := range n {
		nt := &connectors.Notification{Key: fmt.Sprint(i)}
		seq := o.Add(nt)
		if seq != uint64(i+1) {
			t.Fatalf("Add #%d returned seq %d", i, seq)
		}
		want[seq] = nt
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, i := range rng.Perm(n)[:700] {
		seq := uint64(i + 1)
		o.Done(seq)
		o.Done(seq) // idempotent
		delete(want, seq)
	}
	o.Done(0)
	o.Done(n + 5)
	if o.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", o.Len(), len(want))
	}
	p := o.Pending()
	if len(p) != len(want) {
		t.Fatalf("Pending has %d entries, want %d", len(p), len(want))
	}
	for i, e := range p {
		if i > 0 && p[i-1].Seq >= e.Seq {
			t.Fatalf("Pending out of order at %d: %d then %d", i, p[i-1].Seq, e.Seq)
		}
		if want[e.Seq] != e.N {
			t.Fatalf("entry %d has the wrong notification", e.Seq)
		}
	}
	for _, e := range p {
		o.Done(e.Seq)
	}
	if o.Len() != 0 || len(o.Pending()) != 0 {
		t.Fatalf("outbox not empty after all Done: %d", o.Len())
	}
	if seq := o.Add(&connectors.Notification{}); seq != n+1 {
		t.Fatalf("seq after drain = %d, want %d", seq, n+1)
	}
}

func TestOutboxSnapshotRestore(t *testing.T) {
	o := NewOutbox()
	s1 := o.Add(fullNotification("a"))
	s2 := o.Add(fullNotification("b"))
	s3 := o.Add(&connectors.Notification{Sink: "rows", Channel: "default", Key: "c",
		Records: []connectors.Record{{Key: []byte("k"), Value: []byte(`{"x":1}`)}}})
	o.Done(s2)
	snap, err := o.Snapshot([]byte("hdr"))
	if err != nil {
		t.Fatal(err)
	}
	if string(snap[:3]) != "hdr" {
		t.Fatal("Snapshot did not append to dst")
	}
	r := NewOutbox()
	r.Add(&connectors.Notification{Key: "replaced"})
	if err := r.Restore(snap[3:]); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Pending(), o.Pending()) {
		t.Fatalf("restored pending:\n%+v\nwant\n%+v", r.Pending(), o.Pending())
	}
	if got := r.Pending(); got[0].Seq != s1 || got[1].Seq != s3 {
		t.Fatalf("restored seqs %d,%d, want %d,%d", got[0].Seq, got[1].Seq, s1, s3)
	}
	// Sequence numbers continue where the snapshot left them.
	if seq := r.Add(&connectors.Notification{}); seq != s3+1 {
		t.Fatalf("next seq after restore = %d, want %d", seq, s3+1)
	}
	r.Done(s1)
	if r.Len() != 2 {
		t.Fatalf("Len after Done = %d", r.Len())
	}

	// An empty outbox round-trips and keeps its sequence.
	e := NewOutbox()
	e.Done(e.Add(&connectors.Notification{}))
	snap, _ = e.Snapshot(nil)
	r = NewOutbox()
	if err := r.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 || r.Add(&connectors.Notification{}) != 2 {
		t.Fatal("empty snapshot did not keep the sequence")
	}
}

func TestOutboxRestoreCorrupt(t *testing.T) {
	o := NewOutbox()
	o.Add(fullNotification("a"))
	o.Add(fullNotification("b"))
	snap, _ := o.Snapshot(nil)
	r := NewOutbox()
	keep := r.Add(&connectors.Notification{Key: "keep"})
	for i := range len(snap) {
		if err := r.Restore(snap[:i]); !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("truncated at %d: err = %v", i, err)
		}
	}
	if err := r.Restore(append(snap, 1)); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("trailing: err = %v", err)
	}
	if p := r.Pending(); len(p) != 1 || p[0].Seq != keep || p[0].N.Key != "keep" {
		t.Fatalf("failed Restore changed the outbox: %+v", p)
	}
	// Out-of-order sequence numbers are rejected.
	w := state.Writer{Buf: []byte{outboxVersion}}
	w.Uvarint(10)
	w.Uvarint(2)
	for _, seq := range []uint64{5, 5} {
		w.Uvarint(seq)
		w.Bytes(EncodeNotification(nil, &connectors.Notification{}))
	}
	if err := r.Restore(w.Buf); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("duplicate seq: err = %v", err)
	}
}

func FuzzOutboxRestore(f *testing.F) {
	o := NewOutbox()
	o.Add(fullNotification("a"))
	o.Done(o.Add(fullNotification("b")))
	o.Add(&connectors.Notification{Key: "c"})
	snap, _ := o.Snapshot(nil)
	f.Add(snap)
	empty, _ := NewOutbox().Snapshot(nil)
	f.Add(empty)
	f.Add([]byte{outboxVersion, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewOutbox()
		if err := r.Restore(b); err != nil {
			return
		}
		// A restored outbox snapshots to something that restores equal.
		again, err := r.Snapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		r2 := NewOutbox()
		if err := r2.Restore(again); err != nil {
			t.Fatalf("re-restore: %v", err)
		}
		if !reflect.DeepEqual(r.Pending(), r2.Pending()) {
			t.Fatal("unstable snapshot round trip")
		}
		r.Add(&connectors.Notification{})
	})
}

func BenchmarkOutboxAddDone(b *testing.B) {
	o := NewOutbox()
	n := fullNotification("k")
	// Keep a backlog so Done searches a realistic slice.
	const backlog = 1024
	for range backlog {
		o.Add(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		seq := o.Add(n)
		o.Done(seq - backlog)
	}
}

func BenchmarkOutboxSnapshot(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			o := NewOutbox()
			for i := range size {
				o.Add(fullNotification(fmt.Sprint(i)))
			}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				buf, err = o.Snapshot(buf[:0])
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
