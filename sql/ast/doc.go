// Package ast owns Tocsin's syntax tree: the statements the parser
// produces and the expressions inside them. It is dialect-neutral: the
// parser maps both the TiDB parser's tree (for standard SQL) and its own
// token-level layer (streaming DDL, window table functions, Postgres-only
// syntax) onto these nodes, and the binder consumes only these.
//
// Node, Statement, Expr, Query and TableExpr are sealed: only types in
// this package implement them (each has an unexported marker method).
// Every node records Pos, the 0-based byte offset of its first token in
// the full query text (the text of the Query message, which may hold
// several statements), so errors can point at it. Pos is -1 when a node
// was synthesised and has no place in the text.
//
// Identifiers are stored as written for quoted identifiers and folded to
// lower case for unquoted ones, as Postgres does; the parser does the
// folding.
package ast
