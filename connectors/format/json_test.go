package format

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestJSONMalformed(t *testing.T) {
	schema := types.Schema{col("a", types.TextType)}
	cases := []struct{ name, in string }{
		{"empty", ``},
		{"spaces only", "  \n"},
		{"truncated object", `{"a": "x"`},
		{"truncated string", `{"a": "x`},
		{"truncated key", `{"a`},
		{"truncated after colon", `{"a":`},
		{"truncated escape", `{"a": "\`},
		{"truncated unicode escape", `{"a": "\u12`},
		{"trailing garbage", `{"a": 1} x`},
		{"two objects", `{} {}`},
		{"trailing comma", `{"a": 1,}`},
		{"leading comma", `{,"a": 1}`},
		{"missing colon", `{"a" 1}`},
		{"missing comma", `{"a": 1 "b": 2}`},
		{"unquoted key", `{a: 1}`},
		{"single quotes", `{'a': 1}`},
		{"bare NaN", `{"a": NaN}`},
		{"bare Infinity", `{"a": Infinity}`},
		{"negative Infinity", `{"a": -Infinity}`},
		{"leading zero", `{"a": 01}`},
		{"leading plus", `{"a": +1}`},
		{"dot without digits", `{"a": 1.}`},
		{"leading dot", `{"a": .5}`},
		{"exponent without digits", `{"a": 1e}`},
		{"hex number", `{"a": 0x10}`},
		{"bad literal", `{"a": tru}`},
		{"literal with suffix", `{"a": truex}`},
		{"capitalised literal", `{"a": True}`},
		{"invalid escape", `{"a": "\x41"}`},
		{"invalid unicode escape", `{"a": "\u12G4"}`},
		{"control character in string", "{\"a\": \"x\ty\"}"},
		{"newline in string", "{\"a\": \"x\ny\"}"},
		{"NUL in string", "{\"a\": \"x\x00\"}"},
		{"invalid UTF-8 in value", "{\"a\": \"\xff\"}"},
		{"invalid UTF-8 in key", "{\"\xc3\x28\": 1}"},
		{"invalid UTF-8 in skipped value", "{\"zz\": [\"\xed\xa0\x80\"]}"},
		{"invalid UTF-8 outside strings", "{\"a\": 1\xa0}"},
		{"UTF-8 BOM", "\xef\xbb\xbf{}"},
		{"unclosed array in skipped value", `{"zz": [1, 2}`},
		{"array trailing comma", `{"zz": [1,]}`},
		{"not an object: array", `[1, 2]`},
		{"not an object: string", `"a"`},
		{"not an object: number", `42`},
		{"not an object: null", `null`},
		{"not an object: invalid", `nope`},
		{"comment", `{"a": 1 /* c */}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeOne(t, schema, tc.in)
			if classOf(err) != connectors.RejectMalformed {
				t.Fatalf("%q: got %v, want a malformed reject", tc.in, err)
			}
		})
	}
}

func TestJSONMaxDepth(t *testing.T) {
	schema := types.Schema{col("a", types.JSONBType)}
	d := newTestDecoder(t, schema, JSONOptions{MaxDepth: 3})
	if err := d.Append([]byte(`{"a": [{"b": 1}]}`)); err != nil {
		t.Fatalf("depth 3: %v", err)
	}
	for _, in := range []string{`{"a": [[[1]]]}`, `{"x": {"y": {"z": {}}}}`} {
		err := d.Append([]byte(in))
		if classOf(err) != connectors.RejectMalformed || !strings.Contains(err.Error(), "nesting") {
			t.Fatalf("%s: got %v, want a nesting reject", in, err)
		}
	}
	// The default limit accepts deep-but-sane documents and rejects
	// pathological ones without blowing the stack.
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}` }
	if _, err := decodeOne(t, schema, deep(DefaultMaxDepth)); err != nil {
		t.Fatalf("depth %d: %v", DefaultMaxDepth, err)
	}
	if _, err := decodeOne(t, schema, deep(DefaultMaxDepth+1)); classOf(err) != connectors.RejectMalformed {
		t.Fatalf("depth %d: got %v", DefaultMaxDepth+1, err)
	}
	if _, err := decodeOne(t, schema, deep(100000)); classOf(err) != connectors.RejectMalformed {
		t.Fatalf("depth 100000: got %v", err)
	}
}

func TestJSONKeys(t *testing.T) {
	schema := types.Schema{
		col("id", types.Int64Type),
		col("Name", types.TextType),
		col("ÉTÉ", types.TextType),
	}
	cases := []struct {
		name, in string
		want     []any
	}{
		{"exact", `{"id": 1, "Name": "a", "ÉTÉ": "x"}`, []any{int64(1), "a", "x"}},
		{"absent is null", `{}`, []any{nil, nil, nil}},
		{"json null is null", `{"id": null, "Name": null}`, []any{nil, nil, nil}},
		{"case-insensitive", `{"ID": 2, "name": "b", "été": "y"}`, []any{int64(2), "b", "y"}},
		{"exact beats case-insensitive after it", `{"Name": "exact", "NAME": "fold"}`, []any{nil, "exact", nil}},
		{"exact beats case-insensitive before it", `{"NAME": "fold", "Name": "exact"}`, []any{nil, "exact", nil}},
		{"duplicate exact: last wins", `{"id": 1, "id": 2}`, []any{int64(2), nil, nil}},
		{"duplicate folded: last wins", `{"ID": 1, "Id": 3}`, []any{int64(3), nil, nil}},
		{"last null wins", `{"id": 1, "id": null}`, []any{nil, nil, nil}},
		{"escaped key", `{"\u0069d": 5, "N\u0061me": "e"}`, []any{int64(5), "e", nil}},
		{"unknown keys skipped", `{"zz": {"a": [1, {"b": null}], "c": "\u00e9"}, "id": 7, "yy": [true, false, null, -1.5e3]}`, []any{int64(7), nil, nil}},
		{"whitespace everywhere", " \t\r\n{ \"id\" \n:\t 8 , \"Name\" : \"w\" } \n", []any{int64(8), "w", nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeOne(t, schema, tc.in)
			if err != nil {
				t.Fatalf("%s: %v", tc.in, err)
			}
			assertRow(t, got, tc.want)
		})
	}
	// One decoder for every case, forwards then backwards: the k-th key
	// of a record names something else than the previous record's
	// (another column, a folded match, an unknown key), so a stale key
	// hint would show up as a wrong row.
	t.Run("key hints across records", func(t *testing.T) {
		d := newTestDecoder(t, schema, JSONOptions{})
		order := make([]int, 0, 2*len(cases))
		for i := range cases {
			order = append(order, i)
		}
		for i := len(cases) - 1; i >= 0; i-- {
			order = append(order, i)
		}
		for _, i := range order {
			if err := d.Append([]byte(cases[i].in)); err != nil {
				t.Fatalf("%s: %v", cases[i].in, err)
			}
		}
		rec := d.Flush()
		defer rec.Release()
		for r, i := range order {
			assertRow(t, rowValues(rec, r), cases[i].want)
		}
	})
}

func assertRow(t *testing.T, got, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("column %d: got %#v, want %#v", i, got[i], want[i])
		}
	}
}

// convCase decodes `{"v": <in>}` into a single column of type typ.
type convCase struct {
	typ  types.Type
	in   string
	want any                   // expected value when class is 0
	cls  connectors.ErrorClass // expected reject class, or 0
}

func runConvCases(t *testing.T, cases []convCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.typ.String()+"/"+tc.in, func(t *testing.T) {
			got, err := decodeOne(t, types.Schema{col("v", tc.typ)}, `{"v": `+tc.in+`}`)
			if tc.cls != 0 {
				if classOf(err) != tc.cls {
					t.Fatalf("got %v (%v), want class %v", got, err, tc.cls)
				}
				if !strings.Contains(err.Error(), `"v"`) {
					t.Errorf("error %q does not name the column", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got[0] != tc.want {
				t.Fatalf("got %#v, want %#v", got[0], tc.want)
			}
		})
	}
}

const conv = connectors.RejectConversion

func TestJSONConvertBool(t *testing.T) {
	b := types.BoolType
	runConvCases(t, []convCase{
		{b, `true`, true, 0},
		{b, `false`, false, 0},
		{b, `"t"`, true, 0},
		{b, `"TRUE"`, true, 0},
		{b, `" yes "`, true, 0},
		{b, `"on"`, true, 0},
		{b, `"1"`, true, 0},
		{b, `"f"`, false, 0},
		{b, `"No"`, false, 0},
		{b, `"off"`, false, 0},
		{b, `"of"`, false, 0},
		{b, `"0"`, false, 0},
		{b, `"o"`, nil, conv},
		{b, `"maybe"`, nil, conv},
		{b, `""`, nil, conv},
		{b, `1`, nil, conv},
		{b, `{}`, nil, conv},
		{b, `[]`, nil, conv},
	})
}

func TestJSONConvertIntegers(t *testing.T) {
	i16, i32, i64, oid := types.Int16Type, types.Int32Type, types.Int64Type, types.OidType
	runConvCases(t, []convCase{
		{i32, `500`, int64(500), 0},
		{i32, `-0`, int64(0), 0},
		{i32, `"500"`, int64(500), 0},
		{i32, `" -42 "`, int64(-42), 0},
		{i32, `"+7"`, int64(7), 0},
		{i32, `"\u0035"`, int64(5), 0},
		{i32, `2147483647`, int64(math.MaxInt32), 0},
		{i32, `-2147483648`, int64(math.MinInt32), 0},
		{i32, `2147483648`, nil, conv},
		{i32, `-2147483649`, nil, conv},
		{i32, `1.0`, nil, conv},
		{i32, `1.5`, nil, conv},
		{i32, `1e3`, nil, conv},
		{i32, `"1.0"`, nil, conv},
		{i32, `"12abc"`, nil, conv},
		{i32, `""`, nil, conv},
		{i32, `"-"`, nil, conv},
		{i32, `"0x10"`, nil, conv},
		{i32, `true`, nil, conv},
		{i32, `[1]`, nil, conv},
		{i32, `{"a": 1}`, nil, conv},
		{i16, `32767`, int64(math.MaxInt16), 0},
		{i16, `-32768`, int64(math.MinInt16), 0},
		{i16, `32768`, nil, conv},
		{i64, `9223372036854775807`, int64(math.MaxInt64), 0},
		{i64, `-9223372036854775808`, int64(math.MinInt64), 0},
		{i64, `9223372036854775808`, nil, conv},
		{i64, `-9223372036854775809`, nil, conv},
		{i64, `123456789012345678901234567890`, nil, conv},
		{i64, `"9223372036854775807"`, int64(math.MaxInt64), 0},
		{oid, `4294967295`, int64(math.MaxUint32), 0},
		{oid, `-1`, nil, conv},
	})
}

func TestJSONConvertFloats(t *testing.T) {
	f32, f64 := types.Float32Type, types.Float64Type
	runConvCases(t, []convCase{
		{f64, `1.5`, 1.5, 0},
		{f64, `-0.25e2`, -25.0, 0},
		{f64, `7`, 7.0, 0},
		{f64, `1e-400`, 0.0, 0},
		{f64, `"3.25"`, 3.25, 0},
		{f64, `" 1e3 "`, 1000.0, 0},
		{f64, `".5"`, 0.5, 0},
		{f64, `"5."`, 5.0, 0},
		{f64, `"+2"`, 2.0, 0},
		{f64, `1e400`, nil, conv},
		{f64, `-1e400`, nil, conv},
		{f64, `"1e400"`, nil, conv},
		{f64, `"NaN"`, nil, conv},
		{f64, `"nan"`, nil, conv},
		{f64, `"Infinity"`, nil, conv},
		{f64, `"-Infinity"`, nil, conv},
		{f64, `"inf"`, nil, conv},
		{f64, `"0x1p3"`, nil, conv},
		{f64, `"1_000"`, nil, conv},
		{f64, `"abc"`, nil, conv},
		{f64, `""`, nil, conv},
		{f64, `"."`, nil, conv},
		{f64, `true`, nil, conv},
		{f64, `[1.5]`, nil, conv},
		{f32, `1.5`, 1.5, 0},
		{f32, `1e39`, nil, conv},
		{f32, `"3.4e38"`, float64(float32(3.4e38)), 0},
	})
}

func TestJSONConvertText(t *testing.T) {
	txt, vc, js := types.TextType, types.VarcharType, types.JSONBType
	runConvCases(t, []convCase{
		{txt, `"plain"`, "plain", 0},
		{txt, `""`, "", 0},
		{txt, `"q\"b\\s\/n\nt\tr\rb\bf\f"`, "q\"b\\s/n\nt\tr\rb\bf\f", 0},
		{txt, `"\u00e9\u4e2d"`, "é中", 0},
		{txt, `"\ud83d\ude00"`, "😀", 0},
		{txt, `"\ud83d"`, "\ufffd", 0},
		{txt, `"\ude00x"`, "\ufffdx", 0},
		{txt, `"\ud83d\u0041"`, "\ufffdA", 0},
		{txt, `"raw é 中 😀"`, "raw é 中 😀", 0},
		{txt, `"\u0000"`, nil, conv},
		{txt, `12.50`, "12.50", 0},
		{txt, `-1e5`, "-1e5", 0},
		{txt, `true`, "true", 0},
		{txt, `false`, "false", 0},
		{txt, `[1]`, nil, conv},
		{txt, `{}`, nil, conv},
		{vc, `"v"`, "v", 0},
		{js, `{"a": [1, "x"], "b": null}`, `{"a": [1, "x"], "b": null}`, 0},
		{js, `[ 1 ,2 ]`, `[1, 2]`, 0},
		{js, `{"b":1,"a":{"y":1e2,"x":-0},"b":2}`, `{"a": {"x": 0, "y": 100}, "b": 2}`, 0},
		{js, `"s\u0000"`, nil, conv},
		{js, `3.0`, `3.0`, 0},
		{js, `false`, `false`, 0},
	})
}

func TestJSONConvertTime(t *testing.T) {
	ts, tz, date, ivl := types.TimestampType, types.TimestampTZType, types.DateType, types.IntervalType
	us := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	day := func(s string) int64 {
		tm, _ := time.Parse("2006-01-02", s)
		return tm.Unix() / 86400
	}
	runConvCases(t, []convCase{
		{tz, `1700000000123`, int64(1700000000123000), 0},
		{tz, `1700000000123.456`, int64(1700000000123456), 0},
		{tz, `1700000000123.4565`, int64(1700000000123457), 0},
		{tz, `1700000000123.4564999`, int64(1700000000123456), 0},
		{tz, `-1.5`, int64(-1500), 0},
		{tz, `-0.0005`, int64(-1), 0},
		{tz, `0.0004`, int64(0), 0},
		{tz, `1.7e12`, int64(1700000000000000), 0},
		{tz, `17e-1`, int64(1700), 0},
		{tz, `0e999999999`, int64(0), 0},
		{tz, `1e-999999999`, int64(0), 0},
		{tz, `9223372036854775`, int64(9223372036854775000), 0},
		{tz, `9223372036854776`, nil, conv},
		{tz, `1e20`, nil, conv},
		{tz, `"2024-01-02T03:04:05Z"`, us("2024-01-02T03:04:05Z"), 0},
		{tz, `"2024-01-02T03:04:05.123456789+02:00"`, us("2024-01-02T01:04:05.123456Z"), 0},
		{tz, `"2024-01-02 03:04:05.5+00"`, us("2024-01-02T03:04:05.5Z"), 0},
		{tz, `"2024-01-02 03:04:05-0130"`, us("2024-01-02T04:34:05Z"), 0},
		{tz, `"2024-01-02 03:04"`, us("2024-01-02T03:04:00Z"), 0},
		{tz, `"2024-01-02"`, us("2024-01-02T00:00:00Z"), 0},
		{tz, `"epoch"`, int64(0), 0},
		{tz, `"2024-02-30T00:00:00Z"`, nil, conv},
		{tz, `"2024-01-02T24:00:00Z"`, nil, conv},
		{tz, `"yesterday-ish"`, nil, conv},
		{tz, `"1700000000123"`, nil, conv},
		{tz, `true`, nil, conv},
		{tz, `{}`, nil, conv},
		{ts, `1000`, int64(1000000), 0},
		{ts, `"1999-12-31T23:59:59.999999"`, us("1999-12-31T23:59:59.999999Z"), 0},
		{date, `"2024-02-29"`, day("2024-02-29"), 0},
		{date, `"1969-12-31"`, int64(-1), 0},
		{date, `"2023-02-29"`, nil, conv},
		{date, `"2024-1-2"`, nil, conv},
		{date, `20240101`, nil, conv},
		{ivl, `"1 day 02:00:00"`, arrow.MonthDayNanoInterval{Days: 1, Nanoseconds: 2 * 3600 * 1e9}, 0},
		{ivl, `"2 mons 3 seconds"`, arrow.MonthDayNanoInterval{Months: 2, Nanoseconds: 3e9}, 0},
		{ivl, `"soon"`, nil, conv},
		{ivl, `60`, nil, conv},
	})
}

func TestJSONNotNull(t *testing.T) {
	schema := types.Schema{
		{Name: "k", Type: types.TextType, Nullable: false},
		col("v", types.Int64Type),
	}
	for _, in := range []string{`{"v": 1}`, `{"k": null, "v": 1}`} {
		_, err := decodeOne(t, schema, in)
		if classOf(err) != connectors.RejectMissing || !strings.Contains(err.Error(), `"k"`) {
			t.Fatalf("%s: got %v, want a missing-field reject naming k", in, err)
		}
	}
	got, err := decodeOne(t, schema, `{"k": "x"}`)
	if err != nil {
		t.Fatal(err)
	}
	assertRow(t, got, []any{"x", nil})
}

// TestJSONAppendIsAtomic checks that a record failing late (after earlier
// columns converted) leaves no partial row behind, and that the decoder
// keeps producing correct batches across flushes.
func TestJSONAppendIsAtomic(t *testing.T) {
	schema := types.Schema{
		col("a", types.TextType),
		col("b", types.Int32Type),
		{Name: "c", Type: types.Float64Type, Nullable: false},
	}
	d := newTestDecoder(t, schema, JSONOptions{})
	inputs := []struct {
		in string
		ok bool
	}{
		{`{"a": "r\u00e9", "b": 1, "c": 1.5}`, true},
		{`{"a": "bad", "b": 2, "c": "x"}`, false},         // conversion in the last column
		{`{"a": "bad", "b": 2}`, false},                   // missing NOT NULL
		{`{"a": "bad", "b": 99999999999, "c": 1}`, false}, // range in the middle
		{`{"a": "bad", "b": 2, "c": 1`, false},            // truncated
		{`{"a": "ok", "c": 2}`, true},
	}
	for round := 0; round < 3; round++ {
		for _, in := range inputs {
			err := d.Append([]byte(in.in))
			if (err == nil) != in.ok {
				t.Fatalf("%s: err = %v", in.in, err)
			}
		}
		if d.Len() != 2 {
			t.Fatalf("Len = %d, want 2", d.Len())
		}
		rec := d.Flush()
		if rec.NumRows() != 2 || d.Len() != 0 {
			t.Fatalf("flushed %d rows, Len after = %d", rec.NumRows(), d.Len())
		}
		if !rec.Schema().Equal(schema.Arrow()) {
			t.Fatalf("schema %v", rec.Schema())
		}
		assertRow(t, rowValues(rec, 0), []any{"ré", int64(1), 1.5})
		assertRow(t, rowValues(rec, 1), []any{"ok", nil, 2.0})
		rec.Release()
	}
	empty := d.Flush()
	if empty.NumRows() != 0 || empty.NumCols() != 3 {
		t.Fatalf("empty flush: %d rows %d cols", empty.NumRows(), empty.NumCols())
	}
	empty.Release()
}

func TestJSONUnsupportedType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	_, err := NewJSONDecoder(mem, types.Schema{col("ok", types.TextType), col("blob", types.ByteaType)}, JSONOptions{})
	if sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported || !strings.Contains(err.Error(), "blob") {
		t.Fatalf("got %v", err)
	}
	mem.AssertSize(t, 0)
}

func TestJSONMessages(t *testing.T) {
	schema := types.Schema{col("status", types.Int32Type)}
	cases := []struct{ in, want string }{
		{`{"status": "abc"}`, `column "status": invalid input syntax for type integer: "abc"`},
		{`{"status": 1e3}`, `column "status": invalid input syntax for type integer: "1e3"`},
		{`{"status": 3000000000}`, `column "status": value "3000000000" is out of range for type integer`},
		{`{"status": [1]}`, `column "status": cannot convert JSON array to type integer`},
		{`{"status": 1,}`, `invalid JSON at byte 13: unexpected character '}'`},
		{`{"status": 1} 2`, `invalid JSON at byte 14: unexpected data after the top-level object: character '2'`},
		{`[1]`, `top-level JSON value is an array, not an object`},
	}
	for _, tc := range cases {
		_, err := decodeOne(t, schema, tc.in)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
	}
}
