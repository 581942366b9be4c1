// Package plan owns the bound, typed logical plan: relational nodes
// (Scan, WindowTVF, Filter, Project, Aggregate, Sort, Limit, Values) and
// the expressions inside them, with every column resolved to an ordinal
// of the node's input and every function resolved to a registry
// overload. Nothing here looks a name up at run time.
//
// The same plan serves two executions: the engine lowers it to
// incremental streaming operators for a materialized view, or runs it
// once over snapshots for an ad hoc SELECT. Explain prints a plan as an
// indented tree for EXPLAIN and golden tests.
//
// Plans import only sql/types, sql/sqlerr, sql/catalog (for the objects
// a Scan reads) and functions, never the engine.
package plan
