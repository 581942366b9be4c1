package engine

import (
	"maps"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// DISCARD and DEALLOCATE, which connection poolers (pgbouncer's
// server_reset_query, pgx pools) send to reset a connection before
// handing it to the next client. As in PostgreSQL:
//
//   - DEALLOCATE name drops a prepared statement (26000 if there is
//     none); DEALLOCATE ALL drops every named one. The unnamed statement
//     is not touched.
//   - DISCARD ALL is CLOSE ALL (cursors and portals), RESET ALL,
//     DEALLOCATE ALL and UNLISTEN *; it may not run inside a transaction
//     block (25001).
//   - DISCARD PLANS, SEQUENCES and TEMP have nothing to discard: Tocsin
//     caches no plans and has neither sequences nor temporary tables.
//
// Prepared statements and portals of the extended query protocol
// belong to the connection (the pgwire server), not to the session; the
// ResultWriter reaches them through PreparedStatements. SQL-level
// PREPARE is not supported, so they are the only prepared statements.

// PreparedStatements is implemented by a ResultWriter whose connection
// holds protocol-level prepared statements and portals. It is called
// from the statement's goroutine while the statement runs.
type PreparedStatements interface {
	// DeallocatePrepared drops the named prepared statement and reports
	// whether it existed.
	DeallocatePrepared(name string) bool
	// DeallocateAllPrepared drops every named prepared statement.
	DeallocateAllPrepared()
	// ClosePortals closes every portal but the one running the statement.
	ClosePortals()
}

func (s *Session) deallocate(st *ast.Deallocate, w ResultWriter) error {
	ps, _ := w.(PreparedStatements)
	if st.All {
		if ps != nil {
			ps.DeallocateAllPrepared()
		}
		return w.Complete("DEALLOCATE ALL")
	}
	if ps == nil || !ps.DeallocatePrepared(st.Name) {
		return sqlerr.At(sqlerr.InvalidSQLStatementName, st.Off, "prepared statement %q does not exist", st.Name)
	}
	return w.Complete("DEALLOCATE")
}

func (s *Session) discard(st *ast.Discard, w ResultWriter) error {
	if st.Kind != ast.DiscardAll {
		return w.Complete("DISCARD " + st.Kind.String())
	}
	if s.txn != 'I' {
		return sqlerr.At(sqlerr.ActiveSQLTransaction, st.Off, "DISCARD ALL cannot run inside a transaction block")
	}
	s.closeCursors(false)
	if ps, ok := w.(PreparedStatements); ok {
		ps.ClosePortals()
		ps.DeallocateAllPrepared()
	}
	s.resetAll()
	if err := s.unlisten(&ast.Unlisten{All: true}, &columnsWriter{}); err != nil {
		return err
	}
	return w.Complete("DISCARD ALL")
}

// resetAll restores every setting to its value at the start of the
// session (RESET ALL).
func (s *Session) resetAll() {
	s.vars = maps.Clone(s.startVars)
}
