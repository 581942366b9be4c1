package pgtypes

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/types"
)

// BenchmarkDecodeParam decodes typical Bind values: binary int8 and
// timestamptz (pgx), text int4 and text (JDBC, psycopg).
func BenchmarkDecodeParam(b *testing.B) {
	cases := []struct {
		name string
		oid  uint32
		typ  types.Type
		f    Format
		raw  []byte
	}{
		{"int8/binary", OIDInt8, types.Int64Type, Binary, []byte{0, 0, 0, 0, 0, 0, 1, 0}},
		{"timestamptz/binary", OIDTimestampTZ, types.TimestampTZType, Binary, []byte{0, 2, 0xb3, 0x6a, 0x1b, 0x5e, 0x40, 0}},
		{"int4/text", OIDInt4, types.Int32Type, Text, []byte("123456")},
		{"text/text", OIDText, types.TextType, Text, []byte("service-a")},
		{"timestamptz/text", OIDTimestampTZ, types.TimestampTZType, Text, []byte("2024-02-29 13:14:15.123456+00")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeParam(c.oid, c.typ, c.f, c.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
