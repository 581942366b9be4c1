package pgwire

import (
	"context"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// extended handles one message of the extended query protocol (Parse,
// Bind, Describe, Execute, Close). The protocol is not implemented yet:
// each such message gets a 0A000 error, after which the connection
// skips every message up to Sync and answers Sync with ReadyForQuery,
// the protocol's error recovery rule (see loop).
//
// This is where the extended protocol slots in: a per-connection table
// of prepared statements and portals, Parse/Bind/Describe answered from
// the session (statement description and parameter types via
// pgtypes.ForOID), Execute streaming through the same resultWriter with
// per-column formats from Bind (pgtypes already encodes binary), and an
// error from any of them setting ignoreTillSync as below.
func (c *conn) extended(_ context.Context, msg pgproto3.FrontendMessage) {
	c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet").
		WithDetail("Received a %s message.", messageName(msg)).
		WithHint("Use the simple query protocol (for pgx: QueryExecModeSimpleProtocol; for JDBC: preferQueryMode=simple)."))
	// Postgres flushes errors at once, so a client that sent Flush
	// rather than Sync still learns of it.
	_ = c.flush()
	c.ignoreTillSync = true
}
