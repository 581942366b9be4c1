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
// Concurrency: one writer (the view's dataflow goroutine) applies each
// batch of changes to its private tree and then publishes a snapshot, an
// O(1) copy-on-write clone, with an atomic pointer store. Readers (ad hoc
// SELECTs on any connection) load the latest snapshot and scan it with
// no lock; they always see the state after a whole batch, never half of
// one, and never block the writer.
//
// Stored state: version 2 (rows stored as key and rest) restores
// checkpoints and snapshots of version 1 (whole rows) by converting each
// row; a later version is refused with an error naming it.
package view
