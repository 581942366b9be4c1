package pgtypes

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tocsin-db/tocsin/sql/types"
)

// decodeKinds are the scalar types with parameter decoders, indexed by
// the fuzz targets.
var decodeKinds = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type,
	types.TextType, types.VarcharType, types.NameType, types.JSONBType, types.ByteaType, types.TimestampType,
	types.TimestampTZType, types.DateType, types.IntervalType, types.OidType, types.UnknownType,
}

func TestDecodeText(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC).UnixMicro()
	cases := []struct {
		typ  types.Type
		in   string
		want types.Datum
	}{
		{types.BoolType, "t", types.BoolDatum(true)},
		{types.BoolType, " FALSE ", types.BoolDatum(false)},
		{types.BoolType, "ye", types.BoolDatum(true)},
		{types.BoolType, "off", types.BoolDatum(false)},
		{types.BoolType, "1", types.BoolDatum(true)},
		{types.Int16Type, "-32768", types.IntDatum(types.Int16Type, -32768)},
		{types.Int32Type, " 42 ", types.IntDatum(types.Int32Type, 42)},
		{types.Int64Type, "-9223372036854775808", types.IntDatum(types.Int64Type, math.MinInt64)},
		{types.OidType, "4294967295", types.IntDatum(types.OidType, math.MaxUint32)},
		{types.Float32Type, "1.5", types.FloatDatum(types.Float32Type, 1.5)},
		{types.Float64Type, "-Infinity", types.FloatDatum(types.Float64Type, math.Inf(-1))},
		{types.Float64Type, "1e-3", types.FloatDatum(types.Float64Type, 0.001)},
		{types.TextType, "héllo", types.StringDatum(types.TextType, "héllo")},
		{types.UnknownType, "lit", types.StringDatum(types.UnknownType, "lit")},
		{types.NameType, strings.Repeat("é", 40), types.StringDatum(types.NameType, strings.Repeat("é", 31))},
		{types.JSONBType, `{"b":1, "a":[true]}`, types.StringDatum(types.JSONBType, `{"a": [true], "b": 1}`)},
		{types.ByteaType, `\xDEadbe ef`, types.StringDatum(types.ByteaType, "\xde\xad\xbe\xef")},
		{types.ByteaType, `a\\b\001`, types.StringDatum(types.ByteaType, "a\\b\x01")},
		{types.DateType, "2024-02-29", types.IntDatum(types.DateType, 19782)},
		{types.DateType, "-infinity", types.IntDatum(types.DateType, math.MinInt32)},
		{types.DateType, "1999-12-31 23:00:00-02", types.IntDatum(types.DateType, 10957)},
		{types.TimestampType, "2024-02-29 13:14:15.123456", types.IntDatum(types.TimestampType, ts)},
		{types.TimestampTZType, "2024-02-29 15:14:15.123456+02:00:00", types.IntDatum(types.TimestampTZType, ts)},
		{types.TimestampTZType, "2024-02-29T13:14:15.123456Z", types.IntDatum(types.TimestampTZType, ts)},
		{types.TimestampTZType, "infinity", types.IntDatum(types.TimestampTZType, math.MaxInt64)},
		{types.IntervalType, "1 day 02:00:00", types.Datum{Type: types.IntervalType, Iv: types.IntervalValue{Days: 1, Micros: 2 * types.MicrosPerHour}}},
	}
	for _, c := range cases {
		got, err := DecodeText(c.typ, []byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("DecodeText(%s, %q) = %+v, %v; want %+v", c.typ, c.in, got, err, c.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		typ  types.Type
		f    Format
		in   string
		code string
	}{
		{types.Int32Type, Text, "abc", CodeInvalidText},
		{types.Int32Type, Text, "", CodeInvalidText},
		{types.Int16Type, Text, "40000", CodeOutOfRange},
		{types.Int64Type, Text, "99999999999999999999", CodeOutOfRange},
		{types.OidType, Text, "-1", CodeInvalidText},
		{types.BoolType, Text, "maybe", CodeInvalidText},
		{types.BoolType, Text, "o", CodeInvalidText},
		{types.Float64Type, Text, "0x1p3", CodeInvalidText},
		{types.Float64Type, Text, "1e400", CodeOutOfRange},
		{types.TextType, Text, "a\x00b", CodeCharacterNotInRepertoire},
		{types.TextType, Binary, "\xff\xfe", CodeCharacterNotInRepertoire},
		{types.JSONBType, Text, "{", "22P02"},
		{types.ByteaType, Text, `\x0`, CodeInvalidText},
		{types.ByteaType, Text, `\q`, CodeInvalidText},
		{types.DateType, Text, "2024-13-01", CodeDatetimeOverflow},
		{types.DateType, Text, "yesterday-ish", CodeDatetimeFormat},
		{types.TimestampType, Text, "soon", CodeDatetimeFormat},
		{types.IntervalType, Text, "1 fortnight", CodeDatetimeFormat},
		{types.Int32Type, Binary, "\x00\x00\x01", CodeProtocolViolation},
		{types.Int64Type, Binary, "", CodeProtocolViolation},
		{types.BoolType, Binary, "\x01\x00", CodeProtocolViolation},
		{types.Float32Type, Binary, "\x00\x00\x00\x00\x00", CodeProtocolViolation},
		{types.IntervalType, Binary, "\x00", CodeProtocolViolation},
		{types.JSONBType, Binary, "\x02{}", CodeProtocolViolation},
		{types.JSONBType, Binary, "", CodeProtocolViolation},
		{types.TimestampType, Binary, "\x7f\xff\xff\xff\xff\xff\xff\x00", CodeDatetimeOverflow},
		{types.DateType, Binary, "\x7f\xff\xff\x00", CodeDatetimeOverflow},
		{types.ArrayOf(types.Int32), Text, "{1}", CodeFeatureNotSupported},
		{types.ArrayOf(types.Int32), Binary, "", CodeFeatureNotSupported},
	}
	for _, c := range cases {
		_, err := DecodeParam(0, c.typ, c.f, []byte(c.in))
		var de *DecodeError
		if !errors.As(err, &de) || de.Code != c.code {
			t.Errorf("DecodeParam(%s, %d, %q) = %v, want code %s", c.typ, c.f, c.in, err, c.code)
		}
	}
	if _, err := DecodeParam(0, types.Int32Type, 2, []byte("1")); err == nil {
		t.Error("format code 2 accepted")
	}
	if d, err := DecodeParam(0, types.Int32Type, Binary, nil); err != nil || !d.Null || d.Type != types.Int32Type {
		t.Errorf("NULL decoded to %+v, %v", d, err)
	}
}

func TestParamType(t *testing.T) {
	cases := []struct {
		oid  uint32
		want types.Type
		ok   bool
	}{
		{0, types.Type{}, true},
		{OIDUnknown, types.Type{}, true},
		{OIDInt8, types.Int64Type, true},
		{OIDJSON, types.JSONBType, true},
		{OIDNumeric, types.Float64Type, true},
		{OIDTextArray, types.ArrayOf(types.Text), true},
		{2950, types.Type{}, false}, // uuid
	}
	for _, c := range cases {
		got, ok := ParamType(c.oid)
		if got != c.want || ok != c.ok {
			t.Errorf("ParamType(%d) = %v, %v; want %v, %v", c.oid, got, ok, c.want, c.ok)
		}
	}
}

// TestDecodePgxEncoded decodes what pgx sends for Go values, in both
// formats, which is what Bind carries from pgx clients.
func TestDecodePgxEncoded(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	cases := []struct {
		oid  uint32
		typ  types.Type
		v    any
		want types.Datum
	}{
		{OIDBool, types.BoolType, true, types.BoolDatum(true)},
		{OIDInt2, types.Int16Type, int16(-7), types.IntDatum(types.Int16Type, -7)},
		{OIDInt4, types.Int32Type, int32(math.MinInt32), types.IntDatum(types.Int32Type, math.MinInt32)},
		{OIDInt8, types.Int64Type, int64(math.MaxInt64), types.IntDatum(types.Int64Type, math.MaxInt64)},
		{OIDOid, types.OidType, uint32(math.MaxUint32), types.IntDatum(types.OidType, math.MaxUint32)},
		{OIDFloat4, types.Float32Type, float32(-2.5), types.FloatDatum(types.Float32Type, -2.5)},
		{OIDFloat8, types.Float64Type, 1.0 / 3, types.FloatDatum(types.Float64Type, 1.0/3)},
		{OIDText, types.TextType, "héllo", types.StringDatum(types.TextType, "héllo")},
		{OIDVarchar, types.VarcharType, "", types.StringDatum(types.VarcharType, "")},
		{OIDName, types.NameType, "pg_catalog", types.StringDatum(types.NameType, "pg_catalog")},
		{OIDBytea, types.ByteaType, []byte{0, 0xff, '\\'}, types.StringDatum(types.ByteaType, "\x00\xff\\")},
		{OIDJSONB, types.JSONBType, map[string]any{"a": 1}, types.StringDatum(types.JSONBType, `{"a": 1}`)},
		{OIDJSON, types.JSONBType, map[string]any{"a": 1}, types.StringDatum(types.JSONBType, `{"a": 1}`)},
		{OIDDate, types.DateType, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), types.IntDatum(types.DateType, 10956)},
		{OIDDate, types.DateType, pgtype.Date{InfinityModifier: pgtype.Infinity, Valid: true}, types.IntDatum(types.DateType, math.MaxInt32)},
		{OIDTimestamp, types.TimestampType, ts, types.IntDatum(types.TimestampType, ts.UnixMicro())},
		{OIDTimestampTZ, types.TimestampTZType, ts.In(time.FixedZone("x", 5400)), types.IntDatum(types.TimestampTZType, ts.UnixMicro())},
		{OIDTimestampTZ, types.TimestampTZType, pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, types.IntDatum(types.TimestampTZType, math.MinInt64)},
		{OIDInterval, types.IntervalType, pgtype.Interval{Months: 14, Days: -3, Microseconds: 7200000001, Valid: true},
			types.Datum{Type: types.IntervalType, Iv: types.IntervalValue{Months: 14, Days: -3, Micros: 7200000001}}},
		{OIDInterval, types.IntervalType, 90 * time.Second, types.Datum{Type: types.IntervalType, Iv: types.IntervalValue{Micros: 90_000_000}}},
		{OIDNumeric, types.Float64Type, 1234.5678, types.FloatDatum(types.Float64Type, 1234.5678)},
		{OIDNumeric, types.Float64Type, pgtype.Numeric{Int: big.NewInt(-15), Exp: -1, Valid: true}, types.FloatDatum(types.Float64Type, -1.5)},
		{OIDNumeric, types.Float64Type, pgtype.Numeric{Int: big.NewInt(12), Exp: 30, Valid: true}, types.FloatDatum(types.Float64Type, 1.2e31)},
		{OIDNumeric, types.Float64Type, pgtype.Numeric{Int: big.NewInt(0), Valid: true}, types.FloatDatum(types.Float64Type, 0)},
	}
	m := pgtype.NewMap()
	for _, c := range cases {
		for _, f := range []Format{Text, Binary} {
			raw, err := m.Encode(c.oid, int16(f), c.v, make([]byte, 0, 16))
			if err != nil {
				t.Fatalf("pgx cannot encode %#v as OID %d format %d: %v", c.v, c.oid, f, err)
			}
			got, err := DecodeParam(c.oid, c.typ, f, raw)
			if err != nil || got != c.want {
				t.Errorf("OID %d format %d %q: got %+v, %v; want %+v", c.oid, f, raw, got, err, c.want)
			}
		}
	}
}

func TestDecodeNumericSpecials(t *testing.T) {
	m := pgtype.NewMap()
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		raw, err := m.Encode(OIDNumeric, int16(Binary), v, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeNumericBinary(raw)
		if err != nil || !(got == v || math.IsNaN(v) && math.IsNaN(got)) {
			t.Errorf("%v: got %v, %v", v, got, err)
		}
	}
	for _, raw := range []string{"", "\x00\x01\x00\x00\x00\x00\x00\x00", "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", "\x00\x00\x00\x00\x12\x34\x00\x00", "\xff\xff\x00\x00\x00\x00\x00\x00"} {
		if _, err := DecodeNumericBinary([]byte(raw)); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
	// 10000^(32767+1) overflows float64.
	if _, err := DecodeNumericBinary([]byte("\x00\x01\x7f\xff\x00\x00\x00\x00\x00\x01")); err == nil {
		t.Error("huge numeric accepted")
	}
}

// TestBinaryArrayNulls checks the binary array form with NULL elements
// and empty arrays against pgx's decoder.
func TestBinaryArrayNulls(t *testing.T) {
	mem := checkedMem(t)
	rec := newRecord(t, fromJSON(t, mem, types.ArrayOf(types.Int32), `[[1, null, 3], [], null]`))
	defer rec.Release()
	var e Encoder
	if err := e.Encode(rec, []types.Type{types.ArrayOf(types.Int32)}, []Format{Binary}); err != nil {
		t.Fatal(err)
	}
	m := pgtype.NewMap()
	var got []*int32
	if err := m.Scan(OIDInt4Array, int16(Binary), e.Row(0, nil)[0], &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || *got[0] != 1 || got[1] != nil || *got[2] != 3 {
		t.Errorf("row 0 decoded to %v", got)
	}
	if err := m.Scan(OIDInt4Array, int16(Binary), e.Row(1, nil)[0], &got); err != nil || got == nil || len(got) != 0 {
		t.Errorf("row 1 decoded to %v, %v", got, err)
	}
	if e.Row(2, nil)[0] != nil {
		t.Error("NULL array not NULL")
	}
}
