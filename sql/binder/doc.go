// Package binder owns turning syntax (sql/ast) into a bound, typed
// logical plan (sql/plan): name resolution against the catalog, type
// checking and implicit coercion following Postgres's rules, overload
// resolution through the function registry, aggregate and GROUP BY
// validation, window table functions (TUMBLE, HOP), ORDER BY / LIMIT,
// and constant folding.
//
// The relational SQL of ad hoc queries binds here too, one concern per
// file: joins (join.go: ON, USING, NATURAL, comma lists; WHERE conjuncts
// are moved into inner joins so equalities become hash keys), WITH and
// set operations (setop.go), subquery expressions (subquery.go) and
// window functions (window.go, windowfn.go).
//
// Scopes: a scope lists the columns an expression may name. A subquery's
// scope links to the enclosing one (scope.go, outerLink); a name not
// found inside is looked up outside and becomes a plan.OuterRef slot,
// with the outer expression recorded in the subquery's Args. Window
// functions: built-in ranking and navigation functions come from a small
// table (windowfn.go), and every aggregate of the registry is also a
// window function, so registering an aggregate (an anomaly detector,
// say) makes it usable with OVER without touching the binder.
//
// Errors are *sqlerr.Error with the SQLSTATE Postgres would report and
// the position of the offending name or expression: 42P01 undefined
// table, 42703 undefined column, 42702 ambiguous column, 42883 undefined
// function, 42804 datatype mismatch, 42803 grouping error, 0A000 for
// constructs Tocsin does not support (never a silently different
// meaning).
//
// Parameters ($1 .. $n, params.go): by default a parameter is an error
// (42P02). SetParamTypes binds a statement for preparing it: each $n is
// a plan.Param whose type, unless declared, is inferred from its first
// use as Postgres does (the other operand of an operator, the function's
// parameter, the CAST target, the INSERT/UPDATE target column, bigint for
// LIMIT), and ParamTypes reports the result. SetParamValues binds each $n
// as a constant of its value, for executing the prepared statement.
//
// A Binder is cheap and single-use per statement; it holds no state
// between statements.
package binder
