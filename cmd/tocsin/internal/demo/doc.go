// Package demo owns the playground's event generator: HTTP request
// events of a fleet of services, written as JSON to a Kafka topic
// ("requests") so that the demo queries have something realistic to
// window, aggregate and alert on.
//
// Generator is pure and deterministic: given a seed and the sequence of
// wall-clock instants passed to Next, it yields the same events, which is
// what tests use to build exact datasets. Each event is
//
//	{"ts": <epoch ms>, "service": "svc-07", "host": "host-27",
//	 "latency_ms": 41.237, "status": 200}
//
// keyed by service. Latencies are log-normal around a per-service base
// (5-120 ms) with a long tail; statuses are mostly 2xx with some 4xx and
// about 1% 5xx. One service (IncidentService) degrades for one minute in
// every ten (IncidentEvery, IncidentFor): its latency multiplies and its
// 5xx rate jumps, which is what the anomaly demos look for. Event time is
// the wall clock, except that OutOfOrderFraction of events are jittered
// back by up to MaxDisorder (inside the demo's 5 s watermark delay) and
// LateFraction arrive LateMin-LateMax old (behind any sane watermark).
//
// Run paces a Generator with a ticker at about Config.Rate events per
// second, writing each tick's events in one batch through the Kafka
// connector's Writer, until its context ends. It owns the writer; it is
// the only goroutine using the generator.
package demo
