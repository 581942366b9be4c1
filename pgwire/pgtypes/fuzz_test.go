package pgtypes

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tocsin-db/tocsin/sql/types"
)

// FuzzFloatText checks that float text reads back exactly, picks the
// notation Postgres picks, and decodes with pgx.
func FuzzFloatText(f *testing.F) {
	for _, v := range []float64{0, 1, -1.5, 1e6, 1e15, 1e-4, 1e-5, 123456.7, math.MaxFloat64, 5e-324, math.NaN(), math.Inf(-1), math.Float64frombits(1 << 63)} {
		f.Add(v)
	}
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, v float64) {
		for _, bits := range []int{32, 64} {
			x := v
			if bits == 32 {
				x = float64(float32(v))
			}
			s := string(appendFloat(nil, x, bits))
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			back, err := strconv.ParseFloat(s, bits)
			if err != nil || back != x || math.Signbit(back) != math.Signbit(x) {
				t.Fatalf("float%d %v -> %q -> %v, %v", bits, x, s, back, err)
			}
			mag := math.Abs(x)
			limit := 1e15
			if bits == 32 {
				limit = 1e6
			}
			// The shortest digits decide the decimal exponent; compare on
			// the rounded value, as Ryu does.
			exp := strings.Contains(s, "e")
			if parsed, _ := strconv.ParseFloat(strconv.FormatFloat(mag, 'e', -1, bits), 64); mag != 0 && exp == (parsed >= 1e-4 && parsed < limit) {
				t.Fatalf("float%d %v -> %q: wrong notation", bits, x, s)
			}
			if bits == 32 {
				var got float32
				if err := m.Scan(OIDFloat4, int16(Text), []byte(s), &got); err != nil || float64(got) != x {
					t.Fatalf("pgx decoded %q to %v, %v", s, got, err)
				}
				continue
			}
			var got float64
			if err := m.Scan(OIDFloat8, int16(Text), []byte(s), &got); err != nil || got != x {
				t.Fatalf("pgx decoded %q to %v, %v", s, got, err)
			}
		}
	})
}

// FuzzTimestampText checks the timestamp formatter against sql/types
// and, within the years pgx parses, against pgx's decoder.
func FuzzTimestampText(f *testing.F) {
	for _, us := range []int64{0, -1, 1700000000123456, -62135596800000001, 253402300799999999, math.MaxInt64, math.MinInt64} {
		f.Add(us, true)
	}
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, us int64, tz bool) {
		got := appendTimestamp(nil, us, tz)
		if us != math.MaxInt64 && us != math.MinInt64 {
			if want := types.AppendTimestamp(nil, us, tz); !bytes.Equal(got, want) {
				t.Fatalf("%d: %q, types says %q", us, got, want)
			}
		}
		want := time.UnixMicro(us).UTC()
		if want.Year() < 1 || want.Year() > 9999 {
			return
		}
		oid := OIDTimestamp
		if tz {
			oid = OIDTimestampTZ
		}
		var dec time.Time
		if err := m.Scan(oid, int16(Text), got, &dec); err != nil || !dec.Equal(want) {
			t.Fatalf("pgx decoded %q to %v, %v; want %v", got, dec, err, want)
		}
	})
}

// FuzzIntervalText checks that pgx reads every interval back.
func FuzzIntervalText(f *testing.F) {
	f.Add(int32(14), int32(-3), int64(7200000001))
	f.Add(int32(-13), int32(1), int64(-5))
	f.Add(int32(0), int32(0), int64(0))
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, months, days int32, micros int64) {
		// pgx sums hours, minutes and seconds in int64 microseconds;
		// keep clear of its overflow.
		if micros > math.MaxInt64/2 || micros < math.MinInt64/2 {
			return
		}
		s := appendInterval(nil, months, days, micros)
		var got pgtype.Interval
		if err := m.Scan(OIDInterval, int16(Text), s, &got); err != nil {
			t.Fatalf("pgx cannot decode %q: %v", s, err)
		}
		if got.Months != months || got.Days != days || got.Microseconds != micros {
			t.Fatalf("%d/%d/%d -> %q -> %+v", months, days, micros, s, got)
		}
	})
}

// FuzzArrayText checks array_out quoting against pgx's array parser.
func FuzzArrayText(f *testing.F) {
	f.Add("a|b c||NULL|x\"y\\z|{}|,")
	f.Add("")
	f.Add("null|  |\t")
	m := pgtype.NewMap()
	f.Fuzz(func(t *testing.T, joined string) {
		// Postgres text is valid UTF-8 without NUL; pgx's parser (rightly)
		// replaces invalid sequences.
		if strings.ContainsRune(joined, 0) || !utf8.ValidString(joined) {
			return
		}
		elems := strings.Split(joined, "|")
		mem := memory.NewGoAllocator()
		b := array.NewListBuilder(mem, types.TextType.Arrow())
		vb := b.ValueBuilder().(*array.StringBuilder)
		b.Append(true)
		for _, s := range elems {
			vb.Append(s)
		}
		arr := b.NewArray()
		b.Release()
		rec := newRecord(t, arr)
		defer rec.Release()
		var e Encoder
		if err := e.Encode(rec, []types.Type{types.ArrayOf(types.Text)}, nil); err != nil {
			t.Fatal(err)
		}
		raw := e.Row(0, nil)[0]
		var got []string
		if err := m.Scan(OIDTextArray, int16(Text), raw, &got); err != nil {
			t.Fatalf("pgx cannot decode %q: %v", raw, err)
		}
		if len(got) != len(elems) {
			t.Fatalf("%q decoded to %q, want %q", raw, got, elems)
		}
		for i := range got {
			if got[i] != elems[i] {
				t.Fatalf("%q decoded to %q, want %q", raw, got, elems)
			}
		}
	})
}
