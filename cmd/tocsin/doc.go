// Package main is the tocsin command, the Tocsin server: `tocsin serve` runs the engine and
// its Postgres wire endpoint against real Kafka clusters; `tocsin
// playground` adds an embedded Kafka-protocol broker and a demo event
// generator so a new user can try everything on one machine.
//
// This package is wiring only: it builds the function and connector
// registries, the engine, the pgwire server around an adapter
// (adapter.go), and in playground mode the broker and generator
// (internal/broker, internal/demo). observe.go wires the Prometheus
// endpoint of --metrics-addr (internal/metrics) and the playground
// console's backfill progress lines.
package main
