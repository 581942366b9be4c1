// Package format owns decoding record values into Arrow: today JSON
// objects, decoded one record at a time straight into the column builders
// of a declared schema.
//
// # JSON decoding
//
// JSONDecoder is a hand-written, single-pass, validating scanner. It never
// goes through encoding/json or map[string]any: a record is scanned once,
// the top-level keys are matched to columns (exactly first, then
// case-insensitively, without allocating), the value spans of matched keys
// are remembered, every other value is validated and skipped, and only
// then are the remembered values converted and appended. A record that
// fails anywhere (syntax, conversion, a NULL in a NOT NULL column) leaves
// the builders untouched and returns a *DecodeError whose Class says why
// (connectors.RejectMalformed, RejectConversion, RejectMissing).
// Oversized records are the connector's business, not the decoder's.
//
// The accepted language is RFC 8259 JSON whose bytes are valid UTF-8,
// whose top-level value is an object, and whose containers nest at most
// JSONOptions.MaxDepth deep: exactly what encoding/json.Valid and
// utf8.Valid both accept, minus non-objects and over-deep documents. The
// differential tests and FuzzJSONDecoder hold the scanner to that.
//
// The conversion rules per SQL type are listed on JSONDecoder.
//
// # Memory and concurrency
//
// A JSONDecoder is not safe for concurrent use; a connector keeps one per
// partition reader. The value passed to Append is not retained after
// Append returns. Steady-state decoding allocates nothing per row: string
// values without escapes are appended straight from the input, escaped
// ones are unescaped into a scratch buffer that is reused, and numbers and
// common timestamp forms are parsed without building strings. Arrow
// buffers come from the allocator given to NewJSONDecoder; Flush hands
// them to the returned record batch (the caller releases it) and Release
// frees rows appended but never flushed.
package format
