// Package ops owns the streaming operators a materialized view's
// dataflow is built from, one per file: filter.go, project.go,
// window.go (window assignment), hashagg.go (grouped aggregation with
// windows, emit-on-update or emit-on-window-close, late-event dropping).
//
// Contract (Operator): Push receives one Chunk and passes zero or more
// output chunks to emit, synchronously, before returning; Watermark does
// the same when the event-time watermark advances (closing windows).
// Operators of one view run on one goroutine, one call at a time, so
// they need no locks. Input chunks are borrowed for the call only.
// Every operator is a state.Snapshotter; stateless ones snapshot to
// nothing.
//
// Hash aggregation (hashagg.go, grouptable.go, groupkeys.go) keeps each
// group's key columns as typed values indexed by a dense group id
// (keyCol), and maps keys to ids with an open-addressing table of (hash
// tag, id) slots (groupTable): a batch's keys are hashed column at a
// time, a lookup compares typed values, and results are gathered from
// the typed columns without decoding. Keys are rowcodec-encoded only for
// checkpoints, whose format is unchanged, and to order groups by key.
// A hopping window hands the aggregate the same input columns once per
// window position: a text key column keeps its last array (retained)
// and that array's value hashes, so each text value is hashed once per
// batch, not once per position; when every key column is a 64-bit
// integer or text and the batch has no NULL key, lookups compare the
// values inline rather than through a call per column. From the second
// position on, rows that shared a group at the first share one at every
// position, so the aggregate works per part (those rows): one hash and
// lookup per part, and count, min and max merged from a per-part state
// computed once per batch; float and integer sums still fold row by row,
// so their results do not depend on where batches split
// (hashagg_shift.go).
// Per group it holds the key values, one table slot (8 bytes at most
// 3/4 full), a row count, a flags byte and the aggregates' states: about
// 100 bytes for (window_start, text) keys with count/sum/max.
package ops
