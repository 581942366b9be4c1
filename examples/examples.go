// Package examples holds the runnable scenarios of `tocsin playground
// --scenario <name>`, one directory each: a README, the scenario's SQL,
// a deterministic data generator, and the alerts the scenario is
// expected to raise (expected-alerts.txt). This package defines what the
// scenario directories share; cmd/tocsin/internal/scenario runs them
// (against the playground's embedded broker, or in the tests against a
// fake clock) and cmd/tocsin/scenario_test.go checks that each one raises
// exactly its expected alerts.
//
// A scenario package embeds its own SQL and expected-alerts file, so the
// files a user reads are the ones the test runs. Generators are pure:
// given a Config they produce the same records every time, with the
// anomalies at fixed offsets from Config.Start. They run on one
// goroutine; nothing here is safe for concurrent use.
//
// The SQL files name the broker and the alert receiver with two
// placeholders, ${KAFKA} (host:port) and ${RECEIVER} (a base URL, no
// trailing slash), which the runner substitutes; by hand, envsubst does
// the same.
package examples

import "time"

// Record is one Kafka record to write. Every scenario topic has one
// partition, so records are read back in the order they were written.
type Record struct {
	Topic      string
	Key, Value []byte
}

// Step is a slice of event time: the records whose event times fall
// in [At, At + Scenario.StepEvery), in event-time order.
type Step struct {
	At      time.Time
	Records []Record
}

// Generator produces a scenario's data.
type Generator interface {
	// History returns the records that are in the topics before the
	// scenario's SQL is loaded: a backlog the sources replay from the
	// earliest offset. It is called once, before Next; nil means none.
	History() []Record
	// Next returns the next step of live data, or false when the
	// scenario's data ends. Steps are in increasing At.
	Next() (Step, bool)
}

// Config parameterises a generator.
type Config struct {
	// Seed makes the data reproducible; the expected alerts hold for
	// DefaultSeed.
	Seed int64
	// Start is the event time of the first live step's beginning;
	// history lies before it. Outcomes do not depend on it: the data
	// is the same up to a shift in time.
	Start time.Time
}

// DefaultSeed is the seed the expected alerts are written for.
const DefaultSeed = 1

// Scenario is one runnable example.
type Scenario struct {
	// Name is the directory and the --scenario argument.
	Name string
	// Title is a one-line description for `--scenario list`.
	Title string
	// SQL is the scenario's statements, with ${KAFKA} and ${RECEIVER}
	// placeholders.
	SQL string
	// Expected is the expected-alerts file (see
	// cmd/tocsin/internal/scenario for its format).
	Expected string
	// Topics are the topics the generator writes, created with one
	// partition before anything is written.
	Topics []string
	// StepEvery is the event time one live step covers; the runner
	// paces steps at StepEvery / speed of wall time.
	StepEvery time.Duration
	// Settle is how long after the last step the alert timers must run
	// (group_interval, rate-limit windows) before every expected
	// notification has been sent.
	Settle time.Duration
	// NewGenerator returns a generator for cfg.
	NewGenerator func(cfg Config) Generator
}
