/*
Package pgwire implements the server side of the PostgreSQL wire protocol
(version 3.0) for Tocsin, so that psql, pgx, JDBC, psycopg and BI tools
can connect to it. It accepts connections, runs the startup and
authentication exchange, hands each query to the database behind it
through the small Executor/Session/ResultWriter interfaces (executor.go),
and streams results back as protocol messages.

The message catalogue and flows are defined by the PostgreSQL
documentation (https://www.postgresql.org/docs/current/protocol.html);
framing and message encoding come from github.com/jackc/pgx/v5/pgproto3,
and this package is the only non-test package that imports it.

# Layers

  - executor.go: the consumer-side interfaces the server needs. The
    engine implements them in cmd/tocsin's adapter; pgwire never imports
    the engine, the parser or the connectors.
  - server.go: Server and Config. Owns the accept loop, the set of open
    connections (closed when Serve returns) and the process-ID table
    that routes cancel requests.
  - startup.go: the startup phase of one connection: SSLRequest and
    GSSENCRequest (declined with 'N'; negotiateTLS is the TLS seam),
    CancelRequest, the StartupMessage and its protocol version (3.x with
    x > 0 and _pq_ options get NegotiateProtocolVersion down to 3.0,
    anything else is rejected), parameter checks, authentication, and
    the opening ParameterStatus set (PostgreSQL 15's, with server_version
    "15.18 (Tocsin)"), BackendKeyData and ReadyForQuery.
  - auth.go: the Authenticator seam (TrustAuth for now; cleartext, MD5
    and SCRAM implement the same interface later) and the AuthExchange
    it talks to the client through.
  - conn.go: conn, one per client, and its message loop: the protocol
    state machine, output buffering, FATAL errors and panic recovery.
  - query.go: the simple query protocol, cancellation bookkeeping and
    the mapping of errors to ErrorResponse.
  - result.go: resultWriter, the ResultWriter that encodes a session's
    results: RowDescription, DataRow (column at a time, through
    pgwire/pgtypes), CommandComplete, EmptyQueryResponse, NoticeResponse.
  - extended.go: the extended query protocol's entry point (not yet
    implemented; see below).

The subpackage pgwire/pgtypes owns the type mapping (types.Type <-> OID,
typlen, typname) and the encoding of Arrow columns into text and binary
values. It is separate because it is pure and independent of the
connection machinery, and the engine's catalog (pg_type) needs its
tables without the server.

# Connection lifecycle

 1. Accept. Serve accepts a net.Conn and starts one goroutine for it
    (conn.serve). Nothing else runs per connection.
 2. Startup. The goroutine reads length-prefixed startup packets itself
    (readStartupPacket), exactly one at a time, under StartupTimeout. An
    SSLRequest or GSSENCRequest is answered 'N' and another packet
    follows. A CancelRequest is dispatched (see Cancellation) and the
    connection is closed without a reply. A StartupMessage must carry a
    user (28000 otherwise); database defaults to user; replication and
    non-UTF8 client_encoding are refused. MaxConns is enforced here
    (53300).
 3. Authenticate. Config.Authenticator runs its exchange through
    AuthExchange; on success the server sends AuthenticationOk.
 4. Open the session. Executor.Connect gets the startup parameters; its
    error is sent as FATAL. Then ParameterStatus messages,
    BackendKeyData (process ID and random secret) and ReadyForQuery with
    Session.TxStatus.
 5. Message loop (conn.loop), until Terminate, a read error, a FATAL
    error or Serve's return. Every error that ends a connection after
    startup is sent as a FATAL ErrorResponse first when the client can
    still hear it.
 6. Close. The session is closed, the socket closed, and the connection
    removed from the server's tables.

# Simple vs. extended query protocol

Simple: a Query message holds one or more statements. Session.Query
runs them in order, reporting each through the ResultWriter, and stops
at the first error, which is sent as an ErrorResponse; ReadyForQuery
follows in every case. An empty query string yields EmptyQueryResponse.

Extended: Parse, Bind, Describe, Execute and Close currently get a 0A000
"extended query protocol is not supported yet" error. After it the
connection skips every message but Sync and Terminate; Sync clears the
skip and gets ReadyForQuery, which is the protocol's error recovery rule
and lets pipelining clients resynchronise. The loop is already shaped
for the real implementation: extended() is the single entry point,
ignoreTillSync is the skip state, and pgtypes already encodes binary
formats for Bind's result format codes. Flush writes pending output.
CopyData, CopyDone and CopyFail outside COPY are ignored, as the
protocol says; FunctionCall gets 0A000 and ReadyForQuery. Any other
message, a malformed one, or one longer than MaxMessageSize (64 MiB by
default) ends the connection with FATAL 08P01.

# Errors

Errors from the session are mapped by errorResponse: a *sqlerr.Error
anywhere in the chain supplies the SQLSTATE, message, detail, hint and
position (the session reports positions as 1-based characters into the
query text); anything else is logged with the connection's pid and sent
as XX000 "internal error", so internal details never reach clients.
Severity is ERROR, or FATAL when the connection is about to close. NUL
bytes are removed from every NUL-terminated field so that text from
users can never break the framing.

# Cancellation

A running Query's context is derived from the connection's context and
registered in conn.cancelQuery. A CancelRequest arrives on a separate
connection; its goroutine looks up the process ID in Server.byPID,
compares the secret in constant time and cancels that context. Mismatches
are silently ignored, as in Postgres. When the session returns an error
after such a cancel, the client gets 57014 "canceling statement due to
user request" unless the error carries another SQLSTATE of its own.
When Serve's context ends, every connection is closed and every running
query's context canceled; Serve waits for the connection goroutines.

# Buffering and memory

Messages are encoded (pgproto3 Encode, appending) into one output buffer
per connection and written once per ReadyForQuery; the buffer is also
written out when it passes 64 KiB, so large results stream with bounded
memory, and at the end of every ResultWriter.Rows call, so that each
batch of a continuous query reaches the client as soon as it exists
rather than when the buffer happens to fill (one write per batch). Row values are encoded column by column into pgtypes.Encoder's
reused arena (text and bytea go straight from the Arrow buffers); one
pgproto3.DataRow with a reused value slice is encoded per row. Nothing
is allocated per row or per fixed-width value.

# Concurrency and robustness

Each connection's state is owned by its goroutine; the only shared
state is the Server's connection tables (under Server.mu) and a
connection's running-query cancel function (under conn.mu). Session
methods are called from the connection goroutine only, one at a time.
A panic on a connection goroutine is recovered, logged with its stack,
answered with FATAL XX000 and the connection closed; the server keeps
serving others. The startup phase has a deadline, message bodies have a
size limit, and FATAL writes have a write deadline, so no client bytes
can crash the server or pin a goroutine forever (FuzzStartup and
FuzzMessages check this).

# Testing and debugging

Tests use a fake Executor (fake_test.go) and real clients: pgx and
pgconn over loopback, psql when installed, pgproto3.Frontend for raw
protocol checks, and datadriven wire scripts in testdata/pgtest (send /
until, in the style of CockroachDB's pgtest; regenerate with -rewrite).
To see what a client sends, run it against the server with a pgproto3
tracer (Backend.Trace) or capture loopback traffic with Wireshark's pgsql
dissector.
*/
package pgwire
