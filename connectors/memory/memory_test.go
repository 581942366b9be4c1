package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestSourceReadsEveryRecordOnce(t *testing.T) {
	l := NewLog(3)
	for i := 0; i < 30; i++ {
		v := fmt.Sprintf(`{"n":%d}`, i)
		if i%10 == 7 {
			v = `{"n":` // malformed
		}
		l.Append(int32(i%3), []byte(v))
	}
	b := NewBroker()
	b.MaxBatchRows = 4
	b.Add("t", l)
	src, err := b.Factory()(connectors.SourceSpec{Name: "s", Schema: types.Schema{{Name: "n", Type: types.Int64Type, Nullable: true}}, Options: map[string]string{"topic": "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Open(context.Background(), connectors.Start{Offsets: connectors.Offsets{1: 2}}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	rows, rejects := 0, 0
	for rows+rejects < 28 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		bt, err := src.ReadBatch(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for off := bt.FirstOffset; off < bt.NextOffset; off++ {
			k := fmt.Sprintf("%d/%d", bt.Partition, off)
			if seen[k] {
				t.Fatalf("offset %s read twice", k)
			}
			seen[k] = true
		}
		rows += int(bt.Rec.NumRows())
		rejects += len(bt.Rejects)
		if len(bt.Offsets) != int(bt.Rec.NumRows()) {
			t.Fatalf("%d offsets for %d rows", len(bt.Offsets), bt.Rec.NumRows())
		}
	}
	if rows != 25 || rejects != 3 {
		t.Fatalf("rows %d rejects %d", rows, rejects)
	}
	// At the end it waits; Close releases it.
	go func() { _ = src.Close() }()
	if _, err := src.ReadBatch(context.Background()); err != connectors.ErrClosed {
		t.Fatalf("read after close: %v", err)
	}
}
