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
    GSSENCRequest (TLS is in tls.go; GSSAPI is declined with 'N'),
    CancelRequest, the StartupMessage and its protocol version (3.x with
    x > 0 and _pq_ options get NegotiateProtocolVersion down to 3.0,
    anything else is rejected), parameter checks, authentication, and
    the opening ParameterStatus set (PostgreSQL 15's, with server_version
    "15.18 (Tocsin)"), BackendKeyData and ReadyForQuery.
  - auth.go: the Authenticator seam, TrustAuth, and the AuthExchange an
    Authenticator talks to the client through.
  - password.go: the password methods behind that seam (AuthMethod,
    PasswordAuth: cleartext and MD5 exchanges) and the Users credential
    store they consult; scram.go: the SCRAM-SHA-256 SASL exchange;
    verifier.go: PostgreSQL's MD5 and SCRAM-SHA-256 verifier formats.
  - tls.go: answering SSLRequest ('S' and the handshake when Config.TLS
    is set) and Config.RequireTLS.
  - idle.go: Config.IdleTimeout, PostgreSQL's idle_session_timeout.
  - conn.go: conn, one per client, and its message loop: the protocol
    state machine, output buffering, FATAL errors and panic recovery.
  - query.go: the simple query protocol, cancellation bookkeeping and
    the mapping of errors to ErrorResponse.
  - result.go: resultWriter, the ResultWriter that encodes a session's
    results: RowDescription, DataRow (column at a time, through
    pgwire/pgtypes), CommandComplete, EmptyQueryResponse, NoticeResponse.
  - extended.go: the extended query protocol: the per-connection
    tables of prepared statements and portals, Parse, Bind (parameter
    decoding through pgtypes), Describe, Close and Sync's end of
    transaction.
  - portal.go: Execute: streaming without a row limit, buffering with
    one (portalBuffer, PortalSuspended).
  - notify.go: asynchronous NotificationResponse delivery for sessions
    that implement Notifier (LISTEN / NOTIFY).
  - stats.go: Server.Stats, the counters a metrics exporter reads
    (connections, queries, errors by SQLSTATE class), kept as atomics
    by the connection loop; pgwire knows nothing of the exporter.

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
    SSLRequest is answered 'S' and followed by the TLS handshake when
    Config.TLS is set, 'N' otherwise; a GSSENCRequest is answered 'N';
    either way another packet follows. A CancelRequest is dispatched (see Cancellation) and the
    connection is closed without a reply. A StartupMessage must carry a
    user (28000 otherwise); database defaults to user; replication and
    non-UTF8 client_encoding are refused; with RequireTLS a client
    without TLS is refused (28000). MaxConns is enforced here (53300),
    before authentication, so clients still logging in count.
 3. Authenticate. Config.Authenticator runs its exchange through
    AuthExchange; on success the server sends AuthenticationOk.
 4. Open the session. Executor.Connect gets the startup parameters; its
    error is sent as FATAL. Then ParameterStatus messages,
    BackendKeyData (process ID and random secret) and ReadyForQuery with
    Session.TxStatus.
 5. Message loop (conn.loop), until Terminate, a read error, a FATAL
    error, the idle timeout (57P05, see idle.go) or Serve's return. Every error that ends a connection after
    startup is sent as a FATAL ErrorResponse first when the client can
    still hear it.
 6. Close. The session is closed, the socket closed, and the connection
    removed from the server's tables.

# Authentication and TLS

Config.Authenticator runs once per connection between the startup
packet and AuthenticationOk. NewAuthenticator builds one per pg_hba.conf
method: trust, password (AuthenticationCleartextPassword), md5
(AuthenticationMD5Password with a random salt; users stored with a SCRAM
verifier get SCRAM instead, as in PostgreSQL) and scram-sha-256 (SASL
with only SCRAM-SHA-256 offered, 4096 iterations, no channel binding).
Credentials come from the consumer-side Users interface, looked up per
connection so a store that changes takes effect at the next login; a
Credential is a plaintext password or a verifier in pg_authid's format
(MD5Verifier, SCRAMVerifier). Every failure, unknown users included, is
FATAL 28P01 "password authentication failed for user ..." after the
same exchange (SCRAM uses a salt derived from the user name for users
without a verifier), so the answer does not reveal whether a user
exists. A client that hangs up mid-exchange (psql does, to prompt for a
password) is logged at debug level only.

With Config.TLS the server answers SSLRequest with 'S' and replaces the
connection's net.Conn with a *tls.Conn after the handshake; conn.raw
keeps the socket so that Serve can close it from another goroutine.
Direct TLS (PostgreSQL 17's sslnegotiation=direct) is not supported.
Cancel requests are served with or without TLS, as in PostgreSQL.

# Simple vs. extended query protocol

Simple: a Query message holds one or more statements. Session.Query
runs them in order, reporting each through the ResultWriter, and stops
at the first error, which is sent as an ErrorResponse; ReadyForQuery
follows in every case. An empty query string yields EmptyQueryResponse.

Extended: a session that implements Preparer (executor.go) gets the
full protocol. Each connection owns a table of prepared statements and
one of portals, the unnamed ones stored under "". Parse calls
Preparer.Prepare with the declared parameter types (pgtypes.ParamType:
numeric is read as float8, json as jsonb) and stores the statement; a
named Parse of an existing name is 42P05, an unnamed one replaces the
unnamed statement, and so does a simple Query, which destroys it.
Describe S sends ParameterDescription (declared OIDs, else the inferred
types' OIDs) and RowDescription with text formats, or NoData. Bind
decodes each parameter with pgtypes.DecodeParam in its text or binary
format (bad text is 22P02 and friends, wrong binary lengths 08P01),
checks the result format codes (none, one for all, or one per column)
and creates the portal; the unnamed portal is replaced by the next Bind
to it, a named one must be closed first (42P03). Unknown statement and
portal names are 26000 and 34000; closing a missing name is not an
error. Describe P describes the rows with the Bind's formats. Portals
live until their transaction ends: every Sync outside a transaction
block (and every simple Query ending outside one) drops them all.
SQL statements reach these tables through the resultWriter, which
implements PreparedStatements: the session's DEALLOCATE drops a named
statement (or all named ones), and DISCARD ALL also closes every portal
but the one running it. pgwire itself never parses SQL.

Execute without a row limit streams through the same resultWriter as a
simple query, minus the RowDescription (Describe sends that) and with
the Bind's formats, so continuous queries stream. With a row limit the
first Execute runs the statement to completion into a portalBuffer of
encoded DataRows (bounded by maxPortalBuffer, 256 MiB: a continuous
query cannot be executed with a row limit) and each Execute sends up to
that many, then PortalSuspended, or CommandComplete with the statement's
tag (the total row count) when none remain. Executing a completed query
portal again gives "SELECT 0"; a completed command gives 55000.

Any error in these messages is sent (and flushed) at once, after which
the connection skips every message but Sync and Terminate; Sync clears
the skip and gets ReadyForQuery, which is the protocol's error recovery
rule and lets pipelining clients resynchronise. Flush writes pending
output. A session that does not implement Preparer gets 0A000 for every
extended message, with the same recovery.

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

A running Query's, Parse's or Execute's context is derived from the
connection's context and registered in conn.cancelQuery
(runCancelable). A CancelRequest arrives on a separate
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

# Asynchronous notifications

A session that implements Notifier hands the connection a channel of
notifications once, after startup. One goroutine per such connection
takes them and, while the connection is idle outside a transaction
block (ReadyForQuery 'I' sent, the loop waiting for a message), writes
each NotificationResponse to the socket itself, so a client waiting
for notifications gets them at once. Otherwise it holds the one it took
until then, and the loop sends a held notification just before the
ReadyForQuery that ends the current query; the rest wait in the
session's queue. The notifier's mutex is the connection's write lock
while idle: the loop clears the idle flag under it, after the message
arrives and before it writes anything.

# Concurrency and robustness

Each connection's state is owned by its goroutine; the only shared
state is the Server's connection tables (under Server.mu), a
connection's running-query cancel function (under conn.mu) and its
notifier's idle flag and held notification (under notifier.mu). Session
methods are called from the connection goroutine only, one at a time.
A panic on a connection goroutine is recovered, logged with its stack,
answered with FATAL XX000 and the connection closed; the server keeps
serving others. The startup phase has a deadline, message bodies have a
size limit, and FATAL writes have a write deadline, so no client bytes
can crash the server or pin a goroutine forever (FuzzStartup and
FuzzMessages check this).

# Testing and debugging

Tests use a fake Executor (fake_test.go, fake_prepare_test.go for the
extended protocol) and real clients (pgx in every exec mode): pgx and
pgconn over loopback, psql when installed, pgproto3.Frontend for raw
protocol checks, and datadriven wire scripts in testdata/pgtest (send /
until, in the style of CockroachDB's pgtest; regenerate with -rewrite).
To see what a client sends, run it against the server with a pgproto3
tracer (Backend.Trace) or capture loopback traffic with Wireshark's pgsql
dissector.
*/
package pgwire
