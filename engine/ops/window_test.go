package ops

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/window"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// TestHopAssignMatchesReference checks hopping-window assignment against
// window.HopStarts row by row: with NULL times, closed windows, late
// rows and retractions (which are never late).
func TestHopAssignMatchesReference(t *testing.T) {
	winSchema := append(append(types.Schema{}, inSchema...),
		types.Column{Name: "window_start", Type: types.TimestampType},
		types.Column{Name: "window_end", Type: types.TimestampType})
	rng := rand.New(rand.NewSource(9))
	const size, slide = 5 * minute, minute
	for round := 0; round < 40; round++ {
		w := NewWindowAssign(1, size, slide, 0, winSchema)
		wm := int64(window.NoWatermark)
		if round > 0 {
			wm = int64(rng.Intn(20)) * minute / 2
			_ = w.Watermark(nil, wm, nil)
		}
		n := rng.Intn(50)
		ks, ts, vs := make([]types.Datum, n), make([]types.Datum, n), make([]types.Datum, n)
		var signs []int8
		if round%3 == 2 {
			signs = make([]int8, n)
		}
		var want []string
		wantLate := 0
		for i := 0; i < n; i++ {
			ks[i] = types.StringDatum(types.TextType, fmt.Sprint(i))
			vs[i] = types.FloatDatum(types.Float64Type, 0)
			if signs != nil {
				signs[i] = int8(1 - 2*rng.Intn(2))
			}
			if round%4 < 2 && rng.Intn(10) == 0 {
				// (Half the rounds have no NULL time, so that all-open
				// positions are told from the watermark alone.)
				ts[i] = types.NullDatum(types.TimestampType)
				continue
			}
			v := rng.Int63n(20 * minute)
			ts[i] = types.IntDatum(types.TimestampType, v)
			kept := 0
			for _, s := range window.HopStarts(nil, v, slide, size, 0) {
				if s+size > wm || (signs != nil && signs[i] < 0) {
					want = append(want, fmt.Sprintf("%d@%d", i, s))
					kept++
				}
			}
			if kept == 0 {
				wantLate++
			}
		}
		rec := array.NewRecordBatch(inSchema.Arrow(), []arrow.Array{
			functions.BuildArray(types.TextType, ks), functions.BuildArray(types.TimestampType, ts), functions.BuildArray(types.Float64Type, vs),
		}, int64(n))
		var got []string
		err := w.Push(nil, batch.Chunk{Rec: rec, Signs: signs}, func(c batch.Chunk) error {
			for i := 0; i < c.Len(); i++ {
				k := c.Rec.Column(0).(*array.String).Value(i)
				s := c.Rec.Column(3).(*array.Timestamp).Value(i)
				e := c.Rec.Column(4).(*array.Timestamp).Value(i)
				if int64(e-s) != size || c.Rec.Column(1).(*array.Timestamp).Value(i) < s {
					t.Fatalf("row %s: window [%d, %d)", k, s, e)
				}
				var row int
				fmt.Sscan(k, &row)
				if (signs == nil) != (c.Signs == nil) || (signs != nil && c.Signs[i] != signs[row]) {
					t.Fatalf("row %s: signs not carried", k)
				}
				got = append(got, fmt.Sprintf("%s@%d", k, s))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d (wm %d):\ngot  %v\nwant %v", round, wm, got, want)
		}
		if int(w.Late()) != wantLate {
			t.Fatalf("round %d: %d late, want %d", round, w.Late(), wantLate)
		}
	}
}
