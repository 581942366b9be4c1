package view

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestRowLayout(t *testing.T) {
	for _, klen := range []int{0, 1, 127, 128, 300, 20000} {
		key := strings.Repeat("k", klen)
		row, _ := makeRow(nil, key, "rest", 7)
		k, rest, epoch := split(row)
		if k != key || rest != "rest" || epoch != 7 {
			t.Fatalf("klen %d: split gave %d bytes, %q, %d", klen, len(k), rest, epoch)
		}
	}
}

// wideSchema has its key columns (2, 0) out of schema order, so the rest
// of a row is not a suffix of the whole row.
var wideSchema = types.Schema{
	{Name: "a", Type: types.TextType}, {Name: "n", Type: types.Int64Type},
	{Name: "b", Type: types.Int64Type}, {Name: "f", Type: types.Float64Type},
}

func wideChunk(rows [][2]int64, signs []int8) batch.Chunk {
	cols := make([][]types.Datum, len(wideSchema))
	for _, r := range rows {
		cols[0] = append(cols[0], types.StringDatum(types.TextType, fmt.Sprintf("k\x00%d", r[0]%7)))
		cols[1] = append(cols[1], types.IntDatum(types.Int64Type, r[1]))
		cols[2] = append(cols[2], types.IntDatum(types.Int64Type, r[0]/7))
		if r[1]%3 == 0 {
			cols[3] = append(cols[3], types.NullDatum(types.Float64Type))
		} else {
			cols[3] = append(cols[3], types.FloatDatum(types.Float64Type, float64(r[1])/2))
		}
	}
	arrs := make([]arrow.Array, len(wideSchema))
	for k, c := range wideSchema {
		arrs[k] = functions.BuildArray(c.Type, cols[k])
	}
	return batch.Chunk{Rec: array.NewRecordBatch(wideSchema.Arrow(), arrs, int64(len(rows))), Signs: signs}
}

func render(t *testing.T, sn *Snapshot) string {
	var sb strings.Builder
	err := sn.Scan(5, func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			for c := range wideSchema {
				sb.WriteString(rec.Column(c).ValueStr(i))
				sb.WriteByte(' ')
			}
			sb.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestCheckpointsMatchModel applies random upserts and deletes with
// incremental checkpoints, both while the changed keys are tracked in the
// dirty map and after they outgrow it (the checkpoint then scans the rows
// of the epoch), and checks that restoring the stored entries gives the
// live contents.
func TestCheckpointsMatchModel(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, keys := range []int64{50, 3 * dirtyMapMin} {
		scanned := false
		s := NewStore(wideSchema, []int{2, 0}, true)
		stored := map[string][]byte{}
		for round := 0; round < 12; round++ {
			n := rng.Intn(int(keys))
			rows := make([][2]int64, n)
			signs := make([]int8, n)
			for i := range rows {
				rows[i] = [2]int64{rng.Int63n(keys), rng.Int63n(1000)}
				signs[i] = 1
				if rng.Intn(4) == 0 {
					signs[i] = -1
				}
			}
			if round%2 == 0 {
				if _, err := s.ApplyDiff(wideChunk(rows, signs)); err != nil {
					t.Fatal(err)
				}
			} else if err := s.Apply(wideChunk(rows, signs)); err != nil {
				t.Fatal(err)
			}
			scanned = scanned || s.dirtyAll
			sink := state.NewMapSink()
			if err := s.Checkpoint(sink, false); err != nil {
				t.Fatal(err)
			}
			sink.Apply(stored)
			s.Publish()
			r := NewStore(wideSchema, []int{2, 0}, true)
			if err := r.RestoreEntries(state.MapEntries(stored)); err != nil {
				t.Fatal(err)
			}
			if got, want := render(t, r.Read()), render(t, s.Read()); got != want {
				t.Fatalf("keys %d round %d: restored\n%s\nlive\n%s", keys, round, got, want)
			}
		}
		if scanned != (keys > dirtyMapMin) {
			t.Fatalf("keys %d: checkpoint scanned the rows: %v", keys, scanned)
		}
	}
}

// TestRestoresVersion1 restores a snapshot and checkpoint entries in the
// first format, whose values were whole rows.
func TestRestoresVersion1(t *testing.T) {
	key := []int{2, 0}
	c := wideChunk([][2]int64{{1, 5}, {9, 6}, {30, 7}}, nil)
	all := []int{0, 1, 2, 3}
	keyBufs, rowBufs := make([][]byte, 3), make([][]byte, 3)
	rowcodec.NewEncoder(wideSchema, key).Append(keyBufs, c.Rec)
	rowcodec.NewEncoder(wideSchema, all).Append(rowBufs, c.Rec)
	order := []int{0, 1, 2}
	sort.Slice(order, func(i, j int) bool { return string(keyBufs[order[i]]) < string(keyBufs[order[j]]) })
	w := state.Writer{Buf: []byte{1}}
	w.Uvarint(0)
	w.Uvarint(3)
	entries := map[string][]byte{"m": {0}}
	for _, i := range order {
		w.Bytes(keyBufs[i])
		w.Bytes(rowBufs[i])
		entries["r"+string(keyBufs[i])] = rowBufs[i]
	}
	live := NewStore(wideSchema, key, true)
	if err := live.Apply(c); err != nil {
		t.Fatal(err)
	}
	live.Publish()
	want := render(t, live.Read())

	s := NewStore(wideSchema, key, true)
	if err := s.Restore(w.Buf); err != nil {
		t.Fatal(err)
	}
	if got := render(t, s.Read()); got != want {
		t.Fatalf("version 1 snapshot:\n%s\nwant\n%s", got, want)
	}
	s = NewStore(wideSchema, key, true)
	if err := s.RestoreEntries(state.MapEntries(entries)); err != nil {
		t.Fatal(err)
	}
	if got := render(t, s.Read()); got != want {
		t.Fatalf("version 1 checkpoint:\n%s\nwant\n%s", got, want)
	}
	// A later version is refused with a clear error.
	entries["m"] = []byte{0, 9}
	if err := s.RestoreEntries(state.MapEntries(entries)); err == nil || !strings.Contains(err.Error(), "unknown checkpoint version 9") {
		t.Fatalf("version 9 checkpoint: %v", err)
	}
}

// TestKeyRepeatingAColumn: a key that names a column twice is stored
// with every column in the rest.
func TestKeyRepeatingAColumn(t *testing.T) {
	s := NewStore(wideSchema, []int{2, 2}, true)
	if err := s.Apply(wideChunk([][2]int64{{1, 5}, {8, 6}, {1, 7}}, nil)); err != nil {
		t.Fatal(err)
	}
	s.Publish()
	if got := render(t, s.Read()); got != "k\x001 7 0 3.5 \nk\x001 6 1 (null) \n" {
		t.Fatalf("got %q", got)
	}
}
