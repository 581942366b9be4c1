// Package rowcodec owns the byte encoding of rows and keys: a
// memcomparable format (bytes.Compare of two encodings orders them as
// the SQL values, NULL first) used for group keys in the hash aggregate,
// primary keys and rows of the view store, and checkpointed state.
//
// Encoding is column-at-a-time: Encoder.Append walks one column of a
// batch at a time and appends each row's bytes to that row's buffer, so
// the type switch happens once per column per batch. Decoding is
// row-at-a-time into typed column builders (Columns), used when a view
// snapshot is scanned.
//
// Format per value: 0x00 for NULL; otherwise 0x01 followed by
//   - integers, timestamps, dates: 8 bytes big-endian, sign bit flipped;
//   - floats: IEEE-754 bits, all bits flipped if negative else the sign
//     bit flipped (NaNs normalised, ordered last, as in Postgres);
//   - booleans: one byte;
//   - strings / bytes: the bytes with 0x00 escaped as 0x00 0xFF,
//     terminated by 0x00 0x01;
//   - intervals: months, days, microseconds as three integers.
package rowcodec
