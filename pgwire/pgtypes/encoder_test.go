package pgtypes

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/sql/types"
)

func TestEncodeTextAllTypes(t *testing.T) {
	mem := checkedMem(t)
	cases := []struct {
		typ  types.Type
		js   string
		want []string // "∅" is NULL
	}{
		{types.BoolType, `[true, false, null]`, []string{"t", "f", "∅"}},
		{types.Int16Type, `[-32768, 7, null]`, []string{"-32768", "7", "∅"}},
		{types.Int32Type, `[2147483647, -1, null]`, []string{"2147483647", "-1", "∅"}},
		{types.Int64Type, `[-9223372036854775808, 0, null]`, []string{"-9223372036854775808", "0", "∅"}},
		{types.Float32Type, `[1.5, 1e6, null]`, []string{"1.5", "1e+06", "∅"}},
		{types.Float64Type, `[1e6, "NaN", null]`, []string{"1000000", "NaN", "∅"}},
		{types.TextType, `["héllo", "", null]`, []string{"héllo", "", "∅"}},
		{types.VarcharType, `["a", "b", null]`, []string{"a", "b", "∅"}},
		{types.NameType, `["n", "", null]`, []string{"n", "", "∅"}},
		{types.JSONBType, `["{\"a\": 1}", "[]", null]`, []string{`{"a": 1}`, "[]", "∅"}},
		{types.UnknownType, `["lit", "", null]`, []string{"lit", "", "∅"}},
		{types.ByteaType, `["3q2+7w==", "", null]`, []string{`\xdeadbeef`, `\x`, "∅"}},
		{types.TimestampType, `[0, 1500000, null]`, []string{"1970-01-01 00:00:00", "1970-01-01 00:00:01.5", "∅"}},
		{types.TimestampTZType, `[0, -1, null]`, []string{"1970-01-01 00:00:00+00", "1969-12-31 23:59:59.999999+00", "∅"}},
		{types.DateType, `[0, 19782, null]`, []string{"1970-01-01", "2024-02-29", "∅"}},
		{types.IntervalType, `[{"months":14,"days":3,"nanoseconds":0}, {"months":0,"days":-1,"nanoseconds":7200000000000}, null]`,
			[]string{"1 year 2 mons 3 days", "-1 days +02:00:00", "∅"}},
		{types.OidType, `[4294967295, 0, null]`, []string{"4294967295", "0", "∅"}},
		{types.ArrayOf(types.Int32), `[[1, null, 3], [], null]`, []string{"{1,NULL,3}", "{}", "∅"}},
		{types.ArrayOf(types.Text), `[["a", "b c", "", "NULL", "x\"y\\z"], [null], null]`,
			[]string{`{a,"b c","","NULL","x\"y\\z"}`, "{NULL}", "∅"}},
		{types.ArrayOf(types.TimestampTZ), `[[0], [], null]`, []string{`{"1970-01-01 00:00:00+00"}`, "{}", "∅"}},
		{types.ArrayOf(types.Bytea), `[["AQI="], [], null]`, []string{`{"\\x0102"}`, "{}", "∅"}},
		{types.ArrayOf(types.Float64), `[[1.5, "Inf"], [], null]`, []string{`{1.5,Infinity}`, "{}", "∅"}},
		{types.ArrayOf(types.Unknown), `[["x"], [], null]`, []string{`{x}`, "{}", "∅"}},
	}
	var e Encoder
	for _, c := range cases {
		rec := newRecord(t, fromJSON(t, mem, c.typ, c.js))
		if err := e.Encode(rec, []types.Type{c.typ}, nil); err != nil {
			t.Errorf("%s: %v", c.typ, err)
			rec.Release()
			continue
		}
		for r, row := range rowsAsText(&e) {
			got := "∅"
			if row[0] != nil {
				got = *row[0]
			}
			if got != c.want[r] {
				t.Errorf("%s row %d: got %q want %q", c.typ, r, got, c.want[r])
			}
		}
		e.Reset()
		rec.Release()
	}
}

func TestEncodeMultiColumnAndFormats(t *testing.T) {
	mem := checkedMem(t)
	rec := newRecord(t,
		fromJSON(t, mem, types.Int32Type, `[1, null]`),
		fromJSON(t, mem, types.TextType, `["a", ""]`),
		fromJSON(t, mem, types.BoolType, `[null, true]`),
	)
	defer rec.Release()
	typs := []types.Type{types.Int32Type, types.TextType, types.BoolType}
	var e Encoder
	if err := e.Encode(rec, typs, []Format{Binary, Text, Binary}); err != nil {
		t.Fatal(err)
	}
	r0 := e.Row(0, nil)
	if string(r0[0]) != "\x00\x00\x00\x01" || string(r0[1]) != "a" || r0[2] != nil {
		t.Errorf("row 0 = %q", r0)
	}
	r1 := e.Row(1, r0)
	if r1[0] != nil || r1[1] == nil || len(r1[1]) != 0 || string(r1[2]) != "\x01" {
		t.Errorf("row 1 = %q (empty text must be non-nil)", r1)
	}
	// One format applies to every column.
	if err := e.Encode(rec, typs, []Format{Binary}); err != nil {
		t.Fatal(err)
	}
	if got := e.Row(1, nil)[2]; string(got) != "\x01" {
		t.Errorf("single binary format: %q", got)
	}
}

func TestEncodeSlicedArrays(t *testing.T) {
	mem := checkedMem(t)
	strs := fromJSON(t, mem, types.TextType, `["skip", null, "x", "", "yz"]`)
	ints := fromJSON(t, mem, types.Int64Type, `[9, 8, null, 6, 5]`)
	lists := fromJSON(t, mem, types.ArrayOf(types.Int16), `[[9], [8], [1, 2], null, [3]]`)
	cols := []arrow.Array{array.NewSlice(strs, 2, 5), array.NewSlice(ints, 2, 5), array.NewSlice(lists, 2, 5)}
	strs.Release()
	ints.Release()
	lists.Release()
	rec := newRecord(t, cols...)
	defer rec.Release()
	var e Encoder
	if err := e.Encode(rec, []types.Type{types.TextType, types.Int64Type, types.ArrayOf(types.Int16)}, nil); err != nil {
		t.Fatal(err)
	}
	got := rowsAsText(&e)
	want := [][]string{{"x", "∅", "{1,2}"}, {"", "6", "∅"}, {"yz", "5", "{3}"}}
	for r := range want {
		for c := range want[r] {
			g := "∅"
			if got[r][c] != nil {
				g = *got[r][c]
			}
			if g != want[r][c] {
				t.Errorf("row %d col %d: got %q want %q", r, c, g, want[r][c])
			}
		}
	}
}

func TestEncodeOtherPhysicalTypes(t *testing.T) {
	mem := checkedMem(t)
	build := func(dt arrow.DataType, js string) arrow.Array {
		arr, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		return arr
	}
	cases := []struct {
		typ  types.Type
		arr  arrow.Array
		want string
	}{
		{types.TimestampType, build(&arrow.TimestampType{Unit: arrow.Nanosecond}, `[-1]`), "1969-12-31 23:59:59.999999"},
		{types.TimestampType, build(&arrow.TimestampType{Unit: arrow.Millisecond}, `[1500]`), "1970-01-01 00:00:01.5"},
		{types.TimestampTZType, build(&arrow.TimestampType{Unit: arrow.Second}, `[86400]`), "1970-01-02 00:00:00+00"},
		{types.TimestampTZType, build(&arrow.TimestampType{Unit: arrow.Second}, `[9223372036854775807]`), "infinity"},
		{types.DateType, build(arrow.FixedWidthTypes.Date64, `[-1]`), "1969-12-31"},
		{types.TextType, build(arrow.BinaryTypes.LargeString, `["large"]`), "large"},
		{types.TextType, build(arrow.BinaryTypes.StringView, `["view"]`), "view"},
		{types.ByteaType, build(arrow.BinaryTypes.LargeBinary, `["AQ=="]`), `\x01`},
	}
	var e Encoder
	for _, c := range cases {
		rec := newRecord(t, c.arr)
		if err := e.Encode(rec, []types.Type{c.typ}, nil); err != nil {
			t.Errorf("%s from %s: %v", c.typ, c.arr.DataType(), err)
		} else if got := string(e.Row(0, nil)[0]); got != c.want {
			t.Errorf("%s from %s: got %q want %q", c.typ, c.arr.DataType(), got, c.want)
		}
		rec.Release()
	}
}

func TestEncodeErrors(t *testing.T) {
	mem := checkedMem(t)
	ints := newRecord(t, fromJSON(t, mem, types.Int32Type, `[1]`))
	defer ints.Release()
	arrays := newRecord(t, fromJSON(t, mem, types.ArrayOf(types.Int32), `[[1]]`))
	defer arrays.Release()
	var e Encoder
	cases := []struct {
		name    string
		rec     arrow.RecordBatch
		typs    []types.Type
		formats []Format
		want    string
	}{
		{"type mismatch", ints, []types.Type{types.Int64Type}, nil, "does not hold bigint"},
		{"text from int", ints, []types.Type{types.TextType}, nil, "does not hold text"},
		{"too few types", ints, nil, nil, "1 columns but 0 types"},
		{"format count", arrays, []types.Type{types.ArrayOf(types.Int32)}, []Format{Text, Text}, "1 columns but 2 formats"},
		{"binary nested array", arrays, []types.Type{{Kind: types.Array, Elem: types.Array}}, []Format{Binary}, "binary format is not supported"},
		{"bad format", ints, []types.Type{types.Int32Type}, []Format{7}, "unknown format code 7"},
		{"nested", arrays, []types.Type{{Kind: types.Array, Elem: types.Array}}, nil, "nested arrays"},
		{"elem mismatch", arrays, []types.Type{types.ArrayOf(types.Text)}, nil, "array elements"},
	}
	for _, c := range cases {
		err := e.Encode(c.rec, c.typs, c.formats)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
		if e.Rows() != 0 {
			t.Errorf("%s: failed Encode left %d rows", c.name, e.Rows())
		}
	}
}

// TestEncodeFixedWidthNoAllocs checks that, once the arena has grown,
// encoding fixed-width columns and reading the rows back allocates
// nothing per value.
func TestEncodeFixedWidthNoAllocs(t *testing.T) {
	mem := checkedMem(t)
	rec := newRecord(t,
		fromJSON(t, mem, types.Int64Type, `[1, null, 3, -4]`),
		fromJSON(t, mem, types.Float64Type, `[1.5, 1e300, null, 0.1]`),
		fromJSON(t, mem, types.TimestampTZType, `[1700000000123456, 0, null, -1]`),
		fromJSON(t, mem, types.DateType, `[19782, null, -800000, 0]`),
		fromJSON(t, mem, types.IntervalType, `[{"months":1,"days":2,"nanoseconds":3000}, null, {"months":-13,"days":0,"nanoseconds":-5000}, {"months":0,"days":0,"nanoseconds":0}]`),
		fromJSON(t, mem, types.BoolType, `[true, null, false, true]`),
		fromJSON(t, mem, types.TextType, `["a", null, "bc", ""]`),
	)
	defer rec.Release()
	typs := []types.Type{types.Int64Type, types.Float64Type, types.TimestampTZType, types.DateType, types.IntervalType, types.BoolType, types.TextType}
	var e Encoder
	row := make([][]byte, 0, len(typs))
	for _, f := range []Format{Text, Binary} {
		formats := []Format{f}
		run := func() {
			if err := e.Encode(rec, typs, formats); err != nil {
				t.Fatal(err)
			}
			for r := range e.Rows() {
				row = e.Row(r, row)
			}
		}
		run()
		if n := testing.AllocsPerRun(50, run); n != 0 {
			t.Errorf("format %d: %v allocations per batch", f, n)
		}
	}
}

func TestResetDropsHugeArena(t *testing.T) {
	var e Encoder
	e.arena = make([]byte, 0, keepArena+1)
	e.Reset()
	if e.arena != nil {
		t.Error("huge arena kept")
	}
	e.arena = make([]byte, 10, 1024)
	e.Reset()
	if cap(e.arena) != 1024 || len(e.arena) != 0 {
		t.Errorf("small arena not reused: len %d cap %d", len(e.arena), cap(e.arena))
	}
}

func TestSupportsBinary(t *testing.T) {
	for _, typ := range []types.Type{types.BoolType, types.Float64Type, types.TimestampTZType, types.DateType, types.TextType, types.UnknownType, types.IntervalType, types.JSONBType, types.ByteaType} {
		if !SupportsBinary(typ) {
			t.Errorf("%s has a binary form", typ)
		}
	}
	if !SupportsBinary(types.ArrayOf(types.Int32)) || !SupportsBinary(types.ArrayOf(types.Unknown)) {
		t.Error("one-dimensional arrays have a binary form")
	}
	if SupportsBinary(types.Type{Kind: types.Array, Elem: types.Array}) {
		t.Error("nested arrays have no binary form")
	}
}

func TestEncodeEmptyBatch(t *testing.T) {
	mem := checkedMem(t)
	typs := []types.Type{types.TextType, types.ByteaType, types.Int32Type, types.ArrayOf(types.Text)}
	cols := make([]arrow.Array, len(typs))
	for i, typ := range typs {
		cols[i] = array.MakeArrayOfNull(mem, typ.Arrow(), 0)
	}
	rec := newRecord(t, cols...)
	defer rec.Release()
	var e Encoder
	for _, f := range []Format{Text, Binary} {
		formats := []Format{f, f, f, Text}
		if err := e.Encode(rec, typs, formats); err != nil || e.Rows() != 0 {
			t.Errorf("format %d: rows %d, %v", f, e.Rows(), err)
		}
	}
}
