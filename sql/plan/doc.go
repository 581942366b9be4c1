// Package plan owns the bound, typed logical plan: relational nodes
// (Scan, WindowTVF, Filter, Project, Aggregate, Sort, Limit, Values,
// Join, SetOp, Window, With / CTEDef / CTEScan) and the expressions
// inside them, with every column resolved to an ordinal of the node's
// input and every function resolved to a registry overload. Nothing here
// looks a name up at run time.
//
// The same plan serves two executions: the engine lowers it to
// incremental streaming operators for a materialized view, or runs it
// once over snapshots for an ad hoc SELECT (engine/query). Explain
// prints a plan as an indented tree for EXPLAIN and golden tests.
//
// Relational nodes for ad hoc queries:
//   - Join keeps its whole condition (On) and its split form: EquiKeys,
//     column pairs an executor can hash or merge on, and the Residual.
//     The batch runner hash-joins; a streaming lowering may turn the same
//     node into a stream-table or interval join.
//   - SetOp is UNION / INTERSECT / EXCEPT [ALL] over inputs the binder
//     has already cast to common types.
//   - Window computes window functions of one PARTITION BY / ORDER BY
//     and appends their columns; frames are typed (Frame, FrameBound).
//   - With defines CTEs that CTEScans read by ID; each CTE is computed
//     at most once per execution of its With.
//   - SetFunc is a set-returning function in FROM; ProjectSet runs the
//     set-returning functions of a select list (SRFCall) in lockstep
//     over each input row, PostgreSQL 10+'s semantics.
//
// Subqueries used as expressions are plan.Subquery values: their plan is
// bound in its own scope and reads the enclosing query's values only
// through OuterRef slots backed by Subquery.Args, so correlation is
// explicit and SubstituteOuter can turn a correlated plan into a
// constant one. MapExprs, NodeExprs and Rewrite are the traversal
// helpers executors and rewrites share.
//
// Plans import only sql/types, sql/sqlerr, sql/catalog (for the objects
// a Scan reads) and functions, never the engine.
package plan
