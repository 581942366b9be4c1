// Package types owns Tocsin's SQL type system as a thin layer over Arrow
// data types: the Kind enum, the mapping of SQL type names (Postgres and
// SQL-standard spellings) to types, the physical Arrow type of each SQL
// type, implicit-cast and numeric-promotion rules, Datum (a plan-time
// scalar value, never used per row on a hot path), and the text formats
// of timestamps and intervals shared by decoders, casts and the wire
// server.
//
// Physical representation (one Arrow type per Kind):
//
//	Bool                 arrow.Boolean
//	Int16/Int32/Int64    arrow.Int16/Int32/Int64
//	Float32/Float64      arrow.Float32/Float64
//	Text/Varchar/Name    arrow.String
//	JSONB                arrow.String holding the JSON text as received
//	Bytea                arrow.Binary
//	Timestamp            arrow.Timestamp(µs), no zone; values are UTC wall time
//	TimestampTZ          arrow.Timestamp(µs, "UTC")
//	Date                 arrow.Date32
//	Interval             arrow.MonthDayNanoInterval (nanoseconds are whole µs)
//	Oid                  arrow.Uint32
//	Array of K           arrow.List of K's type
//
// Timestamps in text are converted to UTC using their zone offset, also
// for TIMESTAMP without time zone (Postgres would drop the offset), so
// that event times from sources in different zones compare correctly.
//
// The package imports only Arrow and the standard library.
package types
