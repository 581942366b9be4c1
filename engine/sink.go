package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/alert"
	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/delivery"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/types"
)

// A sink is a job like a view's, whose output feeds a sinkRuntime
// instead of a queryable store. In alerts mode each change row becomes
// an alert.Event (labels from the label columns; active when the row
// matches the sink's WHERE; inactive when the label set's latest row
// stops matching or is retracted) for the sink's alert.Manager; a timer
// goroutine runs the manager's timers and moves the notifications it
// makes into the durable outbox and the dispatcher. In rows mode each
// change row becomes a record, sent in batches.
//
// Checkpoints write the manager, the outbox and the label sets' latest
// rows with the job's state, so a restart resends what was pending and
// replays the rest from the source.

const sinkStateVersion = 1

// sinkRuntime is a running sink's alert and delivery side.
type sinkRuntime struct {
	obj      *catalog.Object
	def      *sinkDef
	types    []types.Type
	mgr      *alert.Manager
	outbox   *delivery.Outbox
	disp     *delivery.Dispatcher
	channels map[string]connectors.Channel
	now      func() time.Time
	tick     time.Duration
	log      *slog.Logger

	// mu makes "advance the manager and queue what it made" atomic
	// with respect to checkpoints.
	mu sync.Mutex
	// latest is, per label set, a hash of its latest row: a retraction
	// of an older row does not resolve the alert.
	latest map[string]uint64
	// rowsSent numbers rows-mode records (idempotency keys).
	rowsSent uint64
	// hub receives the alert changes (alertnotify.go) while sessions
	// listen on tocsin_alerts; watch is the last state compared.
	hub   *listenHub
	watch alertWatch

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// newSinkRuntime builds a sink's channels, manager, outbox and
// dispatcher (not started).
func (e *Engine) newSinkRuntime(obj *catalog.Object, def *sinkDef) (*sinkRuntime, error) {
	s := &sinkRuntime{obj: obj, def: def, now: e.opts.Now, tick: e.opts.AlertTick, log: e.log.With("sink", obj.Name),
		latest: map[string]uint64{}, wake: make(chan struct{}, 1), channels: map[string]connectors.Channel{},
		outbox: delivery.NewOutbox(), hub: e.hub}
	for _, c := range obj.Schema {
		s.types = append(s.types, c.Type)
	}
	names := make([]string, 0, len(def.channels))
	for name := range def.channels {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		spec := def.channels[name]
		factory, _ := e.opts.Channels.Channel(spec.Options["connector"])
		ch, err := factory(spec)
		if err != nil {
			s.closeChannels()
			return nil, err
		}
		s.channels[name] = ch
	}
	if def.mode == modeAlerts {
		s.mgr = alert.NewManager(def.cfg, e.alerting.mutes, e.alerting.firing)
	}
	s.disp = delivery.NewDispatcher(delivery.Options{
		Sink: obj.Name, Channels: s.channels, Outbox: s.outbox, Deadline: def.deadline,
		InitialBackoff: def.retryMin, MaxBackoff: def.retryMax, Now: e.opts.Now, Log: s.log,
		OnResult: s.onResult,
	})
	return s, nil
}

func (s *sinkRuntime) closeChannels() {
	for _, ch := range s.channels {
		_ = ch.Close()
	}
}

// onResult records a finished delivery on the alerts it carried.
func (s *sinkRuntime) onResult(r delivery.Result) {
	if s.mgr != nil && r.N != nil {
		s.mgr.Delivered(r.N, r.Err)
	}
	if r.Err != nil {
		s.log.Warn("notification not delivered", "channel", r.N.Channel, "key", r.N.Key, "attempts", r.Attempts, "err", r.Err)
	}
}

// start runs the dispatcher (resending what the outbox holds) and the
// timer loop.
func (s *sinkRuntime) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.disp.Start(ctx)
	for _, ent := range s.outbox.Pending() {
		s.disp.Enqueue(ent.Seq, ent.N)
	}
	go s.run(ctx)
}

// close stops the timer loop and the dispatcher and closes the channels.
// Undelivered notifications stay in the outbox (and its last checkpoint).
func (s *sinkRuntime) close() {
	if s == nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.disp.Close()
	}
	s.closeChannels()
}

// run advances the manager's timers: when the manager asks, when the job
// observed something, and at least every tick.
func (s *sinkRuntime) run(ctx context.Context) {
	defer close(s.done)
	if s.mgr == nil {
		<-ctx.Done()
		return
	}
	for {
		next := s.advance()
		wait := s.tick
		if !next.IsZero() {
			if d := next.Sub(s.now()); d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// advance runs the manager's due timers and queues their notifications.
func (s *sinkRuntime) advance() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, n := range s.mgr.Advance(now) {
		s.disp.Enqueue(s.outbox.Add(n), n)
	}
	s.publishAlertChanges(now)
	return s.mgr.Next()
}

func (s *sinkRuntime) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// apply takes a change chunk of the sink's rows (on the job goroutine).
func (s *sinkRuntime) apply(c batch.Chunk) error {
	if c.Len() == 0 {
		return nil
	}
	if s.def.mode == modeRows {
		return s.sendRows(c)
	}
	rec := c.Rec
	n := int(rec.NumRows())
	cols := make([][]string, rec.NumCols())
	for k := range cols {
		cols[k] = columnText(rec.Column(k), s.types[k], n)
	}
	var order []string
	changes := map[string]*alert.Event{}
	s.mu.Lock()
	for i := range n {
		retract := c.Signs != nil && c.Signs[i] < 0
		key, labels := s.labelsOf(cols, i)
		h := rowHash(cols, i)
		if retract {
			if s.latest[key] != h {
				continue
			}
			delete(s.latest, key)
		} else {
			s.latest[key] = h
		}
		if _, ok := changes[key]; !ok {
			order = append(order, key)
		}
		ev := &alert.Event{Labels: labels}
		if !retract {
			ev.Active = s.def.match < 0 || cols[s.def.match][i] == "t"
			ev.Annotations = s.annotationsOf(cols, i)
			ev.Severity = s.severityOf(cols, i)
		}
		changes[key] = ev
	}
	now := s.now()
	for _, key := range order {
		s.mgr.Observe(now, *changes[key])
	}
	s.mu.Unlock()
	s.poke()
	return nil
}

// labelsOf returns row i's label set key and labels.
func (s *sinkRuntime) labelsOf(cols [][]string, i int) (string, []connectors.Label) {
	labels := make([]connectors.Label, len(s.def.labels))
	var key strings.Builder
	for k, c := range s.def.labels {
		labels[k] = connectors.Label{Name: s.obj.Schema[c].Name, Value: cols[c][i]}
		key.WriteString(cols[c][i])
		key.WriteByte(0)
	}
	return key.String(), labels
}

// annotationsOf returns row i's annotations: the rendered templates,
// then the annotation columns.
func (s *sinkRuntime) annotationsOf(cols [][]string, i int) []connectors.Label {
	var out []connectors.Label
	if len(s.def.templates) > 0 {
		data := make(map[string]string, len(cols))
		for k, c := range s.obj.Schema {
			data[c.Name] = cols[k][i]
		}
		for _, t := range s.def.templates {
			var b strings.Builder
			if err := t.t.Execute(&b, data); err != nil {
				b.Reset()
				fmt.Fprintf(&b, "(%s template failed: %v)", t.name, err)
			}
			out = append(out, connectors.Label{Name: t.name, Value: b.String()})
		}
	}
	for _, c := range s.def.annots {
		out = append(out, connectors.Label{Name: s.obj.Schema[c].Name, Value: cols[c][i]})
	}
	return out
}

func (s *sinkRuntime) severityOf(cols [][]string, i int) alert.Severity {
	if s.def.sevCol < 0 {
		return s.def.sevConst
	}
	sev, err := alert.ParseSeverity(cols[s.def.sevCol][i])
	if err != nil {
		return alert.SeverityNone
	}
	return sev
}

// sendRows queues one rows-mode notification for the chunk.
func (s *sinkRuntime) sendRows(c batch.Chunk) error {
	rec := c.Rec
	n := int(rec.NumRows())
	recs := make([]connectors.Record, n)
	for i := range n {
		op := "insert"
		if c.Signs != nil && c.Signs[i] < 0 {
			op = "delete"
		}
		recs[i] = connectors.Record{Key: rowKeyJSON(rec, s.types, s.def.labels, i), Value: rowJSON(rec, s.obj.Schema, s.def.match, op, i)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	note := &connectors.Notification{Sink: s.obj.Name, Channel: "default", Key: fmt.Sprintf("%s/rows/%d", s.obj.Name, s.rowsSent),
		Records: recs, CreatedAt: s.now()}
	s.rowsSent += uint64(n)
	s.disp.Enqueue(s.outbox.Add(note), note)
	return nil
}

// columnText renders a column as Postgres text ("" for NULL).
func columnText(arr arrow.Array, t types.Type, n int) []string {
	out := make([]string, n)
	for i := range n {
		if arr.IsNull(i) {
			continue
		}
		out[i] = functions.DatumAt(arr, t, i).String()
	}
	return out
}

// rowHash is FNV-1a over row i's column texts, each followed by a NUL.
func rowHash(cols [][]string, i int) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, c := range cols {
		for k := 0; k < len(c[i]); k++ {
			h = (h ^ uint64(c[i][k])) * prime
		}
		h *= prime // the NUL separator: h ^ 0 == h
	}
	return h
}

// snapshot writes the sink's state: the manager, the outbox, the latest
// rows and the rows counter. It runs on the job goroutine at a barrier.
func (s *sinkRuntime) snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := state.Writer{Buf: []byte{sinkStateVersion}}
	var mgr []byte
	if s.mgr != nil {
		var err error
		if mgr, err = s.mgr.Snapshot(nil); err != nil {
			return nil, err
		}
	}
	w.Bytes(mgr)
	ob, err := s.outbox.Snapshot(nil)
	if err != nil {
		return nil, err
	}
	w.Bytes(ob)
	keys := make([]string, 0, len(s.latest))
	for k := range s.latest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.Uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.Bytes([]byte(k))
		w.Uvarint(s.latest[k])
	}
	w.Uvarint(s.rowsSent)
	return w.Buf, nil
}

// restore is snapshot's inverse (before start).
func (s *sinkRuntime) restore(b []byte) error {
	if len(b) == 0 || b[0] != sinkStateVersion {
		return fmt.Errorf("sink %s: unknown state version", s.obj.Name)
	}
	r := state.Reader{Buf: b[1:]}
	mgr := r.Bytes()
	ob := r.Bytes()
	n := r.Uvarint()
	latest := map[string]uint64{}
	for i := uint64(0); i < n && r.Err == nil; i++ {
		k := string(r.Bytes())
		latest[k] = r.Uvarint()
	}
	rows := r.Uvarint()
	if r.Err != nil {
		return fmt.Errorf("sink %s: %w", s.obj.Name, r.Err)
	}
	if s.mgr != nil && len(mgr) > 0 {
		if err := s.mgr.Restore(mgr); err != nil {
			return fmt.Errorf("sink %s: restore alerts: %w", s.obj.Name, err)
		}
	}
	if err := s.outbox.Restore(ob); err != nil {
		return fmt.Errorf("sink %s: restore outbox: %w", s.obj.Name, err)
	}
	s.latest, s.rowsSent = latest, rows
	return nil
}
