// Package parser turns SQL text in the Postgres dialect, extended with
// Tocsin's streaming DDL, into sql/ast statements. It owns tokenizing,
// statement splitting, syntax errors (SQLSTATE 42601, or 0A000 for valid
// Postgres syntax Tocsin does not implement) and the positions recorded
// in the tree. Binding, typing and semantic checks belong to
// sql/binder.
//
// # Layers
//
// The TiDB parser (github.com/pingcap/tidb/pkg/parser, MySQL dialect) is
// the project's one SQL grammar. This package is a token-level layer
// around it:
//
//   - lexer.go tokenizes with Postgres's lexical rules: identifier
//     folding, 'x' / E'x' / $$x$$ / B'01' / X'ff' strings, $n parameters, nested
//     comments, operators. Every token keeps its byte offset in the full
//     text. Lexical errors are reported here.
//   - parser.go splits the token stream on ';' and dispatches on the
//     leading keyword. Streaming DDL (CREATE SOURCE / TABLE / VIEW /
//     SINK, DROP) and utility statements (SHOW, SET, BEGIN, COPY,
//     EXPLAIN, ...) are parsed by our own recursive descent (stmt.go,
//     ddl.go, utility.go; live.go for SUBSCRIBE, DECLARE / FETCH /
//     CLOSE and LISTEN / UNLISTEN / NOTIFY); statements known only by
//     their verb become ast.Generic.
//   - Queries and DML go through TiDB. The rewriter (rewrite*.go) walks
//     the Postgres syntax coarsely (clauses, operands, operators) and
//     emits text TiDB accepts; the converter (convert*.go) maps TiDB's
//     tree back to ours.
//
// # The rewrite
//
// The rewritten text is a sequence of pieces, each remembering the
// offset of the user's token it stands for; TiDB's node offsets and
// syntax error positions map back through them, so every position in
// the tree and in errors points into the user's text.
//
//   - Every identifier is double-quoted (ANSI_QUOTES is on), so words
//     TiDB reserves (key, rows, range, status, ...) are plain names.
//   - Every constant (number, string, $n, INTERVAL '...', TIMESTAMP
//     '...', B'...') becomes a "?" placeholder; the ast node it stands
//     for is kept with the piece and found again by the placeholder's
//     offset. TiDB never interprets our constants.
//   - Constructs TiDB lacks become calls of invented functions named
//     __tocsin_<kind>_<n> whose meaning is kept in the session's marker
//     table: casts (x::t, CAST), subscripts, COLLATE, AT TIME ZONE,
//     EXTRACT, ARRAY[...], ROW(...), ANY/ALL, LIKE patterns, BETWEEN
//     SYMMETRIC, NULLS FIRST/LAST, SQL value functions. Postgres's
//     "other operator" class (||, ~, ->, #>>, OPERATOR(...), &, |, ...)
//     is written `l | marker() | r`: TiDB's | has exactly that class's
//     precedence and associativity. IS DISTINCT FROM is written with
//     TiDB's <=>. Calls with DISTINCT, *, ORDER BY, WITHIN GROUP, FILTER
//     or OVER use GROUP_CONCAT, the one TiDB aggregate that takes an
//     argument list, ORDER BY and a window, with a marker naming the
//     real function.
//   - FROM items are parsed here and replaced by placeholder table names
//     (TiDB still parses the join structure): TiDB records no table
//     positions and cannot parse window table functions (TUMBLE, HOP,
//     SESSION), set-returning functions, column alias lists or FULL
//     JOIN. A few pieces (table-function arguments, derived tables,
//     LIMIT expressions, frame offsets) are parsed by separate TiDB
//     calls over their own token ranges.
//
// User identifiers may not start with __tocsin_, so they can never be
// taken for markers.
//
// # Concurrency and state
//
// Parse, ParseOne and ParseExpr are safe for concurrent use. Each call
// owns a session (tokens, marker table, its own TiDB parser, which is
// not safe for concurrent use). The one package-level hook is TiDB's
// value driver (driver.go): TiDB builds literal nodes through
// constructor variables that a driver must set; ours is installed once
// with sync.Once and never changed.
//
// # Limits
//
// Nesting of brackets and expressions is limited (statement is too
// deeply nested, 54000) so hostile input cannot exhaust the stack. TiDB
// panics on unexpected input are recovered and reported as syntax
// errors. Parsing is linear in the input except for deeply nested
// postfix operators (((x)::a)::b ..., bounded by the nesting limit).
package parser
