// Package binder owns turning syntax (sql/ast) into a bound, typed
// logical plan (sql/plan): name resolution against the catalog, type
// checking and implicit coercion following Postgres's rules, overload
// resolution through the function registry, aggregate and GROUP BY
// validation, window table functions (TUMBLE, HOP), ORDER BY / LIMIT,
// and constant folding.
//
// Errors are *sqlerr.Error with the SQLSTATE Postgres would report and
// the position of the offending name or expression: 42P01 undefined
// table, 42703 undefined column, 42702 ambiguous column, 42883 undefined
// function, 42804 datatype mismatch, 42803 grouping error, 0A000 for
// constructs Tocsin does not support (never a silently different
// meaning).
//
// A Binder is cheap and single-use per statement; it holds no state
// between statements.
package binder
