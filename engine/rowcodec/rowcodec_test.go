package rowcodec

import (
	"bytes"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/types"
)

func randDatum(rng *rand.Rand, t types.Type) types.Datum {
	if rng.Intn(6) == 0 {
		return types.NullDatum(t)
	}
	switch t.Kind {
	case types.Int32:
		return types.IntDatum(t, int64(rng.Int31())-math.MaxInt32/2)
	case types.Int64, types.Timestamp:
		return types.IntDatum(t, rng.Int63()-math.MaxInt64/2)
	case types.Float64:
		f := rng.NormFloat64() * 1e6
		switch rng.Intn(10) {
		case 0:
			f = math.NaN()
		case 1:
			f = math.Inf(-1)
		case 2:
			f = 0
		}
		return types.FloatDatum(t, f)
	case types.Bool:
		return types.BoolDatum(rng.Intn(2) == 0)
	}
	b := make([]byte, rng.Intn(5))
	for i := range b {
		b[i] = byte(rng.Intn(3)) // includes 0x00 bytes
	}
	return types.StringDatum(t, string(b))
}

// TestOrderAndRoundTrip checks that encodings sort like the values
// (NULL first) and decode back to the same values.
func TestOrderAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, typ := range []types.Type{types.Int32Type, types.Int64Type, types.Float64Type, types.TextType, types.BoolType, types.TimestampType} {
		const n = 300
		ds := make([]types.Datum, n)
		for i := range ds {
			ds[i] = randDatum(rng, typ)
		}
		arr := functions.BuildArray(typ, ds)
		rows := make([][]byte, n)
		AppendColumn(rows, arr, typ)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return bytes.Compare(rows[idx[a]], rows[idx[b]]) < 0 })
		for k := 1; k < n; k++ {
			x, y := ds[idx[k-1]], ds[idx[k]]
			if x.Null {
				continue
			}
			if y.Null {
				t.Fatalf("%v: NULL sorted after %v", typ, x)
			}
			if scalar.CompareDatums(x, y) > 0 {
				t.Fatalf("%v: %v encoded before %v", typ, x, y)
			}
		}
		cols := NewColumns([]types.Type{typ})
		for _, r := range rows {
			rest, err := cols.DecodeRow(r)
			if err != nil || len(rest) != 0 {
				t.Fatalf("%v decode: %v (%d left)", typ, err, len(rest))
			}
		}
		out := cols.Arrays()[0]
		for i := range ds {
			got := functions.DatumAt(out, typ, i)
			if got.Null != ds[i].Null || (!got.Null && scalar.CompareDatums(got, ds[i]) != 0) {
				t.Fatalf("%v row %d: %v != %v", typ, i, got, ds[i])
			}
		}
	}
}

func TestEncoderMultiColumnAndSlice(t *testing.T) {
	schema := types.Schema{{Name: "a", Type: types.TextType}, {Name: "b", Type: types.Int32Type}}
	a := functions.BuildArray(types.TextType, []types.Datum{types.StringDatum(types.TextType, "x"), types.StringDatum(types.TextType, "y")})
	b := functions.BuildArray(types.Int32Type, []types.Datum{types.IntDatum(types.Int32Type, 1), types.NullDatum(types.Int32Type)})
	rec := array.NewRecordBatch(schema.Arrow(), []arrow.Array{a, b}, 2)
	sl := rec.NewSlice(1, 2)
	rows := make([][]byte, 1)
	NewEncoder(schema, []int{1, 0}).Append(rows, sl)
	ds, rest, err := DecodeDatums(rows[0], []types.Type{types.Int32Type, types.TextType})
	if err != nil || len(rest) != 0 || !ds[0].Null || ds[1].S != "y" {
		t.Fatalf("decoded %v %v", ds, err)
	}
	if _, _, err := DecodeDatums([]byte{1, 2}, []types.Type{types.Int64Type}); err == nil {
		t.Fatal("truncated input accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{1, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 1})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewColumns([]types.Type{types.Int64Type, types.TextType, types.Float64Type})
		_, _ = c.DecodeRow(b)
	})
}
