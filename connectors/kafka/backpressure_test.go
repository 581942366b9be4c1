package kafka

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestBackpressure checks that a source nobody reads stops fetching: the
// records it holds stay within its batch buffer plus one batch per
// partition reader, and everything is still delivered once read.
func TestBackpressure(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(2, "bp"))
	const perPartition = 3000
	for p := int32(0); p < 2; p++ {
		produce(t, brokers, "bp", p, 0, perPartition)
	}
	cfg := Config{MaxBatchRows: 10, BufferedBatches: 3}
	s := newTestSource(t, testSpec(brokers, "bp", nil), cfg)
	if err := s.Open(testCtx(t), connectors.Start{Mode: connectors.StartEarliest}); err != nil {
		t.Fatal(err)
	}
	bound := int64((cfg.BufferedBatches + 2) * cfg.MaxBatchRows)
	waitFull := func() {
		deadline := time.Now().Add(10 * time.Second)
		for len(s.out) < cap(s.out) {
			if time.Now().After(deadline) {
				t.Fatalf("buffer never filled (%d of %d)", len(s.out), cap(s.out))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFull()
	// Give the readers every chance to run ahead, then check they did not.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if got := s.fetched.Load(); got > bound {
			t.Fatalf("fetched %d records with nobody reading; bound is %d", got, bound)
		}
		time.Sleep(10 * time.Millisecond)
	}
	delivered := int64(0)
	for delivered < 2*perPartition {
		b, err := s.ReadBatch(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		delivered += b.Records()
		b.Rec.Release()
		if inFlight := s.fetched.Load() - delivered; inFlight > bound {
			t.Fatalf("%d records fetched but not delivered; bound is %d", inFlight, bound)
		}
	}
	if delivered != 2*perPartition {
		t.Fatalf("delivered %d records, want %d", delivered, 2*perPartition)
	}
}
