// Package scenario runs the examples of examples/<name> (the scenarios of
// `tocsin playground --scenario <name>`): it creates the scenario's
// topics on a broker, writes the generator's history, loads the
// scenario's SQL into an engine with the broker's address and an alert
// receiver's URL filled in, and then writes the live data step by step,
// paced by a Pacer.
//
// # Layers
//
//   - registry.go: All and Lookup, the list of scenarios.
//   - run.go: Run (topics, history, SQL, live steps) and Substitute (the
//     ${KAFKA} and ${RECEIVER} placeholders).
//   - pacer.go: the two pacers. RealTime writes each step when its
//     event time, divided by a speed factor, has passed on the wall
//     clock (the playground). Lockstep moves a fake engine clock instead
//     and, after each step, waits until every source has read everything
//     and a checkpoint round has passed through every view and sink, so
//     each step is processed at exactly its own instant (the tests).
//   - sql.go: SQL, a session on an engine for loading statements and
//     reading system tables.
//   - receiver.go, payload.go, console.go: Receiver, an HTTP endpoint
//     the scenarios' sinks post to. It understands the webhook and Slack
//     payloads, records one Event per alert state change, and prints one
//     line per event.
//   - expect.go: the expected-alerts file format and Check.
//   - play.go, banner.go: Play, the whole playground scenario
//     (receiver, realtime run, the final comparison with the expected
//     alerts), and Prepare and PrintBanner for the playground command.
//
// # Time
//
// Event time runs faster than wall time: the runner writes a step of
// StepEvery event time every StepEvery / speed of wall time (speed 60: a
// minute of events a second). The views work in event time; the alert
// lifecycle (group_wait, group_interval, escalate_after, silences, rate
// limits) works in processing time, the engine's clock, which the SQL's
// durations are written for at the default speed. Lockstep reproduces
// the playground's timing exactly with a fake clock, which is what makes
// the scenario tests deterministic and fast.
//
// # Concurrency and ownership
//
// Run, its generator and its pacer use one goroutine. A Receiver is safe
// for concurrent use: its HTTP handler records events under a mutex, and
// Events and Messages return copies. SQL wraps one engine session and is
// not safe for concurrent use.
package scenario
