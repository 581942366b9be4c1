package pgwire

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/sql/types"
)

// Executor is what the server needs from the database behind it. The
// engine implements it (in cmd/tocsin's adapter) without importing this
// package's server code.
type Executor interface {
	// Connect starts a session for an authenticated client. params holds
	// the startup parameters (user, database, application_name, options,
	// ...). A returned *sqlerr.Error is sent to the client as is.
	Connect(ctx context.Context, params map[string]string) (Session, error)
}

// Session is one client connection's view of the database. The server
// calls its methods from the connection's goroutine only, one at a time.
type Session interface {
	// Query runs the text of a simple-protocol Query message, which may
	// hold several statements separated by semicolons, reporting each
	// statement's result to w in order. It stops at the first failing
	// statement and returns its error (a *sqlerr.Error for anything the
	// client caused, with Pos a 1-based character position into text).
	// If text holds no statement it calls w.Empty. ctx is canceled by a
	// CancelRequest for this connection.
	Query(ctx context.Context, text string, w ResultWriter) error
	// TxStatus returns the transaction status for ReadyForQuery: 'I'
	// (idle), 'T' (in a transaction block) or 'E' (failed transaction).
	TxStatus() byte
	// Close ends the session.
	Close() error
}

// Column describes one result column.
type Column struct {
	Name string
	Type types.Type
	// TableOID and Attr identify the source column when there is one
	// (RowDescription fields); zero otherwise.
	TableOID uint32
	Attr     int16
}

// ResultWriter receives one statement's result at a time: either
// Columns, any number of Rows calls and Complete; or Complete alone (for
// statements that return no rows); or Empty. Rows are valid only during
// the call: the writer encodes them before returning and does not retain
// rec.
type ResultWriter interface {
	// Columns starts a row-returning result (RowDescription).
	Columns(cols []Column) error
	// Rows sends every row of rec as DataRows; rec's columns match the
	// preceding Columns call one to one.
	Rows(rec arrow.RecordBatch) error
	// Complete ends the statement with a command tag such as "SELECT 5"
	// or "CREATE SOURCE".
	Complete(tag string) error
	// Empty reports an empty query string (EmptyQueryResponse).
	Empty() error
	// Notice sends a NoticeResponse with severity NOTICE or WARNING.
	Notice(severity, msg string) error
	// CopyIn starts COPY ... FROM STDIN for a statement: it tells the
	// client to send data (CopyInResponse, text format, columns columns)
	// and returns a reader of the data the client sends, which ends (EOF)
	// at CopyDone and fails at CopyFail. The statement then ends with
	// Complete("COPY n") or an error as usual.
	CopyIn(columns int) (io.Reader, error)
}

// PreparedStatements is implemented by the ResultWriter the server
// passes to Session.Query and Prepared.Execute: it gives a session's SQL
// statements access to the connection's protocol-level prepared
// statements and portals, which DEALLOCATE and DISCARD ALL act on (the
// server cannot parse SQL; the session can). The methods may be called
// only while the statement runs.
type PreparedStatements interface {
	// DeallocatePrepared drops the named prepared statement and reports
	// whether it existed. The unnamed statement cannot be named.
	DeallocatePrepared(name string) bool
	// DeallocateAllPrepared drops every named prepared statement
	// (DEALLOCATE ALL); the unnamed one stays, as in PostgreSQL.
	DeallocateAllPrepared()
	// ClosePortals closes every portal except the one running the
	// statement (DISCARD ALL's CLOSE ALL).
	ClosePortals()
}

// Preparer is implemented by sessions that support the extended query
// protocol. The server calls it from the connection's goroutine only.
type Preparer interface {
	// Prepare parses and binds one statement whose parameters are $1 ..
	// $n. paramTypes holds the types the client declared in Parse, in
	// order (a zero types.Type, or a slice shorter than n, leaves a
	// parameter's type to be inferred from its use, as PostgreSQL does;
	// a parameter nothing constrains is text). An empty statement gives a
	// Prepared whose Columns is nil and whose Execute calls w.Empty.
	Prepare(ctx context.Context, text string, paramTypes []types.Type) (Prepared, error)
}

// Prepared is a prepared statement.
type Prepared interface {
	// ParamTypes are the statement's parameter types (ParameterDescription).
	ParamTypes() []types.Type
	// Columns are the columns of the rows the statement returns
	// (RowDescription on Describe), nil for a statement that returns no
	// rows (NoData).
	Columns() []Column
	// Execute runs the statement with one value per parameter (already
	// decoded to ParamTypes; Null for SQL NULL), reporting its result to
	// w as Session.Query does for one statement. ctx is canceled by a
	// CancelRequest.
	Execute(ctx context.Context, params []types.Datum, w ResultWriter) error
}

// Notification is an asynchronous notification for a client that
// LISTENs: its channel, its payload and the process ID of the session
// that sent it (NotificationResponse).
type Notification struct {
	Channel string
	Payload string
	PID     uint32
}

// Notifier is implemented by sessions that support LISTEN. The server
// calls Notifications once, after Connect, with the connection's process
// ID (the one BackendKeyData reports, which the session's own NOTIFYs
// should carry). It delivers what the channel yields as
// NotificationResponse messages whenever the connection is idle outside
// a transaction block, as PostgreSQL does: while the client waits for
// input, or just before the ReadyForQuery that ends a query. The
// session's Close ends the channel's use; the channel need not be
// closed. The session should not block on a client that does not read
// (it should queue a bounded number and drop the oldest).
type Notifier interface {
	Notifications(pid uint32) <-chan Notification
}
