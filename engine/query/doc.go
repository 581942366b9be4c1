// Package query owns running a bound plan once, for ad hoc SELECTs:
// scans read a consistent snapshot of each materialized view (never half
// of a batch), and filters, projections and aggregates reuse the
// streaming engine's evaluators and HashAgg, so a query computes exactly
// what a view would. Sorting, LIMIT and the relational operators of ad
// hoc queries are batch-only operators here, one file each:
//   - join.go: hash join on plan.Join's equi-keys (build right, probe
//     left; NULL keys never match), nested loops otherwise, the residual
//     condition applied to candidate pairs in chunks, NULL padding for
//     LEFT / RIGHT / FULL;
//   - setop.go: UNION / INTERSECT / EXCEPT [ALL] by hashing whole rows;
//   - window.go, winframe.go, winfuncs.go, winagg.go: the window
//     operator (sort, partition and peer boundaries, frames, then typed
//     kernels per function);
//   - setfunc.go, projectset.go: set-returning functions in FROM, and
//     in a select list (lockstep, NULL padding, rows with no output
//     dropped);
//   - cte.go: WITH queries, each materialised once per execution of its
//     With node;
//   - eval.go, subquery.go: expressions with subqueries, computed per
//     batch into extra columns, correlated plans run once per distinct
//     correlation value.
//
// Results are materialised as a list of record batches; views are
// bounded by their retention, so this keeps the executor simple. A
// Runner serves one statement and is not safe for concurrent use; it
// caches CTE results and uncorrelated subquery results for that
// statement only. Records are garbage collected (no Release calls), as
// in the rest of the batch path.
package query
