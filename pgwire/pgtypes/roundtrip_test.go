package pgtypes

import (
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tocsin-db/tocsin/sql/types"
)

// TestPgxRoundTrip encodes values in every format a type supports and
// decodes them with pgx's own decoders, which is what clients run.
func TestPgxRoundTrip(t *testing.T) {
	mem := checkedMem(t)
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	old := time.Date(1901, 1, 1, 0, 0, 0, 1000, time.UTC)
	cases := []struct {
		typ  types.Type
		js   string
		want []any
	}{
		{types.BoolType, `[true, false]`, []any{true, false}},
		{types.Int16Type, `[-32768, 32767]`, []any{int16(-32768), int16(32767)}},
		{types.Int32Type, `[-2147483648, 42]`, []any{int32(-2147483648), int32(42)}},
		{types.Int64Type, `[-9223372036854775808, 9223372036854775807]`, []any{int64(math.MinInt64), int64(math.MaxInt64)}},
		{types.Float32Type, `[3.4028235e38, -1.5e-7, "Inf"]`, []any{float32(math.MaxFloat32), float32(-1.5e-7), float32(math.Inf(1))}},
		{types.Float64Type, `[1234567.125, 5e-324, 1e300, "-Inf"]`, []any{1234567.125, 5e-324, 1e300, math.Inf(-1)}},
		{types.TextType, `["héllo wörld", ""]`, []any{"héllo wörld", ""}},
		{types.VarcharType, `["v"]`, []any{"v"}},
		{types.NameType, `["pg_catalog"]`, []any{"pg_catalog"}},
		{types.JSONBType, `["{\"a\":[1,2]}"]`, []any{`{"a":[1,2]}`}},
		{types.ByteaType, `["3q2+7w==", ""]`, []any{[]byte{0xde, 0xad, 0xbe, 0xef}, []byte{}}},
		{types.TimestampType, `[1709212455123456, -2177452799999999]`, []any{ts, old}},
		{types.TimestampTZType, `[1709212455123456, 0]`, []any{ts, time.Unix(0, 0).UTC()}},
		{types.DateType, `[19782, -25567]`, []any{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{types.IntervalType, `[{"months":14,"days":-3,"nanoseconds":7200000001000}, {"months":0,"days":0,"nanoseconds":-5000}]`,
			[]any{pgtype.Interval{Months: 14, Days: -3, Microseconds: 7200000001, Valid: true}, pgtype.Interval{Microseconds: -5, Valid: true}}},
		{types.OidType, `[4294967295]`, []any{uint32(4294967295)}},
		{types.ArrayOf(types.Int32), `[[1, 2, 3], []]`, []any{[]int32{1, 2, 3}, []int32{}}},
		{types.ArrayOf(types.Text), `[["a", "b c", "", "NULL", "q\"uo\\te", "{x}", "é,"]]`, []any{[]string{"a", "b c", "", "NULL", `q"uo\te`, "{x}", "é,"}}},
		{types.ArrayOf(types.Float64), `[[1.5, 1e20, "NaN"]]`, []any{[]float64{1.5, 1e20, math.NaN()}}},
		{types.ArrayOf(types.Bool), `[[true, false]]`, []any{[]bool{true, false}}},
	}
	m := pgtype.NewMap()
	var e Encoder
	for _, c := range cases {
		info, _ := Info(c.typ)
		rec := newRecord(t, fromJSON(t, mem, c.typ, c.js))
		formats := []Format{Text}
		if SupportsBinary(c.typ) {
			formats = append(formats, Binary)
		}
		for _, f := range formats {
			if err := e.Encode(rec, []types.Type{c.typ}, []Format{f}); err != nil {
				t.Fatalf("%s: %v", c.typ, err)
			}
			for r, want := range c.want {
				raw := e.Row(r, nil)[0]
				got, err := scanAs(m, info.OID, f, raw, want)
				if err != nil {
					t.Errorf("%s format %d row %d: pgx cannot decode %q: %v", c.typ, f, r, raw, err)
					continue
				}
				if !sameValue(got, want) {
					t.Errorf("%s format %d row %d: %q decoded to %#v, want %#v", c.typ, f, r, raw, got, want)
				}
			}
		}
		rec.Release()
	}
}

// scanAs decodes raw with pgx into a value of like's Go type.
func scanAs(m *pgtype.Map, oid uint32, f Format, raw []byte, like any) (any, error) {
	switch like.(type) {
	case bool:
		var v bool
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case int16:
		var v int16
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case int32:
		var v int32
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case int64:
		var v int64
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case uint32:
		var v uint32
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case float32:
		var v float32
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case float64:
		var v float64
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case string:
		var v string
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case []byte:
		var v []byte
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case time.Time:
		var v time.Time
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case pgtype.Interval:
		var v pgtype.Interval
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case []int32:
		var v []int32
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case []string:
		var v []string
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case []float64:
		var v []float64
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	case []bool:
		var v []bool
		err := m.Scan(oid, int16(f), raw, &v)
		return v, err
	}
	panic("BUG: scanAs: unhandled type")
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g := got.(float64)
		return g == w || (math.IsNaN(g) && math.IsNaN(w))
	case time.Time:
		return got.(time.Time).Equal(w)
	case []byte:
		g := got.([]byte)
		return string(g) == string(w) && g != nil
	case []int32:
		g := got.([]int32)
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if g[i] != w[i] {
				return false
			}
		}
		return true
	case []string:
		g := got.([]string)
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if g[i] != w[i] {
				return false
			}
		}
		return true
	case []float64:
		g := got.([]float64)
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	case []bool:
		g := got.([]bool)
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if g[i] != w[i] {
				return false
			}
		}
		return true
	}
	return got == want
}

// TestPgxInfinity checks the infinity sentinels in both formats.
func TestPgxInfinity(t *testing.T) {
	mem := checkedMem(t)
	rec := newRecord(t,
		fromJSON(t, mem, types.TimestampTZType, `[9223372036854775807, -9223372036854775808]`),
		fromJSON(t, mem, types.DateType, `[2147483647, -2147483648]`),
	)
	defer rec.Release()
	m := pgtype.NewMap()
	var e Encoder
	for _, f := range []Format{Text, Binary} {
		if err := e.Encode(rec, []types.Type{types.TimestampTZType, types.DateType}, []Format{f}); err != nil {
			t.Fatal(err)
		}
		for r, want := range []pgtype.InfinityModifier{pgtype.Infinity, pgtype.NegativeInfinity} {
			row := e.Row(r, nil)
			var ts pgtype.Timestamptz
			if err := m.Scan(OIDTimestampTZ, int16(f), row[0], &ts); err != nil || ts.InfinityModifier != want {
				t.Errorf("format %d timestamptz row %d: %+v, %v", f, r, ts, err)
			}
			var d pgtype.Date
			if err := m.Scan(OIDDate, int16(f), row[1], &d); err != nil || d.InfinityModifier != want {
				t.Errorf("format %d date row %d: %+v, %v", f, r, d, err)
			}
		}
	}
}
