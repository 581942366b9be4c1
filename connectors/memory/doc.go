// Package memory owns an in-memory, partitioned, append-only log and a
// connectors.Source that reads it through the same JSON decoder as the
// Kafka source: deterministic input for engine tests, soak tests and
// the benchmark's in-process ingest mode, without a broker.
//
// A Log is safe for concurrent appends and reads. A Source reads one log
// (option topic = '<name>' resolved by the Broker that made its
// factory); it blocks at the end of the log until more is appended or it
// is closed.
package memory
