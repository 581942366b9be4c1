// Package pgtypes owns the mapping between Tocsin's SQL types and the
// Postgres type system as clients see it, and the encoding of Arrow
// columns into the values of DataRow messages.
//
// # Type mapping
//
// Info gives the pg_type facts of a types.Type (OID, typname, typlen,
// element and array OIDs); ForOID is the reverse mapping, for parameter
// types announced in Parse. ResultType is the type a result column is
// described and encoded as: an untyped (unknown) column goes out as text,
// as Postgres resolves unknown-typed output columns to text.
//
// # Encoding
//
// Encoder turns one Arrow record batch into DataRow field values column
// at a time: for each column it runs one loop over the typed Arrow
// values, appending each value's text (or binary) form to a single
// reused byte arena and recording where it starts and ends. Row then
// hands out the row's values as [][]byte slices pointing into the arena,
// or, for text and bytea columns whose encoded form is the stored bytes,
// straight into the Arrow value buffer (zero copy). Fixed-width values
// are encoded without allocating; the arena and the span table grow to
// the largest batch seen and are reused.
//
// Text output follows PostgreSQL 15 with DateStyle ISO, IntervalStyle
// postgres, TimeZone UTC and extra_float_digits 1: booleans t/f; floats
// in the shortest form that reads back exactly, switching to exponent
// form outside [1e-4, 1e15) for float8 and [1e-4, 1e6) for float4, with
// NaN and [-]Infinity; timestamps "2024-01-02 03:04:05.5" (timestamptz
// with "+00"), "infinity" for the int64 extremes and " BC" for years
// before 1; bytea as \x hex; arrays as {a,b,NULL} with Postgres's quoting
// rules. Binary output is the Postgres send format for every type
// (timestamps and dates count from 2000-01-01; arrays as array_send's
// one-dimensional arrays with lower bound 1).
//
// # Decoding
//
// DecodeParam reads Bind parameter values: DecodeText the input (text)
// formats, DecodeBinary the receive (binary) formats, and
// DecodeNumericBinary numeric's, which Tocsin reads as float8 (ParamType
// maps a declared numeric to float8 and json to jsonb). Decoders accept
// any bytes without panicking; a malformed value is a *DecodeError with
// Postgres's SQLSTATE (22P02 for bad text, 08P01 for binary values of
// the wrong length, 22003 and 22008 for values out of range).
//
// # Ownership and concurrency
//
// An Encoder is used by one goroutine. The slices Row returns are valid
// until the next Encode or Reset call and, for zero-copy columns, only as
// long as the record batch is alive: callers copy them into a message
// before moving on. The package holds no mutable package-level state.
//
// The package imports sql/types, Arrow and the standard library only.
package pgtypes
