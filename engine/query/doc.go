// Package query owns running a bound plan once, for ad hoc SELECTs:
// scans read a consistent snapshot of each materialized view (never half
// of a batch), and filters, projections and aggregates reuse the
// streaming engine's evaluators and HashAgg, so a query computes exactly
// what a view would. Sorting and LIMIT are batch-only operators here.
//
// Results are materialised as a list of record batches; views are
// bounded by their retention, so this keeps the executor simple.
package query
