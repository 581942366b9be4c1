package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/engine/alert"
	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// alerting is the engine-wide alert state every sink shares: silences,
// inhibition rules and the index of firing alerts that inhibition reads.
// Silences and rules are stored durably when they change (they are
// statements, not stream state).
type alerting struct {
	silences *alert.Silences
	inhib    *alert.Inhibitions
	firing   *alert.FiringIndex
	mutes    *alert.Mutes
	// names maps a named silence to its id (guarded by Engine.mu).
	names map[string]int64
	// rules are the CREATE INHIBITION statements, by name.
	rules map[string]string
}

func newAlerting() *alerting {
	a := &alerting{silences: alert.NewSilences(), inhib: alert.NewInhibitions(), firing: alert.NewFiringIndex(),
		names: map[string]int64{}, rules: map[string]string{}}
	a.mutes = &alert.Mutes{Silences: a.silences, Inhibitions: a.inhib, Firing: a.firing}
	return a
}

const (
	silencesKey     = "silences"
	inhibitionsKey  = "inhibitions"
	alertingVersion = 1
)

// saveAlerting stores the silences and rules (e.mu held).
func (e *Engine) saveAlerting() error {
	a := e.alerting
	sil, err := a.silences.Snapshot(nil)
	if err != nil {
		return err
	}
	w := state.Writer{Buf: []byte{alertingVersion}}
	names := make([]string, 0, len(a.names))
	for n := range a.names {
		names = append(names, n)
	}
	sort.Strings(names)
	w.Uvarint(uint64(len(names)))
	for _, n := range names {
		w.Bytes([]byte(n))
		w.Varint(a.names[n])
	}
	w.Bytes(sil)
	rules := state.Writer{Buf: []byte{alertingVersion}}
	rnames := make([]string, 0, len(a.rules))
	for n := range a.rules {
		rnames = append(rnames, n)
	}
	sort.Strings(rnames)
	rules.Uvarint(uint64(len(rnames)))
	for _, n := range rnames {
		rules.Bytes([]byte(a.rules[n]))
	}
	b := e.db.NewBatch()
	b.Put(durable.AlertingKey(silencesKey), w.Buf)
	b.Put(durable.AlertingKey(inhibitionsKey), rules.Buf)
	if err := b.Commit(); err != nil {
		return sqlerr.Wrap(err, sqlerr.IOError, "store silences and inhibition rules")
	}
	return nil
}

// restoreAlerting loads the stored silences and rules (e.mu held).
func (e *Engine) restoreAlerting() error {
	a := newAlerting()
	e.alerting = a
	if blob, ok, err := e.db.Get(durable.AlertingKey(silencesKey)); err != nil {
		return err
	} else if ok {
		if len(blob) == 0 || blob[0] != alertingVersion {
			return fmt.Errorf("silences: unknown version")
		}
		r := state.Reader{Buf: blob[1:]}
		n := r.Uvarint()
		for i := uint64(0); i < n && r.Err == nil; i++ {
			name := string(r.Bytes())
			a.names[name] = r.Varint()
		}
		sil := r.Bytes()
		if r.Err != nil {
			return fmt.Errorf("silences: %w", r.Err)
		}
		if err := a.silences.Restore(sil); err != nil {
			return fmt.Errorf("silences: %w", err)
		}
	}
	if blob, ok, err := e.db.Get(durable.AlertingKey(inhibitionsKey)); err != nil {
		return err
	} else if ok {
		if len(blob) == 0 || blob[0] != alertingVersion {
			return fmt.Errorf("inhibition rules: unknown version")
		}
		r := state.Reader{Buf: blob[1:]}
		n := r.Uvarint()
		for i := uint64(0); i < n && r.Err == nil; i++ {
			text := string(r.Bytes())
			st, err := parser.ParseOne(text)
			if err != nil {
				return fmt.Errorf("inhibition rule %q: %w", text, err)
			}
			ci, ok := st.(*ast.CreateInhibition)
			if !ok {
				return fmt.Errorf("inhibition rule %q: not CREATE INHIBITION", text)
			}
			if err := e.addInhibition(ci); err != nil {
				return err
			}
		}
		if r.Err != nil {
			return fmt.Errorf("inhibition rules: %w", r.Err)
		}
	}
	return nil
}

func matchers(ms []ast.LabelMatcher) ([]alert.Matcher, error) {
	out := make([]alert.Matcher, 0, len(ms))
	for _, m := range ms {
		var op alert.MatchOp
		switch m.Op {
		case ast.MatchEqual:
			op = alert.MatchEqual
		case ast.MatchNotEqual:
			op = alert.MatchNotEqual
		case ast.MatchRegexp:
			op = alert.MatchRegexp
		case ast.MatchNotRegexp:
			op = alert.MatchNotRegexp
		}
		am, err := alert.NewMatcher(m.Label, op, m.Value)
		if err != nil {
			return nil, errAt(err, m.Off)
		}
		out = append(out, am)
	}
	return out, nil
}

// createSilence runs CREATE SILENCE and returns its id as a row.
func (s *Session) createSilence(st *ast.CreateSilence, w ResultWriter) error {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	ms, err := matchers(st.Matchers)
	if err != nil {
		return err
	}
	d, err := parseDuration(st.For)
	if err != nil || d <= 0 {
		return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "FOR must be a positive interval such as '2 hours', not %q", st.For)
	}
	sil := alert.Silence{Matchers: ms, CreatedBy: s.user, Comment: st.Comment}
	for k, v := range options(st.With) {
		switch k {
		case "notify_on_expiry":
			b, err := parseBool(v)
			if err != nil {
				return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "notify_on_expiry must be true or false, not %q", v)
			}
			sil.NotifyOnExpiry = b
		default:
			return sqlerr.At(sqlerr.InvalidParameterValue, st.Off, "unknown silence option %q (known: notify_on_expiry)", k)
		}
	}
	if st.Name != "" {
		if _, ok := e.alerting.names[st.Name]; ok && e.silenceLive(st.Name) {
			return sqlerr.At(sqlerr.DuplicateObject, st.Off, "silence %q already exists", st.Name)
		}
	}
	now := e.opts.Now()
	sil.StartsAt, sil.EndsAt = now, now.Add(d)
	id, err := e.alerting.silences.Add(now, sil)
	if err != nil {
		return err
	}
	if st.Name != "" {
		e.alerting.names[st.Name] = id
	}
	if err := e.saveAlerting(); err != nil {
		return err
	}
	e.pokeSinks()
	t := newTable(col("id", types.Int64Type), col("ends_at", types.TimestampTZType))
	t.add(i64(id), types.IntDatum(types.TimestampTZType, sil.EndsAt.UnixMicro()))
	return t.write(w, "CREATE SILENCE")
}

// silenceLive reports whether the named silence still exists (e.mu held).
func (e *Engine) silenceLive(name string) bool {
	id := e.alerting.names[name]
	for _, s := range e.alerting.silences.List(e.opts.Now()) {
		if s.ID == id {
			return true
		}
	}
	delete(e.alerting.names, name)
	return false
}

// addInhibition registers a rule (e.mu held).
func (e *Engine) addInhibition(st *ast.CreateInhibition) error {
	src, err := matchers(st.Source)
	if err != nil {
		return err
	}
	tgt, err := matchers(st.Target)
	if err != nil {
		return err
	}
	if err := e.alerting.inhib.Add(alert.InhibitRule{Name: st.Name, Source: src, Target: tgt, Equal: st.Equal}); err != nil {
		return err
	}
	e.alerting.rules[st.Name] = ast.Format(st)
	return nil
}

func (s *Session) createInhibition(st *ast.CreateInhibition) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if err := s.e.addInhibition(st); err != nil {
		return err
	}
	if err := s.e.saveAlerting(); err != nil {
		return err
	}
	s.e.pokeSinks()
	return nil
}

// dropAlerting runs DROP SILENCE name-or-id and DROP INHIBITION name.
func (s *Session) dropAlerting(st *ast.Drop, w ResultWriter) error {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range st.Names {
		name := n.Name()
		var err error
		if st.Kind == ast.ObjInhibition {
			if err = e.alerting.inhib.Remove(name); err == nil {
				delete(e.alerting.rules, name)
			}
		} else {
			id, ok := e.alerting.names[name]
			if !ok {
				if v, perr := strconv.ParseInt(strings.TrimPrefix(name, "#"), 10, 64); perr == nil {
					id, ok = v, true
				}
			}
			if !ok {
				err = sqlerr.New(sqlerr.UndefinedObject, "silence %q does not exist", name)
			} else if err = e.alerting.silences.Remove(id); err == nil {
				for k, v := range e.alerting.names {
					if v == id {
						delete(e.alerting.names, k)
					}
				}
			}
		}
		if err != nil {
			if st.IfExists && sqlerr.CodeOf(err) == sqlerr.UndefinedObject {
				if err := w.Notice("NOTICE", fmt.Sprintf("%s %q does not exist, skipping", st.Kind, name)); err != nil {
					return err
				}
				continue
			}
			return errAt(err, n.Off)
		}
	}
	if err := e.saveAlerting(); err != nil {
		return err
	}
	e.pokeSinks()
	return nil
}

// acknowledge runs ACKNOWLEDGE ALERT id, ...: escalation stops.
func (s *Session) acknowledge(st *ast.Acknowledge, w ResultWriter) error {
	e := s.e
	e.mu.Lock()
	sinks := e.sinkRuntimes()
	e.mu.Unlock()
	by := st.By
	if by == "" {
		by = s.user
	}
	now := e.opts.Now()
	for _, id := range st.IDs {
		sinkID := uint32(id >> 32)
		rt, ok := sinks[sinkID]
		if !ok || rt.mgr == nil {
			return sqlerr.At(sqlerr.UndefinedObject, st.Off, "alert %d does not exist", id)
		}
		if err := rt.mgr.Acknowledge(now, id, by); err != nil {
			return errAt(err, st.Off)
		}
		rt.poke()
	}
	return w.Complete(fmt.Sprintf("ACKNOWLEDGE %d", len(st.IDs)))
}

// sinkRuntimes maps sink ids to their runtimes (e.mu held).
func (e *Engine) sinkRuntimes() map[uint32]*sinkRuntime {
	out := map[uint32]*sinkRuntime{}
	for id, j := range e.jobs {
		if j.sink != nil {
			out[id] = j.sink
		}
	}
	return out
}

// pokeSinks wakes every sink's timer loop after silences or rules
// changed; alerts they held are re-checked at their groups' next tick.
func (e *Engine) pokeSinks() {
	now := e.opts.Now()
	for _, rt := range e.sinkRuntimes() {
		if rt.mgr != nil {
			rt.mgr.MutesChanged(now)
		}
		rt.poke()
	}
}

// showSilences lists the silences that have not ended.
func (s *Session) showSilences(w ResultWriter) error {
	e := s.e
	e.mu.Lock()
	names := map[int64]string{}
	for n, id := range e.alerting.names {
		names[id] = n
	}
	e.mu.Unlock()
	now := e.opts.Now()
	t := newTable(col("id", types.Int64Type), col("name", types.TextType), col("matchers", types.TextType),
		col("starts_at", types.TimestampTZType), col("ends_at", types.TimestampTZType), col("state", types.TextType),
		col("created_by", types.TextType), col("comment", types.TextType), col("notify_on_expiry", types.BoolType))
	for _, sil := range e.alerting.silences.List(now) {
		ms := make([]string, len(sil.Matchers))
		for i, m := range sil.Matchers {
			ms[i] = m.String()
		}
		st := "active"
		if now.Before(sil.StartsAt) {
			st = "pending"
		}
		n, named := names[sil.ID]
		t.add(i64(sil.ID), nullable(text(n), named), text(strings.Join(ms, ", ")), ts(sil.StartsAt), ts(sil.EndsAt),
			text(st), text(sil.CreatedBy), text(sil.Comment), types.BoolDatum(sil.NotifyOnExpiry))
	}
	return t.write(w, "")
}

// showInhibitions lists the inhibition rules.
func (s *Session) showInhibitions(w ResultWriter) error {
	t := newTable(col("name", types.TextType), col("source", types.TextType), col("target", types.TextType), col("equal", types.TextType))
	for _, r := range s.e.alerting.inhib.List() {
		t.add(text(r.Name), text(matcherText(r.Source)), text(matcherText(r.Target)), text(strings.Join(r.Equal, ", ")))
	}
	return t.write(w, "")
}

func matcherText(ms []alert.Matcher) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return strings.Join(out, ", ")
}

// ts is a timestamptz datum, NULL for the zero time.
func ts(t time.Time) types.Datum {
	if t.IsZero() {
		return types.NullDatum(types.TimestampTZType)
	}
	return types.IntDatum(types.TimestampTZType, t.UnixMicro())
}

// errAt positions a statement error at byte offset off, keeping its
// SQLSTATE.
func errAt(err error, off int) error {
	c := *sqlerr.As(err)
	if c.Pos == 0 && off >= 0 {
		c.Pos = off + 1
	}
	return &c
}

// parseBool reads an option's boolean as Postgres does: true/false,
// on/off, yes/no, 1/0 (any case).
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1", "t", "y":
		return true, nil
	case "false", "off", "no", "0", "f", "n":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}
