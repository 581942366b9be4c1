package pgtypes

import (
	"encoding/hex"
	"strconv"

	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the per-value text formatters. They append to dst and
// never allocate (beyond growing dst), so the column loops in encoder.go
// stay allocation-free for fixed-width types.
//
// The float, date, timestamp and interval formatters live in sql/types
// (types.Append*), shared with casts to text.

// appendBool appends Postgres's boolean output, t or f.
func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 't')
	}
	return append(dst, 'f')
}

func appendTextInt16(dst []byte, v int16) []byte { return strconv.AppendInt(dst, int64(v), 10) }
func appendTextInt32(dst []byte, v int32) []byte { return strconv.AppendInt(dst, int64(v), 10) }
func appendTextInt64(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }
func appendTextUint32(dst []byte, v uint32) []byte {
	return strconv.AppendUint(dst, uint64(v), 10)
}
func appendTextFloat32(dst []byte, v float32) []byte { return appendFloat(dst, float64(v), 32) }
func appendTextFloat64(dst []byte, v float64) []byte { return appendFloat(dst, v, 64) }

func appendFloat(dst []byte, f float64, bits int) []byte { return types.AppendFloat(dst, f, bits) }
func appendDate(dst []byte, days int32) []byte           { return types.AppendDate(dst, days) }
func appendTimestamp(dst []byte, us int64, tz bool) []byte {
	return types.AppendTimestamp(dst, us, tz)
}
func appendInterval(dst []byte, months, days int32, micros int64) []byte {
	return types.AppendInterval(dst, months, days, micros)
}

// appendBytea appends b in Postgres's hex bytea output: \x followed by
// two lower-case hex digits per byte.
func appendBytea(dst, b []byte) []byte {
	dst = append(dst, `\x`...)
	return hex.AppendEncode(dst, b)
}

// appendArrayElem appends one element's text to an array literal,
// double-quoting it when Postgres's array_out would: when it is empty,
// equals NULL in any case, or contains a quote, backslash, brace, comma
// or white space; quotes and backslashes inside are backslash-escaped.
func appendArrayElem(dst, elem []byte) []byte {
	if !needsQuote(elem) {
		return append(dst, elem...)
	}
	dst = append(dst, '"')
	for _, c := range elem {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func needsQuote(elem []byte) bool {
	if len(elem) == 0 {
		return true
	}
	if len(elem) == 4 && (elem[0]|0x20) == 'n' && (elem[1]|0x20) == 'u' &&
		(elem[2]|0x20) == 'l' && (elem[3]|0x20) == 'l' {
		return true
	}
	for _, c := range elem {
		switch c {
		case '"', '\\', '{', '}', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}
