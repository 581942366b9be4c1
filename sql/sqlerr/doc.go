// Package sqlerr owns Tocsin's user-visible error type: a typed SQLSTATE
// Code catalogued in one place, and Error, which carries the code, a
// message, optional detail and hint, and the position in the query text
// the error refers to.
//
// Every layer (parser, binder, engine, connectors) returns *Error for
// anything a user caused; pgwire turns it into an ErrorResponse. Errors
// that are not *Error (bugs, I/O failures) surface as XX000.
//
// Positions are 1-based byte offsets into the query text the statement
// came from (0 = no position). The session layer converts them to the
// 1-based character positions the Postgres protocol reports, because
// only it holds the full query text (see CharPos).
//
// The package imports only the standard library so that every other
// package, including sql/ and functions/, can depend on it.
package sqlerr
