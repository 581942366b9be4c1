package kafka

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestLogBounds reads every partition's first and end offsets from a
// real (kfake) cluster, before and after Open, and fails cleanly for a
// missing topic.
func TestLogBounds(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(3, "events"))
	produce(t, brokers, "events", 0, 0, 40)
	produce(t, brokers, "events", 2, 0, 7)
	s := newTestSource(t, testSpec(brokers, "events", nil), testConfig(t, nil))
	first, end, err := s.LogBounds(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]int64{0: 40, 1: 0, 2: 7}
	for p, e := range want {
		if first[p] != 0 || end[p] != e {
			t.Errorf("partition %d: bounds [%d, %d), want [0, %d)", p, first[p], end[p], e)
		}
	}
	if len(end) != 3 || len(first) != 3 {
		t.Errorf("bounds of %d/%d partitions, want 3", len(first), len(end))
	}
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	produce(t, brokers, "events", 1, 0, 5)
	if _, end, err = s.LogBounds(testCtx(t)); err != nil || end[1] != 5 {
		t.Errorf("after Open and more records: %v, %v", end, err)
	}

	missing := newTestSource(t, testSpec(brokers, "nope", nil), testConfig(t, nil))
	if _, _, err := missing.LogBounds(testCtx(t)); err == nil {
		t.Error("LogBounds of a missing topic succeeded")
	}
}
