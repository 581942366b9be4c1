// Package bench is `tocsin bench`: the harness that measures how many
// events per second, and per CPU-second, Tocsin turns into view rows, how
// long an event takes to show in a view, and what the views' state costs.
// It runs fixed, seeded workloads the same way every time, so figures
// from two commits compare.
//
// # Layers
//
//   - generate.go: the seeded event generators (request-like events for
//     workloads 1-5 and 7, Loghub-like log lines for 6), their JSON
//     encoding and key partitioning.
//   - workload.go: the workloads, each a materialized view over one
//     stream; reference.go: the plain-loop reference of each view's
//     contents, and the expectation that marks the end of ingest.
//   - rig.go: an engine in a temporary directory with the memory and
//     Kafka connectors; ingest.go: one throughput run; latency.go and
//     attribution.go: one latency run; baseline*.go: the hand-written
//     encoding/json + map loop the table compares against.
//   - process.go: child processes (every run, and the Kafka broker);
//     produce.go and produce_wire.go: the producer process of a
//     kafka-mode latency run, which hosts that run's broker;
//     runner.go: the plan of runs and their medians; report.go: the
//     table and the JSON.
//
// # Processes and what is measured
//
// The parent process only plans: every measured run executes in a child
// process (the same binary, `tocsin bench --child <spec>`), so the CPU
// time (getrusage RUSAGE_SELF, user+sys) and the peak RSS (VmHWM, reset
// through /proc/self/clear_refs before the interval) are that run's
// alone. In kafka mode the broker is a further process (`tocsin
// broker`), started by the parent, which preloads each workload's topic
// and reads it once (warmBroker) before any run reads it; a child's CPU time is the engine's and its
// Kafka client's, never the broker's. (A kafka-mode latency run reads
// from a broker hosted by its producer process instead; see produce.go.)
// A run's interval starts at CREATE
// MATERIALIZED VIEW (the records are already in place) and ends when the
// source has covered every record (Engine.SourceRecords) and the view
// reflects them all (its row count, or its sum of count(*), equals the
// reference's), polled every 5 ms.
//
// The repetitions of one workload are interleaved with its companions
// (workload 2, its checkpoints-off twin and the baseline run in turn), so
// that a machine whose load drifts affects them alike; the table shows
// the median of each figure over the runs.
//
// # Concurrency and memory
//
// The harness is single-threaded except for the latency run, whose
// producer (the run's goroutine) and subscription (a session goroutine)
// share a tracker under its mutex. A memory-mode run holds its encoded
// records in a few large buffers for the whole run; they count in its
// peak RSS, not in its heap growth.
package bench
