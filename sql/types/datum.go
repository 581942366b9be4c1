package types

import "strconv"

// Datum is one SQL value of a known type, used for constants, parameters
// and plan-time folding. It is a plain struct (no interface) so that
// constants can be broadcast into typed slices without boxing. Hot paths
// never build Datums per row.
type Datum struct {
	Type Type
	Null bool
	// I holds Bool (0/1), integers, Oid, Timestamp/TimestampTZ
	// (microseconds since the Unix epoch) and Date (days since the epoch).
	I int64
	// F holds Float32 and Float64.
	F float64
	// S holds Text, Varchar, Name, JSONB and Bytea.
	S string
	// Iv holds Interval.
	Iv IntervalValue
}

// NullDatum returns the NULL of type t.
func NullDatum(t Type) Datum { return Datum{Type: t, Null: true} }

// BoolDatum returns a boolean datum.
func BoolDatum(b bool) Datum {
	d := Datum{Type: BoolType}
	if b {
		d.I = 1
	}
	return d
}

// IntDatum returns an integer datum of type t.
func IntDatum(t Type, v int64) Datum { return Datum{Type: t, I: v} }

// FloatDatum returns a floating-point datum of type t.
func FloatDatum(t Type, v float64) Datum { return Datum{Type: t, F: v} }

// StringDatum returns a string-typed datum of type t.
func StringDatum(t Type, s string) Datum { return Datum{Type: t, S: s} }

// Bool returns the datum as a boolean.
func (d Datum) Bool() bool { return d.I != 0 }

// String renders the datum in Postgres's text output format ("NULL" for
// NULL), as psql would print it.
func (d Datum) String() string {
	if d.Null {
		return "NULL"
	}
	switch d.Type.Kind {
	case Bool:
		if d.I != 0 {
			return "t"
		}
		return "f"
	case Int16, Int32, Int64, Oid:
		return strconv.FormatInt(d.I, 10)
	case Float32:
		return FormatFloat(d.F, 32)
	case Float64:
		return FormatFloat(d.F, 64)
	case Timestamp:
		return FormatTimestamp(d.I, false)
	case TimestampTZ:
		return FormatTimestamp(d.I, true)
	case Date:
		return FormatDate(int32(d.I))
	case Interval:
		return d.Iv.String()
	}
	return d.S
}

// FormatFloat formats f as Postgres 12+ prints float4 (bits 32) and
// float8 (bits 64) with extra_float_digits = 1 (see AppendFloat).
func FormatFloat(f float64, bits int) string {
	var buf [32]byte
	return string(AppendFloat(buf[:0], f, bits))
}
