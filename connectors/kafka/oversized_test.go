package kafka

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
)

// TestSourceOversizedRecordInsideABatch: a record over the source's size
// limit, between others in the same record batch, is rejected once, and
// the records around it are read once each.
func TestSourceOversizedRecordInsideABatch(t *testing.T) {
	_, brokers := startCluster(t, kfake.SeedTopics(1, "events"))
	values := []string{
		`{"id": 1, "name": "a"}`,
		`{"id": 2, "name": "b"}`,
		fmt.Sprintf(`{"id": 3, "name": "%s"}`, strings.Repeat("z", 2000)),
		`{"id": 4, "name": "d"}`,
		`{"id": 5, "name": "e"}`,
	}
	w := NewWriter(brokers, "events")
	msgs := make([]Message, len(values))
	for i, v := range values {
		msgs[i] = Message{Value: []byte(v), Partition: 0}
	}
	if err := w.Write(testCtx(t), msgs...); err != nil { // one produce request: one record batch
		t.Fatal(err)
	}
	w.Close()

	spec := testSpec(brokers, "events", nil)
	spec.MaxRecordBytes = 256
	s := newTestSource(t, spec, testConfig(t, nil))
	if err := s.Open(testCtx(t), connectors.Start{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var rejects []string
	collect(t, s, map[int32]int64{0: int64(len(values))}, func(b *connectors.Batch) {
		col := b.Rec.Column(0).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			ids = append(ids, fmt.Sprintf("%d@%d", col.Value(i), b.Offsets[i]))
		}
		for _, r := range b.Rejects {
			rejects = append(rejects, fmt.Sprintf("%v@%d", r.Class, r.Offset))
		}
	})
	if got := strings.Join(ids, " "); got != "1@0 2@1 4@3 5@4" {
		t.Fatalf("rows %s, want 1@0 2@1 4@3 5@4", got)
	}
	if got := strings.Join(rejects, " "); got != fmt.Sprintf("%v@2", connectors.RejectOversized) {
		t.Fatalf("rejects %s", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
