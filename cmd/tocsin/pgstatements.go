package main

import (
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
)

// The engine's DEALLOCATE and DISCARD ALL reach the connection's
// protocol-level prepared statements and portals through the result
// writer: writer relays engine.PreparedStatements to the pgwire writer's
// pgwire.PreparedStatements.

var _ engine.PreparedStatements = writer{}

// DeallocatePrepared implements engine.PreparedStatements.
func (w writer) DeallocatePrepared(name string) bool {
	ps, ok := w.w.(pgwire.PreparedStatements)
	return ok && ps.DeallocatePrepared(name)
}

// DeallocateAllPrepared implements engine.PreparedStatements.
func (w writer) DeallocateAllPrepared() {
	if ps, ok := w.w.(pgwire.PreparedStatements); ok {
		ps.DeallocateAllPrepared()
	}
}

// ClosePortals implements engine.PreparedStatements.
func (w writer) ClosePortals() {
	if ps, ok := w.w.(pgwire.PreparedStatements); ok {
		ps.ClosePortals()
	}
}
