// Package alert owns the alert lifecycle of alerting sinks: the state
// machine that turns a view's changes into alerts (pending → firing →
// resolved, for, keep_firing_for, resolve_timeout), Alertmanager-style
// aggregation groups (group_wait, group_interval, repeat_interval),
// severity routing, escalation, acknowledgement, storm control (rate
// limit, flapping, near-duplicate folding), and the shared silences,
// inhibition rules and firing index that mute notifications.
//
// # Layers
//
//   - config.go: Config, DefaultConfig, ParseConfig (the sink's WITH
//     options) and ParseDuration.
//   - severity.go: Severity (P0 most urgent .. P3).
//   - alert.go: one label set's state and its timers, the transitions
//     (activate, deactivate, fire, resolve), flapping and escalation.
//   - group.go: aggregation groups, flushes, notification building and
//     idempotency keys.
//   - storm.go: the rate limiter with folded summaries, SimHash dedup.
//   - manager.go: Manager, the public entry points (Observe, Advance,
//     Next, Acknowledge, Delivered, Alerts).
//   - queue.go: the indexed timer heaps (alerts by earliest timer,
//     groups by next flush), so a step costs O(log n), not a scan.
//   - snapshot.go: Manager.Snapshot/Restore.
//   - matcher.go, silence.go, inhibit.go: Matcher, Silences,
//     Inhibitions, FiringIndex and Mutes (the Muter the engine passes).
//
// # Concurrency, time and ownership
//
// The package is pure logic: no goroutines, no I/O, no wall clock. Every
// method that depends on time takes now, so tests drive it with explicit
// times. Manager, Silences, Inhibitions and FiringIndex each hold one
// mutex and are safe for concurrent use; the lock order is Manager →
// Silences / Inhibitions → FiringIndex, and nothing calls back into a
// Manager. The sink job calls Observe(now, ev) for each event of a
// batch, then Advance(now), hands the notifications to the dispatcher
// and sleeps until Next() (re-checking after Acknowledge, which can
// only cancel timers); SQL sessions call Alerts and Acknowledge, the
// dispatcher Delivered.
//
// Observe copies the labels and annotations it keeps. Notifications
// returned by Advance share label slices with the manager (they are never
// modified in place afterwards) and are owned by the caller; receivers
// must not modify them.
//
// # States
//
// An alert is identified by its fingerprint: the hex of a 64-bit FNV-1a
// over the sink name and the labels (key columns) sorted by name. For
// matching (silences, inhibition), an alert's labels also include
// alertname = the sink name and severity = "P0".."P3" when set, unless
// the key columns already have labels of those names.
//
//   - inactive → pending on the first active event; the episode's
//     severity is taken from that event.
//   - pending → firing once the condition held continuously for For
//     (For = 0: at once). Each firing starts a new episode (counted).
//   - pending → dropped silently when an inactive event arrives (or
//     ResolveTimeout passes) first: a pending alert that never fires
//     sends nothing. An alert that fired in earlier episodes returns to
//     its last resolution instead.
//   - firing → resolved when an inactive event arrives, or when
//     ResolveTimeout passes without an active event (for append-only
//     views, whose rows are never retracted). With KeepFiringFor the alert
//     keeps firing that long after the condition stopped; an active event
//     within that time cancels the resolution.
//   - resolved → pending again on a new active event (a new episode when
//     it fires). A resolved alert is dropped from Alerts() Retention
//     (default 24h) after its resolution was notified (or, if it never
//     needed to be, after it resolved).
//
// When several timers fall due at the same instant they run in this
// order: fire, resolve_timeout, keep_firing_for, escalation, end of
// flapping, expiry. Advance runs due timers in time order at their own
// times, so calling it late (after a restart) gives the same transitions
// and notifications, stamped with the times they were due. Observe(now)
// first runs the timers due at or before now the same way and keeps
// their notifications for the next Advance, so the result does not
// depend on how often the caller advances. Only periodic timers collapse
// when the caller advances late: the repeats of a group's channel missed
// during a gap are sent once (the next one keeps the repeat phase), and
// re-checks of muted alerts and held escalations run once at now instead
// of once per interval. Transitions are never collapsed.
//
// # Groups
//
// Firing alerts are grouped by the values of the GroupBy labels (a
// missing label groups as the empty value; no GroupBy: one group per
// sink). A group is created when its first alert fires and is deleted
// when it has no members left. A new group is flushed GroupWait after it
// was created; later news (an alert fires, or a notified alert resolves)
// is flushed GroupInterval after the previous flush (or at once if that
// has passed). A flush sends one notification per channel: the
// channel's firing alerts and the alerts whose resolution is owed, in id
// order, if any of them is news to that channel; otherwise, if the
// channel has firing alerts and RepeatInterval passed since the last
// send to it, it is re-sent unchanged (a repeat). Resolved alerts are
// sent once, then leave the group. The resolution of an alert whose
// firing was never notified (it resolved within group_wait, or was muted
// the whole time) is not sent.
//
// # Routing and escalation
//
// Each alert goes to the channels of its severity (Routes), else to
// DefaultRoute ({"default"}). A group holding several severities yields
// one notification per channel, carrying that channel's alerts.
//
// A firing, unacknowledged alert of severity s with EscalateAfter[s] = d
// is, d after it fired, re-sent (alone) to the channels of the next more
// urgent severity (P3 → P2 → P1 → P0) with Notification.Escalation = 1;
// then, if that severity has its own EscalateAfter, again after that
// delay with Escalation = 2, and so on up to P0. Acknowledge stops it; a
// new episode starts over at level 0. A muted or flapping alert does not
// escalate: its escalation is retried one interval later at the same
// level.
//
// # Silences and inhibition
//
// A muted alert still moves through its states, but its firing is not
// notified while muted. A Silence mutes alerts its matchers all match
// between StartsAt and EndsAt; an InhibitRule mutes alerts matching
// Target while an alert (of any sink, from the FiringIndex) matching
// Source fires with equal values of the Equal labels (an alert never
// inhibits itself). A muted group is re-checked at the first
// GroupInterval tick at or after the silence ends (every GroupInterval
// for inhibition), so still-firing alerts are notified then; a silence
// with NotifyOnExpiry flushes the group exactly when it ends.
// Resolutions of alerts whose firing was notified are always sent, so
// receivers can close incidents.
//
// # Storm control
//
//   - Rate limit: at most RateLimit notifications per sink per window of
//     RateInterval (the window opens with the first notification). The
//     rest are folded per channel into one notification whose Summary
//     reads "N notifications for M alerts folded: ..." and whose Alerts
//     are the folded alerts (latest state each), sent when the window
//     ends. Escalations count; summaries do not.
//   - Flapping: a key changing firing↔resolved FlapCount times within
//     FlapWindow (option flap_threshold = 'N in <interval>') is marked
//     Flapping. One notification with Alert.Flapping = true is sent; its
//     further notifications (and escalations) are held until it has been
//     stable for FlapWindow, when its current state is sent if it is news.
//     Its history is capped at FlapCount entries.
//   - Dedup: with DedupDistance > 0, an alert of one notification whose
//     annotation values' 64-bit SimHash (over lower-cased character
//     3-grams) is within that Hamming distance of an earlier alert of the
//     same status is folded into it (Alert.Duplicates counts them).
//
// # Idempotency keys
//
// Notification.Key is a hash of the sink, channel, group key and the
// sorted (fingerprint, episode, status, escalation level, repeat number)
// of the alerts it carries — never of time or randomness — so a restart
// that replays the same events rebuilds the same keys. A change always
// carries a new (fingerprint, episode, status) and a repeat a new repeat
// number (per group and channel), so distinct sends never share a key.
// A folded summary's key hashes the keys it folds.
//
// # Snapshots
//
// Snapshot captures alerts, groups, counters and the rate-limit window;
// timers are derived from stored absolute times, so Restore followed by
// Advance(now) catches up on missed timers without losing transitions.
// The configuration is not stored: the sink's current Config applies. If
// group_by changed, firing alerts are regrouped and the new groups
// flushed at once; a channel that never received a group's alerts (new
// group or new route) gets its firing alerts at the next flush; a
// lowered flap_threshold trims flap histories.
package alert
