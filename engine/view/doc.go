// Package view owns a materialized view's contents: an ordered map from
// the row's key (the view's key columns in rowcodec encoding, or a row
// number for views without a key) to the row, kept in a B-tree with
// copy-on-write snapshots.
//
// Memory: each row is one string in the tree (row.go): the key, the
// encoding of the other columns (the key columns are not repeated), the
// checkpoint epoch it was written in, and the key's length read from the
// end. A row of workload 2 (window_start, service, count, sum, avg, max)
// takes about 100 bytes of heap, tree nodes included. Incremental
// checkpoints find changed rows through a set of their keys while it is
// small, and beyond that by the rows' epochs (one scan of the tree), so
// tracking changes costs no memory per row.
//
// CPU: a keyed chunk of 16 changes or more is applied in key order
// (sorted on a 16-byte abbreviation of each key after the prefix the
// chunk's keys share, ties in chunk order) with a B-tree path hint, so a
// descent mostly compares the neighbours of the previous change's
// position instead of binary-searching every level; the result is that
// of applying the changes in chunk order.
//
// Append-only views: a view without a key only ever appends rows and
// drops the oldest (retention), so NewViewStore gives it a store that
// keeps them in arrival order in immutable chunks, one string per
// applied chunk, instead of the B-tree (applog.go): an append costs a
// copy and two allocations per chunk, Publish is O(1), and a checkpoint
// writes the rows appended since the previous one as pages of up to
// 2,048 rows and deletes the pages whose rows have all expired, never
// rewriting a stored page. Given a state.RunSink (the durable store's),
// it only cuts the pages on the view's goroutine; their bytes are
// written later, by the checkpoint coordinator, from the immutable
// chunks, into a table that is ingested ahead of the checkpoint's batch.
//
// Concurrency: one writer (the view's dataflow goroutine) applies each
// batch of changes to its private tree and then publishes a snapshot, an
// O(1) copy-on-write clone, with an atomic pointer store. Readers (ad hoc
// SELECTs on any connection) load the latest snapshot and scan it with
// no lock; they always see the state after a whole batch, never half of
// one, and never block the writer.
//
// Stored state: version 2 (rows stored as key and rest) restores
// checkpoints and snapshots of version 1 (whole rows) by converting each
// row; a later version is refused with an error naming it. An
// append-only store checkpoints as version 3 (pages), restores versions
// 1 and 2 too (its next checkpoint replaces their row entries with
// pages), and its Snapshot bytes are version 2, the same as the tree
// store's for the same rows.
package view
