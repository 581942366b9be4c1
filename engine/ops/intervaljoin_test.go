package ops

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

var (
	orders   = types.Schema{{Name: "k", Type: types.TextType}, {Name: "ts", Type: types.TimestampType}, {Name: "id", Type: types.Int64Type}}
	payments = types.Schema{{Name: "k", Type: types.TextType}, {Name: "ts", Type: types.TimestampType}, {Name: "amount", Type: types.Int64Type}}
)

type jrow struct {
	k  string
	ts int64
	v  int64
}

func jrec(schema types.Schema, rows []jrow) arrow.RecordBatch {
	ds := make([][]types.Datum, len(rows))
	for i, r := range rows {
		ds[i] = []types.Datum{types.StringDatum(types.TextType, r.k), types.IntDatum(types.TimestampType, r.ts), types.IntDatum(types.Int64Type, r.v)}
	}
	return datumRec(schema, ds)
}

// TestIntervalJoin checks the interval join against every matching pair
// of a nested loop, with out-of-order rows on both sides, and that its
// state drains once the watermarks pass, also across a snapshot/restore.
func TestIntervalJoin(t *testing.T) {
	const lower, upper = 0, 300 // right.ts - left.ts in [0, 300]
	rng := rand.New(rand.NewSource(4))
	var lefts, rights []jrow
	for i := 0; i < 400; i++ {
		lefts = append(lefts, jrow{fmt.Sprintf("k%d", rng.Intn(6)), int64(i*10) - rng.Int63n(50), int64(i)})
		rights = append(rights, jrow{fmt.Sprintf("k%d", rng.Intn(6)), int64(i*10) - rng.Int63n(50), int64(1000 + i)})
	}
	out := append(append(types.Schema{}, orders...), payments...)
	mk := func() *IntervalJoin {
		return NewIntervalJoin(IntervalJoinConfig{Left: orders, Right: payments, LeftKeys: []int{0}, RightKeys: []int{0},
			LeftTime: 1, RightTime: 1, Lower: lower, Upper: upper, Out: out})
	}
	j := mk()
	var got []string
	emit := func(c batch.Chunk) error {
		got = append(got, renderRows(c.Rec, out)...)
		return nil
	}
	ctx := &functions.Context{}
	maxL, maxR := int64(-1<<62), int64(-1<<62)
	peak := 0
	for b := 0; b < 40; b++ {
		ls, rs := lefts[b*10:(b+1)*10], rights[b*10:(b+1)*10]
		if err := j.PushSide(ctx, 0, batch.Chunk{Rec: jrec(orders, ls)}, emit); err != nil {
			t.Fatal(err)
		}
		if err := j.PushSide(ctx, 1, batch.Chunk{Rec: jrec(payments, rs)}, emit); err != nil {
			t.Fatal(err)
		}
		for _, r := range ls {
			maxL = max(maxL, r.ts)
		}
		for _, r := range rs {
			maxR = max(maxR, r.ts)
		}
		j.WatermarkSide(0, maxL-100)
		j.WatermarkSide(1, maxR-100)
		l, r := j.Buffered()
		peak = max(peak, l+r)
		if b == 20 {
			snap, _ := j.Snapshot(nil)
			j = mk()
			if err := j.Restore(snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	for _, l := range lefts {
		for _, r := range rights {
			if l.k == r.k && r.ts-l.ts >= lower && r.ts-l.ts <= upper {
				want = append(want, fmt.Sprintf("%s|%s|%d|%s|%s|%d", l.k, types.FormatTimestamp(l.ts, false), l.v, r.k, types.FormatTimestamp(r.ts, false), r.v))
			}
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") || j.Late() != 0 {
		t.Fatalf("got %d pairs, want %d (late %d)", len(got), len(want), j.Late())
	}
	// State stays bounded by the time range, not the stream length.
	if peak > 200 {
		t.Fatalf("peak buffered rows %d: state is not bounded by the watermarks", peak)
	}
	j.WatermarkSide(0, 1<<60)
	j.WatermarkSide(1, 1<<60)
	if l, r := j.Buffered(); l+r != 0 {
		t.Fatalf("%d+%d rows left after the watermarks passed everything", l, r)
	}
}
