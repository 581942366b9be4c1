// Package physical owns lowering a bound logical plan (sql/plan) into
// the engine's executable forms: BuildStream turns a materialized view's
// plan into a streaming Pipeline (an operator chain fed by one source,
// with the view's key and append-only property derived from the plan),
// and rejects with 0A000 anything the streaming engine cannot maintain
// incrementally.
//
// Column lineage is tracked through the plan so a GROUP BY on
// window_start or window_end (directly or through projections) makes the
// aggregate windowed: it learns where each group's window ends, closes
// groups as the watermark passes, and drops late rows.
package physical
