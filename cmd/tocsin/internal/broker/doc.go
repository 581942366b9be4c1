// Package broker owns the playground's embedded Kafka-protocol broker: a
// single-node franz-go kfake cluster listening on one address, persisting
// topics, records and committed offsets under a data directory so that a
// restart of the binary keeps them, and auto-creating topics (with a
// default partition count) the first time a producer writes to them.
//
// It is wiring for `tocsin playground`, `tocsin broker` and the
// benchmark harness (whose kafka-mode latency producer hosts one) and
// nothing else: the engine and the Kafka connector talk to it over the
// Kafka protocol like to any other broker, and this package (with tests)
// is the only non-test user of kfake.
//
// A Broker is safe for concurrent use. Close stops it and flushes its
// state to the data directory; it also stops when the context given to
// Start is cancelled. kfake's own log lines go to the configured slog
// logger (its informational per-request messages at debug level).
package broker
