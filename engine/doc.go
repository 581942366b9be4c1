// Package engine owns Tocsin's running database: the catalog, the
// dataflow jobs that keep each materialized view up to date, the view
// stores that ad hoc queries read, and sessions that execute SQL text
// for a client.
//
// # Layers
//
//   - engine.go: Engine, its options and lifecycle.
//   - session.go: Session.Query — parse, then execute statement by
//     statement, reporting results to a ResultWriter (the pgwire shape,
//     adapted in cmd/tocsin so this package never imports pgwire).
//   - ddl.go: CREATE / DROP of sources and materialized views.
//   - show.go: SHOW and DESCRIBE.
//   - pgcatalog*.go, pgtypes.go: pg_catalog and information_schema as
//     system relations computed from the catalog on each read, the
//     resolver that finds them by schema, and the catalog functions
//     (format_type, pg_get_viewdef, reg* casts) in a child registry.
//   - job.go: one goroutine per materialized view: it reads the view's
//     source through a connectors.Source, derives watermarks, pushes
//     batches through the operator chain and applies the result to the
//     view's store, publishing a snapshot after every batch.
//   - subscribe.go: SUBSCRIBE, a feed that subscribes to a view's job
//     like a downstream view (flow.go) and buffers its changelog for
//     the client (bounded; it never blocks the view); cursor.go:
//     DECLARE / FETCH / CLOSE over a feed or a SELECT, session state.
//   - listen.go: LISTEN / UNLISTEN / NOTIFY through an engine-wide
//     registry of per-session bounded queues (the oldest is dropped
//     when full); alertnotify.go: each sink publishes its alerts' state
//     changes on channel tocsin_alerts, found by comparing the alert
//     manager's alerts after every advance while anyone listens.
//   - stats*.go: Stats, the snapshot of every counter that metrics
//     exporters, the system views and the playground console read:
//     per-operator meters (stats_ops.go: each running operator is
//     wrapped to count batches, rows and its own time, once per batch),
//     backfill progress per reader (stats_backfill.go), checkpoint
//     counts and durations. Nothing here imports Prometheus.
//   - explain.go: EXPLAIN [ANALYZE] of queries, of the views they scan
//     (their dataflow, with live operator counters) and of CREATE
//     statements; sysviews.go: tocsin_jobs, tocsin_sources,
//     tocsin_sinks and tocsin_operators, computed from Stats.
//
// # Concurrency
//
// DDL is serialised by Engine.mu. Each job owns its operators and its
// store's writer side; readers see published snapshots only. Job
// statistics are atomics read by SHOW without stopping the job.
//
// # Sources and views
//
// Each materialized view reads its source with its own reader (as a
// RisingWave view over a non-table source does), starting at the
// source's scan.startup.mode. Counts shown per source in SHOW SOURCES
// add up the readers: records and malformed records are the largest
// reader's (every reader sees the same input), late rows are summed
// over views (lateness depends on each view's windows).
package engine
