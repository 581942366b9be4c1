package alert

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// InhibitRule mutes the alerts matching Target while an alert matching
// Source fires whose Equal labels have the same values (a missing label
// counts as the empty value). An alert never inhibits itself.
type InhibitRule struct {
	Name           string
	Source, Target []Matcher
	Equal          []string
}

// Inhibitions is the set of inhibition rules shared by every sink. It
// is safe for concurrent use.
type Inhibitions struct {
	mu    sync.RWMutex
	rules []InhibitRule // by name
}

// NewInhibitions returns an empty set.
func NewInhibitions() *Inhibitions { return &Inhibitions{} }

// Add adds a rule. A duplicate name is a *sqlerr.Error with SQLSTATE
// 42710; a rule without a name or without source or target matchers
// one with 22023.
func (in *Inhibitions) Add(r InhibitRule) error {
	if r.Name == "" || len(r.Source) == 0 || len(r.Target) == 0 {
		return sqlerr.New(sqlerr.InvalidParameterValue, "an inhibition rule needs a name, source matchers and target matchers")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	i := sort.Search(len(in.rules), func(i int) bool { return in.rules[i].Name >= r.Name })
	if i < len(in.rules) && in.rules[i].Name == r.Name {
		return sqlerr.New(sqlerr.DuplicateObject, "inhibition rule %q already exists", r.Name)
	}
	in.rules = append(in.rules, InhibitRule{})
	copy(in.rules[i+1:], in.rules[i:])
	in.rules[i] = r
	return nil
}

// Remove drops a rule. An unknown name is a *sqlerr.Error with SQLSTATE
// 42704.
func (in *Inhibitions) Remove(name string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, r := range in.rules {
		if r.Name == name {
			in.rules = append(in.rules[:i], in.rules[i+1:]...)
			return nil
		}
	}
	return sqlerr.New(sqlerr.UndefinedObject, "inhibition rule %q does not exist", name)
}

// List returns the rules by name.
func (in *Inhibitions) List() []InhibitRule {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return append([]InhibitRule(nil), in.rules...)
}

// Inhibited returns the first rule (by name) that inhibits labels given
// the firing alerts.
func (in *Inhibitions) Inhibited(labels []connectors.Label, firing *FiringIndex) (string, bool) {
	if firing == nil {
		return "", false
	}
	in.mu.RLock()
	defer in.mu.RUnlock()
	for i := range in.rules {
		r := &in.rules[i]
		if !matchAll(r.Target, labels) {
			continue
		}
		if firing.any(func(src []connectors.Label) bool {
			return matchAll(r.Source, src) && equalOn(r.Equal, src, labels) && !sameLabels(src, labels)
		}) {
			return r.Name, true
		}
	}
	return "", false
}

func equalOn(names []string, a, b []connectors.Label) bool {
	for _, n := range names {
		va, _ := labelValue(a, n)
		vb, _ := labelValue(b, n)
		if va != vb {
			return false
		}
	}
	return true
}

func sameLabels(a, b []connectors.Label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FiringIndex is the set of currently firing alerts of every sink,
// identified by sink and fingerprint, with their matching labels
// (alertname and severity included). Managers keep it up to date as
// their alerts fire and resolve; inhibition reads it. It is safe for
// concurrent use.
type FiringIndex struct {
	mu  sync.RWMutex
	set map[firingKey][]connectors.Label
}

type firingKey struct{ sink, fingerprint string }

// NewFiringIndex returns an empty index.
func NewFiringIndex() *FiringIndex {
	return &FiringIndex{set: map[firingKey][]connectors.Label{}}
}

// Set records that the alert fires. The index keeps labels; the caller
// must not modify them afterwards.
func (f *FiringIndex) Set(sink, fingerprint string, labels []connectors.Label) {
	f.mu.Lock()
	f.set[firingKey{sink, fingerprint}] = labels
	f.mu.Unlock()
}

// Delete records that the alert no longer fires.
func (f *FiringIndex) Delete(sink, fingerprint string) {
	f.mu.Lock()
	delete(f.set, firingKey{sink, fingerprint})
	f.mu.Unlock()
}

// DeleteSink forgets every alert of a sink (when it is dropped).
func (f *FiringIndex) DeleteSink(sink string) {
	f.mu.Lock()
	for k := range f.set {
		if k.sink == sink {
			delete(f.set, k)
		}
	}
	f.mu.Unlock()
}

// Len returns the number of firing alerts.
func (f *FiringIndex) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.set)
}

func (f *FiringIndex) any(pred func([]connectors.Label) bool) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, l := range f.set {
		if pred(l) {
			return true
		}
	}
	return false
}

// Muter says whether an alert's notifications are held now (silence or
// inhibition). labels are the alert's matching labels: its labels plus
// alertname and severity.
type Muter interface {
	Muted(now time.Time, labels []connectors.Label) (reason string, muted bool)
}

// MuteKind says why an alert is muted.
type MuteKind uint8

// The mute kinds.
const (
	NotMuted MuteKind = iota
	MutedBySilence
	MutedByInhibition
)

// String returns "none", "silence" or "inhibition".
func (k MuteKind) String() string {
	switch k {
	case MutedBySilence:
		return "silence"
	case MutedByInhibition:
		return "inhibition"
	}
	return "none"
}

// Mute describes why and until when an alert is muted.
type Mute struct {
	Kind   MuteKind
	Reason string
	// Until is when the mute lifts if known (a silence's end), else zero.
	Until time.Time
	// FlushOnEnd asks for the alert's group to be flushed at Until.
	FlushOnEnd bool
}

// MuteDetailer is implemented by Muters that can say why and until when
// an alert is muted. The Manager uses it, when present, to set the
// Silenced/Inhibited columns and to flush at a NotifyOnExpiry silence's
// end; with a plain Muter every mute counts as a silence of unknown end.
type MuteDetailer interface {
	Mute(now time.Time, labels []connectors.Label) Mute
}

// Mutes combines silences and inhibitions into a Muter. Any field may be
// nil. Silences are checked first.
type Mutes struct {
	Silences    *Silences
	Inhibitions *Inhibitions
	Firing      *FiringIndex
}

var (
	_ Muter        = (*Mutes)(nil)
	_ MuteDetailer = (*Mutes)(nil)
)

// Muted implements Muter.
func (m *Mutes) Muted(now time.Time, labels []connectors.Label) (string, bool) {
	mu := m.Mute(now, labels)
	return mu.Reason, mu.Kind != NotMuted
}

// Mute implements MuteDetailer.
func (m *Mutes) Mute(now time.Time, labels []connectors.Label) Mute {
	if m.Silences != nil {
		if s, ok := m.Silences.Active(now, labels); ok {
			return Mute{Kind: MutedBySilence, Reason: "silence " + strconv.FormatInt(s.ID, 10), Until: s.EndsAt, FlushOnEnd: s.NotifyOnExpiry}
		}
	}
	if m.Inhibitions != nil {
		if name, ok := m.Inhibitions.Inhibited(labels, m.Firing); ok {
			return Mute{Kind: MutedByInhibition, Reason: "inhibition " + name}
		}
	}
	return Mute{}
}
