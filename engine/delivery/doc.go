// Package delivery owns getting a sink's notifications to their channels:
// the durable Outbox that holds what is not yet delivered, and the
// Dispatcher that sends it, with retries, a per-notification deadline,
// per-channel health and a bounded errors table. It is modelled on the
// Prometheus notifier (a queue and injected Options) and Alertmanager's
// retry stage.
//
// # Layers
//
//   - outbox.go: Outbox, the ordered set of notifications handed to the
//     dispatcher and not yet finished, and its checkpoint Snapshot/Restore.
//   - codec.go: EncodeNotification/DecodeNotification, the binary layout of
//     one connectors.Notification (every field) used by Snapshot.
//   - dispatcher.go: Options, Dispatcher, Enqueue/Start/Close and the per
//     group queues and their goroutines; retry.go: one notification's
//     attempt loop, which takes a channel send slot per attempt.
//   - health.go: ChannelHealth and the rule that turns recent outcomes into
//     healthy/degraded/down; errlog.go: the SinkError ring.
//
// # Lifecycle and durability
//
// The sink's job creates a notification, calls Outbox.Add (which assigns
// its sequence number) and Dispatcher.Enqueue (or Submit, which does
// both). The entry leaves the outbox only when the dispatcher finishes it:
// delivered, failed permanently, or past its deadline. The lead writes
// Outbox.Snapshot into the same atomic checkpoint batch as the view's
// state; on restart it calls Outbox.Restore, then Dispatcher.Start and
// Dispatcher.EnqueuePending, so whatever was pending at the checkpoint is
// sent again (delivery is at least once; Notification.Key lets receivers
// deduplicate). Closing the dispatcher, or cancelling Start's context, in
// the middle of a retry leaves the entry in the outbox.
//
// # Concurrency
//
// Outbox is safe for concurrent use. Within a channel the Dispatcher
// keeps one unbounded in-memory FIFO per alert group
// (Notification.GroupKey), so Enqueue never blocks and a slow or dead
// channel never stalls the caller or another channel. Each non-empty
// group queue has one goroutine (started by Start, or by the Enqueue that
// makes the queue non-empty) that retries the group's head until it
// finishes before it tries the next one, so the notifications of a group
// are sent strictly in Enqueue order; the goroutine exits when the queue
// empties, and an idle group costs nothing. Different groups of a channel
// are delivered independently: a group whose notifications keep failing
// (retried until their deadline) delays no other group. Row-mode
// notifications have GroupKey "" and so stay in one ordered queue per
// channel, which the Kafka channel relies on.
//
// At most Options.MaxInFlight Sends (default 4) run at once per channel:
// an attempt takes a slot of the channel's semaphore and gives it back
// when Send returns; the backoff wait before a retry holds no slot. So
// Channel.Send is called concurrently for different notifications (never
// for two of one group at once), and health and counters, kept per
// channel, are updated from several goroutines under the channel's
// mutex. The channels stay the caller's: it closes them after
// Dispatcher.Close, which returns only once no Send is in flight and
// every group goroutine has exited. OnResult runs on the group's
// goroutine (or on the Enqueue caller's, for an unknown channel), so it
// must be quick and safe for concurrent calls.
//
// # Time
//
// Options.Now stamps results, errors and health, and measures the
// deadline. The waits between attempts and the per-attempt timeout use
// the runtime's timers, so tests run the dispatcher inside
// testing/synctest, where both are virtual.
//
// # Memory
//
// The outbox holds the *connectors.Notification pointers it is given; the
// caller must not modify a notification after Add. Decoded notifications
// never alias the input bytes.
package delivery
