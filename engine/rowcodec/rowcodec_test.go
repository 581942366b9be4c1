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

// TestRowsKeepsBuffers checks that Rows empties the row buffers and
// keeps their capacity, also across growth.
func TestRowsKeepsBuffers(t *testing.T) {
	bufs := Rows(nil, 3)
	for i := range bufs {
		bufs[i] = append(bufs[i], make([]byte, 100)...)
	}
	bufs = Rows(bufs, 2)
	if len(bufs) != 2 || len(bufs[1]) != 0 || cap(bufs[1]) < 100 {
		t.Fatalf("shrunk: len %d, row 1 len %d cap %d", len(bufs), len(bufs[1]), cap(bufs[1]))
	}
	bufs = Rows(bufs, 10)
	if len(bufs) != 10 || cap(bufs) < 10 {
		t.Fatalf("grown: len %d cap %d", len(bufs), cap(bufs))
	}
	for i := range bufs {
		want := 0
		if i < 3 {
			want = 100
		}
		if len(bufs[i]) != 0 || cap(bufs[i]) < want {
			t.Fatalf("row %d: len %d cap %d, want empty with cap >= %d", i, len(bufs[i]), cap(bufs[i]), want)
		}
	}
}

// TestFlatMatchesAppend encodes random batches of every flat-encodable
// type (NULLs in some columns, 0x00 bytes in strings, more rows than a
// tile, and a slice of a batch) with Sizes and Put and checks each row
// against Append's encoding.
func TestFlatMatchesAppend(t *testing.T) {
	schema := types.Schema{
		{Name: "i16", Type: types.Int16Type}, {Name: "i32", Type: types.Int32Type},
		{Name: "i64", Type: types.Int64Type}, {Name: "f32", Type: types.Float32Type},
		{Name: "f64", Type: types.Float64Type}, {Name: "s", Type: types.TextType},
		{Name: "b", Type: types.BoolType}, {Name: "ts", Type: types.TimestampType},
		{Name: "d", Type: types.DateType}, {Name: "iv", Type: types.IntervalType},
		{Name: "o", Type: types.OidType}, {Name: "j", Type: types.JSONBType},
	}
	all := make([]int, len(schema))
	for i := range all {
		all[i] = len(all) - 1 - i // reversed: column order is the encoder's
	}
	enc := NewEncoder(schema, all)
	if !enc.Flat() {
		t.Fatal("Flat() = false without arrays")
	}
	rng := rand.New(rand.NewSource(9))
	for _, n := range []int{0, 1, 700, 1500} {
		arrs := make([]arrow.Array, len(schema))
		for c, col := range schema {
			nulls := c%2 == 0
			ds := make([]types.Datum, n)
			for i := range ds {
				ds[i] = flatDatum(rng, col.Type, nulls)
			}
			arrs[c] = functions.BuildArray(col.Type, ds)
		}
		rec := array.NewRecordBatch(schema.Arrow(), arrs, int64(n))
		for _, r := range []arrow.RecordBatch{rec, rec.NewSlice(int64(n/3), int64(n))} {
			m := int(r.NumRows())
			want := make([][]byte, m)
			enc.Append(want, r)
			sizes := make([]int, m)
			enc.Sizes(sizes, r)
			pos := make([]int, m)
			total := 0
			for i, s := range sizes {
				pos[i] = total
				total += s
			}
			buf := make([]byte, total)
			enc.Put(buf, pos, r)
			start := 0
			for i := range want {
				if pos[i] != start+sizes[i] {
					t.Fatalf("%d rows, row %d: cursor at %d, want %d", m, i, pos[i], start+sizes[i])
				}
				if got := buf[start:pos[i]]; !bytes.Equal(got, want[i]) {
					t.Fatalf("%d rows, row %d: Put %x, Append %x", m, i, got, want[i])
				}
				start = pos[i]
			}
		}
	}
	if NewEncoder(types.Schema{{Name: "a", Type: types.Type{Kind: types.Array}}}, []int{0}).Flat() {
		t.Fatal("Flat() = true for an array column")
	}
}

func flatDatum(rng *rand.Rand, t types.Type, nulls bool) types.Datum {
	if nulls && rng.Intn(5) == 0 {
		return types.NullDatum(t)
	}
	switch t.Kind {
	case types.Int16:
		return types.IntDatum(t, int64(int16(rng.Int())))
	case types.Int32, types.Date:
		return types.IntDatum(t, int64(rng.Int31())-math.MaxInt32/2)
	case types.Oid:
		return types.IntDatum(t, int64(rng.Uint32()))
	case types.Float32:
		return types.FloatDatum(t, float64(float32(rng.NormFloat64())))
	case types.Interval:
		return types.Datum{Type: t, Iv: types.IntervalValue{Months: rng.Int31n(100), Days: -rng.Int31n(40), Micros: rng.Int63()}}
	case types.JSONB:
		return types.StringDatum(t, `{"a":`+string(rune('0'+rng.Intn(10)))+`}`)
	}
	d := randDatum(rng, t)
	if !nulls && d.Null {
		return flatDatum(rng, t, nulls)
	}
	return d
}
