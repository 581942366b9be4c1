package rowcodec

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

var splitTypes = []types.Type{types.Int64Type, types.TextType, types.Float64Type, types.BoolType, types.Int32Type, types.TimestampType, types.IntervalType}

func splitRecord(rng *rand.Rand, n int) (types.Schema, arrow.RecordBatch) {
	var schema types.Schema
	var arrs []arrow.Array
	for i, t := range splitTypes {
		schema = append(schema, types.Column{Name: string(rune('a' + i)), Type: t})
		ds := make([]types.Datum, n)
		for r := range ds {
			if t.Kind == types.Interval {
				ds[r] = types.Datum{Type: t, Iv: types.IntervalValue{Months: int32(rng.Intn(30)), Days: int32(rng.Intn(30)), Micros: rng.Int63n(1e12)}}
				if rng.Intn(5) == 0 {
					ds[r] = types.NullDatum(t)
				}
				continue
			}
			ds[r] = randDatum(rng, t)
		}
		arrs = append(arrs, functions.BuildArray(t, ds))
	}
	return schema, array.NewRecordBatch(schema.Arrow(), arrs, int64(n))
}

// TestSkipAndDecodeSplit: Skip steps over exactly one value of each
// type, and a row encoded as two parts (some columns, then the others)
// decodes like the whole row.
func TestSkipAndDecodeSplit(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	schema, rec := splitRecord(rng, 200)
	all := []int{0, 1, 2, 3, 4, 5, 6}
	keyCols, restCols := []int{5, 1}, []int{0, 2, 3, 4, 6}
	whole, keys, rests := make([][]byte, 200), make([][]byte, 200), make([][]byte, 200)
	NewEncoder(schema, all).Append(whole, rec)
	NewEncoder(schema, keyCols).Append(keys, rec)
	NewEncoder(schema, restCols).Append(rests, rec)
	a, b := NewColumns(splitTypes), NewColumns(splitTypes)
	for r := range whole {
		src := whole[r]
		for _, typ := range splitTypes {
			next, err := Skip(src, typ)
			if err != nil {
				t.Fatalf("row %d: skip %s: %v", r, typ, err)
			}
			one := NewColumns([]types.Type{typ})
			if rest, err := one.DecodeRow(src[:len(src)-len(next)]); err != nil || len(rest) != 0 {
				t.Fatalf("row %d: skip %s took a wrong length", r, typ)
			}
			src = next
		}
		if len(src) != 0 {
			t.Fatalf("row %d: %d bytes left", r, len(src))
		}
		if _, err := a.DecodeRow(whole[r]); err != nil {
			t.Fatal(err)
		}
		if err := b.DecodeSplit(keys[r], keyCols, rests[r], restCols); err != nil {
			t.Fatal(err)
		}
	}
	x, y := a.Arrays(), b.Arrays()
	for c := range x {
		if !array.ApproxEqual(x[c], y[c], array.WithNaNsEqual(true)) {
			t.Fatalf("column %d: split decode differs:\n%v\n%v", c, x[c], y[c])
		}
	}
	if err := b.DecodeSplit(keys[0], keyCols, append(rests[0], 0), restCols); err == nil {
		t.Fatal("trailing bytes accepted")
	}
}

func FuzzSkip(f *testing.F) {
	f.Add([]byte{1, 'a', 0, 0xff, 'b', 0, 1}, uint8(1))
	f.Add([]byte{1, 0x80, 0, 0, 0, 0, 0, 0, 1}, uint8(0))
	f.Add([]byte{0}, uint8(6))
	f.Add([]byte{1, 'a', 0}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, k uint8) {
		typ := splitTypes[int(k)%len(splitTypes)]
		rest, err := Skip(b, typ)
		if err != nil {
			return
		}
		// What Skip accepts is one value that decodes.
		c := NewColumns([]types.Type{typ})
		if r, err := c.DecodeRow(b[:len(b)-len(rest)]); err != nil || len(r) != 0 {
			t.Fatalf("skip accepted %x as a %s, decode says %v", b[:len(b)-len(rest)], typ, err)
		}
	})
}

func FuzzDecodeSplit(f *testing.F) {
	f.Add([]byte{1, 0x80, 0, 0, 0, 0, 0, 0, 1}, []byte{1, 'a', 0, 1})
	f.Add([]byte{0}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, key, rest []byte) {
		c := NewColumns([]types.Type{types.TextType, types.Int64Type})
		_ = c.DecodeSplit(key, []int{1}, rest, []int{0})
	})
}
