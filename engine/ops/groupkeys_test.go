package ops

import (
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// keyTypes covers every keyCol implementation: the fixed-width kinds,
// text and bytes, and the kinds kept encoded (bool, interval).
var keyTestTypes = []types.Type{
	types.Int16Type, types.Int32Type, types.DateType, types.Int64Type, types.TimestampType, types.OidType,
	types.Float32Type, types.Float64Type, types.TextType, types.ByteaType, types.BoolType, types.IntervalType,
}

// keyDatum draws from a small domain so that keys repeat, with NULLs,
// NaN, -0 and +0, and strings holding zero bytes.
func keyDatum(rng *rand.Rand, t types.Type) types.Datum {
	if rng.Intn(5) == 0 {
		return types.NullDatum(t)
	}
	switch t.Kind {
	case types.Float32, types.Float64:
		return types.FloatDatum(t, []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, -2, math.Inf(1)}[rng.Intn(6)])
	case types.Bool:
		return types.BoolDatum(rng.Intn(2) == 0)
	case types.Interval:
		return types.Datum{Type: t, Iv: types.IntervalValue{Days: int32(rng.Intn(2)), Micros: int64(rng.Intn(2))}}
	case types.Text, types.Bytea:
		return types.StringDatum(t, []string{"", "a", "a\x00", "\x00", "ab"}[rng.Intn(5)])
	}
	return types.IntDatum(t, int64(rng.Intn(3)-1))
}

// TestGroupTableMatchesEncodedKeys drives a groupTable with random
// batches over two key columns of each pair of types, removing and
// compacting groups on the way, against a map keyed by the rowcodec
// encoding (the old representation): a row finds a group exactly when
// its encoding was seen, and a group's output re-encodes to its key.
func TestGroupTableMatchesEncodedKeys(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	for a, ta := range keyTestTypes {
		tb := keyTestTypes[(a+5)%len(keyTestTypes)]
		ts := []types.Type{ta, tb}
		schema := types.Schema{{Name: "a", Type: ta}, {Name: "b", Type: tb}}
		enc := rowcodec.NewEncoder(schema, []int{0, 1})
		cols := []keyCol{newKeyCol(ta), newKeyCol(tb)}
		tab := newGroupTable(cols)
		model := map[string]uint32{}
		byID := map[uint32]string{}
		var free []uint32
		next := uint32(0)
		for round := 0; round < 30; round++ {
			n := 1 + rng.Intn(40)
			arrs := make([]arrow.Array, 2)
			for c, typ := range ts {
				ds := make([]types.Datum, n)
				for i := range ds {
					ds[i] = keyDatum(rng, typ)
				}
				arrs[c] = functions.BuildArray(typ, ds)
			}
			keys := make([][]byte, n)
			for c := range arrs {
				rowcodec.AppendColumn(keys, arrs[c], ts[c])
			}
			hs, err := tab.hashes(arrs, n)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				id, ok := tab.find(i, hs[i])
				want, wantOK := model[string(keys[i])]
				if ok != wantOK || (ok && id != want) {
					t.Fatalf("%s,%s round %d: key %x found %v (id %d), want %v (id %d)", ta, tb, round, keys[i], ok, id, wantOK, want)
				}
				if !ok {
					if len(free) > 0 {
						id, free = free[len(free)-1], free[:len(free)-1]
					} else {
						id, next = next, next+1
					}
					tab.insert(id, i, hs[i])
					model[string(keys[i])] = id
					byID[id] = string(keys[i])
				}
			}
			// Every group's stored key re-encodes to its key.
			ids := make([]uint32, 0, len(byID))
			for id := range byID {
				ids = append(ids, id)
			}
			out := make([]arrow.Array, 2)
			for c, col := range cols {
				if out[c], err = col.output(ids); err != nil {
					t.Fatal(err)
				}
			}
			got := make([][]byte, len(ids))
			enc.Append(got, array.NewRecordBatch(schema.Arrow(), out, int64(len(ids))))
			for i, id := range ids {
				if string(got[i]) != byID[id] {
					t.Fatalf("%s,%s: group %d outputs %x, key %x", ta, tb, id, got[i], byID[id])
				}
			}
			// Remove some groups, sometimes compact.
			for id, k := range byID {
				if rng.Intn(3) == 0 {
					tab.remove(id)
					delete(model, k)
					delete(byID, id)
					free = append(free, id)
				}
			}
			if tab.n != len(model) {
				t.Fatalf("table holds %d groups, model %d", tab.n, len(model))
			}
			if round%7 == 6 {
				live := make([]uint32, 0, len(byID))
				for id := uint32(0); id < next; id++ {
					if _, ok := byID[id]; ok {
						live = append(live, id)
					}
				}
				tab.compact(live)
				old := byID
				model, byID, free = map[string]uint32{}, map[uint32]string{}, nil
				for i, id := range live {
					model[old[id]] = uint32(i)
					byID[uint32(i)] = old[id]
				}
				next = uint32(len(live))
			}
		}
	}
}
