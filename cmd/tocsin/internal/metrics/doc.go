// Package metrics owns Tocsin's Prometheus endpoint: a collector that
// turns the engine's and the wire server's counter snapshots into
// Prometheus metrics at scrape time, a registry with the Go runtime and
// process collectors next to it, and the small HTTP server that serves
// /metrics on --metrics-addr.
//
// # Design
//
// The engine and pgwire do not import Prometheus. They keep cheap
// counters (atomics updated once per batch, per query or per
// connection, never per row) and expose snapshots: engine.Engine.Stats
// and pgwire.Server.Stats. The Collector reads one snapshot of each per
// scrape and emits constant metrics from it, so nothing here runs
// between scrapes and a metric never lags the SQL system views
// (tocsin_jobs, tocsin_sources, ...), which read the same snapshot.
// The interfaces it reads through (EngineStats, WireStats) are defined
// here, by the consumer.
//
// # Names
//
// Every metric is tocsin_<subsystem>_<name> with its unit as a suffix
// (_total for counters, _seconds, _bytes), labelled by source, view
// (and kind: materialized_view or sink), operator (with operator_id,
// the operator's number in EXPLAIN), sink and channel, or SQLSTATE
// class for pgwire errors. Series appear and disappear with the objects
// they describe.
//
// # Concurrency
//
// Collect may run concurrently with itself (promhttp serves scrapes in
// parallel); it only reads the snapshots it takes.
package metrics
