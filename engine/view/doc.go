// Package view owns a materialized view's contents: an ordered map from
// the row's key (the view's key columns in rowcodec encoding, or a row
// number for views without a key) to the encoded row, kept in a B-tree
// with copy-on-write snapshots.
//
// Concurrency: one writer (the view's dataflow goroutine) applies each
// batch of changes to its private tree and then publishes a snapshot, an
// O(1) copy-on-write clone, with an atomic pointer store. Readers (ad hoc
// SELECTs on any connection) load the latest snapshot and scan it with
// no lock; they always see the state after a whole batch, never half of
// one, and never block the writer.
package view
