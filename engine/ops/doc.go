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
package ops
