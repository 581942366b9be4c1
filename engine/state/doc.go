// Package state owns the contract every stateful operator implements so
// that checkpoints can capture it — Snapshotter: Snapshot appends the
// operator's whole state as bytes, Restore rebuilds it from those bytes —
// and the small binary Writer/Reader the operators use to lay their
// state out (varints, length-prefixed byte strings) without reflection.
//
// Snapshot is called between batches, from the goroutine that runs the
// operator, so operators need no locking for it. The bytes are opaque to
// everyone but the operator that wrote them and start with a version
// byte the operator checks on Restore.
package state
