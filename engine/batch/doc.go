// Package batch owns the unit of data that flows between the engine's
// operators — Chunk, an Arrow record batch with an optional sign per row
// (+1 insert, -1 retract) — and the row selection helpers (Take, Filter)
// that operators use to narrow or repeat rows column-at-a-time over
// typed slices (Take from one record, Gather from several).
//
// Ownership: a Chunk passed to an operator is only borrowed for the
// call; an operator that keeps rows beyond the call copies them (the
// hash aggregate keeps only its own typed state; the view store keeps
// encoded rows) or retains the record (Retain, and Release when done:
// the streaming OVER window keeps the records of its pending rows and
// assembles released rows with Gather). Producers never write to a
// record's buffers once it is handed on.
package batch
