// Package durable owns Tocsin's on-disk state, kept in one Pebble
// database under the data directory: the catalog (each object's CREATE
// statement), and the checkpoints (each view's operator state, view
// rows, source offsets and counters, plus the dead-letter and late-row
// tables), written one checkpoint at a time in a single atomic,
// synced batch. New pages of append-only views (state.RunSink runs)
// skip the batch: they are written as tables and ingested just before
// it commits (runs.go), and the view's restore ignores those its
// committed metadata does not cover.
//
// Key layout (IDs are big-endian so prefixes sort by object):
//
//	c <id:4>                              catalog entry of object id
//	s <view:4> j                          job metadata: offsets, watermarks, counters
//	s <view:4> o <op:2> <op key>          operator state (state.Checkpointer keys,
//	                                       or the empty key for a Snapshotter blob)
//	s <view:4> v <store key>              the view's rows (view.Store keys)
//	d <source:4> <partition:4> <offset:8> a dead-lettered record of a source
//	l <view:4> <partition:4> <offset:8>   a late row a view kept
//	k                                     the last checkpoint's metadata
//	h <checkpoint:8>                      recent checkpoints' metadata
//
// Dead letters and late rows are keyed by their source position, so
// writing them again after a replay is idempotent.
//
// Pebble is confined to this package. A DB is safe for concurrent use;
// a Batch belongs to one goroutine.
package durable
