// Package connectors owns the contract between the engine and the
// systems it reads from and writes to: the Source interface, which yields
// decoded Arrow record batches from one partition at a time together with
// the records that could not be decoded (rejects), the offsets types that
// checkpoints own, the sentinel errors callers branch on, and Registry,
// an explicit value (no init-time registration) mapping a connector name
// from `WITH (connector = '...')` to its factory.
//
// Concrete connectors live in subpackages (connectors/kafka) and are the
// only packages that import their client libraries; they meet the engine
// only through these interfaces, wired together in cmd/tocsin.
//
// Offsets are owned by the engine's checkpoints: a Source starts from the
// offsets it is given and never commits on its own. Commit only reports
// offsets that a checkpoint has made durable, for monitoring tools.
package connectors
