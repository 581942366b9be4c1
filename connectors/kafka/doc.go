// Package kafka owns Tocsin's Kafka connector: a connectors.Source that
// reads a topic's partitions and decodes JSON records into Arrow batches,
// plus the small producer and admin helpers (Writer, CreateTopic,
// PartitionEnds) that the demo generator and tests use. It is the only
// package that imports github.com/segmentio/kafka-go (and, besides the
// bench harness, franz-go's kmsg protocol types).
//
// # Reading
//
// Open looks the topic up once, resolves every partition's start offset
// (checkpoint offsets first, then the start mode; both resolved before
// Open returns, so "latest" means "latest as of Open"), and starts one
// reader goroutine per partition. A reader owns two connections to its
// partition's leader: kafka-go's Conn for offsets, and its own for
// fetches (fetchconn.go), on which it sends one Fetch request at a time
// (at most FetchMaxBytes, waiting at most MaxWait for FetchMinBytes) and
// walks the returned record batches in the response buffer (records.go:
// v2 batches, every compression codec, transaction markers skipped, CRCs
// checked; at isolation level read_committed, the default, the broker
// returns committed offsets only and the batches of aborted transactions
// are skipped). One fetch becomes one connectors.Batch of at most
// MaxBatchRows records, decoded by its own format.JSONDecoder. Records
// that do not decode, or are larger than SourceSpec.MaxRecordBytes, go to
// Batch.Rejects. Batches cover their partition's offsets contiguously:
// each FirstOffset is the previous NextOffset (on compacted topics a
// batch may cover offsets that no longer hold a record).
//
// Readers hand batches to ReadBatch over one channel of a few batches, so
// a slow consumer stops the fetching (backpressure) instead of growing
// memory. Broker errors close the connection; the reader logs them (slog)
// and reconnects with exponential backoff, looking the leader up again.
// An offset outside the log (retention, a recreated topic) is reset by the
// start mode, as Kafka's auto.offset.reset does, with a warning.
//
// # Ownership and shutdown
//
// The Source owns its goroutines, connections and the Arrow memory of
// batches not yet returned by ReadBatch. Close cancels the readers,
// closes their connections (which unblocks in-flight fetches), waits for
// every goroutine it started, releases undelivered batches, and makes a
// blocked ReadBatch return. Batches returned by ReadBatch belong to the
// caller.
//
// # Offsets
//
// The source never commits on its own. Commit reports offsets that the
// engine's checkpoint made durable under SourceSpec.GroupID as a
// "simple consumer" (generation -1, no member id) without joining the
// group, which is enough for kafka-consumer-groups-style tools to show
// progress and lag.
//
// # Sink channel
//
// sink.go is the "kafka" sink channel (CREATE SINK ... WITH (connector =
// 'kafka', topic, properties.bootstrap.server)): it writes a
// notification's records (rows-mode sinks) or one record per alert,
// synchronously and once per Send (the engine's dispatcher retries),
// keyed deterministically and partitioned by murmur2 of the key. See the
// comment at the top of sink.go.
package kafka
