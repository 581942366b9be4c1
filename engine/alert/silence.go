package alert

import (
	"sort"
	"sync"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Silence mutes the notifications of every alert its matchers all match
// from StartsAt until EndsAt.
type Silence struct {
	// ID is assigned by Silences.Add (1, 2, ...).
	ID       int64
	Matchers []Matcher
	// StartsAt (zero: at once) and EndsAt bound the silence.
	StartsAt, EndsAt time.Time
	CreatedBy        string
	Comment          string
	// NotifyOnExpiry flushes a muted alert's group as soon as the silence
	// ends instead of at the group's next regular flush.
	NotifyOnExpiry bool
}

// activeAt reports whether the silence mutes at now.
func (s *Silence) activeAt(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Silences is a set of silences shared by every sink. It is safe for
// concurrent use. Silences that have ended are dropped lazily by Add and
// List.
type Silences struct {
	mu     sync.Mutex
	nextID int64
	set    map[int64]*Silence
}

// NewSilences returns an empty set.
func NewSilences() *Silences { return &Silences{set: map[int64]*Silence{}} }

// Add validates s (at least one matcher, EndsAt after StartsAt and after
// now), assigns it an id and returns the id. Errors are *sqlerr.Error
// with SQLSTATE 22023.
func (s *Silences) Add(now time.Time, sil Silence) (int64, error) {
	if len(sil.Matchers) == 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameterValue, "a silence needs at least one matcher")
	}
	if !sil.EndsAt.After(sil.StartsAt) || !sil.EndsAt.After(now) {
		return 0, sqlerr.New(sqlerr.InvalidParameterValue, "a silence must end after it starts and in the future")
	}
	sil.Matchers = append([]Matcher(nil), sil.Matchers...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gc(now)
	s.nextID++
	sil.ID = s.nextID
	s.set[sil.ID] = &sil
	return sil.ID, nil
}

// Remove expires a silence at once. An unknown id is a *sqlerr.Error
// with SQLSTATE 42704.
func (s *Silences) Remove(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[id]; !ok {
		return sqlerr.New(sqlerr.UndefinedObject, "silence %d does not exist", id)
	}
	delete(s.set, id)
	return nil
}

// List returns the silences that have not ended at now (active and
// scheduled), by id.
func (s *Silences) List(now time.Time) []Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gc(now)
	out := make([]Silence, 0, len(s.set))
	for _, sil := range s.set {
		out = append(out, *sil)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Active returns the silence muting labels at now, if any: of several,
// the one that ends last (the mute lifts when it ends), ties broken by
// the lower id.
func (s *Silences) Active(now time.Time, labels []connectors.Label) (Silence, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *Silence
	for _, sil := range s.set {
		if !sil.activeAt(now) || !matchAll(sil.Matchers, labels) {
			continue
		}
		if best == nil || sil.EndsAt.After(best.EndsAt) || sil.EndsAt.Equal(best.EndsAt) && sil.ID < best.ID {
			best = sil
		}
	}
	if best == nil {
		return Silence{}, false
	}
	return *best, true
}

func (s *Silences) gc(now time.Time) {
	for id, sil := range s.set {
		if !now.Before(sil.EndsAt) {
			delete(s.set, id)
		}
	}
}

const silencesVersion = 1

// Snapshot appends the set (including the id counter) to dst.
func (s *Silences) Snapshot(dst []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.set))
	for id := range s.set {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	w := state.Writer{Buf: append(dst, silencesVersion)}
	w.Varint(s.nextID)
	w.Uvarint(uint64(len(ids)))
	for _, id := range ids {
		sil := s.set[id]
		w.Varint(sil.ID)
		writeMatchers(&w, sil.Matchers)
		writeTime(&w, sil.StartsAt)
		writeTime(&w, sil.EndsAt)
		w.Bytes([]byte(sil.CreatedBy))
		w.Bytes([]byte(sil.Comment))
		w.Bool(sil.NotifyOnExpiry)
	}
	return w.Buf, nil
}

// Restore replaces the set with one written by Snapshot.
func (s *Silences) Restore(src []byte) error {
	if len(src) == 0 || src[0] != silencesVersion {
		return state.ErrCorrupt
	}
	r := state.Reader{Buf: src[1:]}
	next := r.Varint()
	n := readCount(&r)
	set := make(map[int64]*Silence, n)
	for i := 0; i < n && r.Err == nil; i++ {
		sil := &Silence{ID: r.Varint()}
		sil.Matchers = readMatchers(&r)
		sil.StartsAt = readTime(&r)
		sil.EndsAt = readTime(&r)
		sil.CreatedBy = string(r.Bytes())
		sil.Comment = string(r.Bytes())
		sil.NotifyOnExpiry = r.Bool()
		set[sil.ID] = sil
	}
	if r.Err != nil {
		return r.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID, s.set = next, set
	return nil
}

func writeMatchers(w *state.Writer, ms []Matcher) {
	w.Uvarint(uint64(len(ms)))
	for _, m := range ms {
		w.Bytes([]byte(m.Name))
		w.Uvarint(uint64(m.Op))
		w.Bytes([]byte(m.Value))
	}
}

func readMatchers(r *state.Reader) []Matcher {
	n := readCount(r)
	var out []Matcher
	for i := 0; i < n && r.Err == nil; i++ {
		name := string(r.Bytes())
		op := MatchOp(r.Uvarint())
		value := string(r.Bytes())
		if r.Err != nil {
			break
		}
		m, err := NewMatcher(name, op, value)
		if err != nil {
			r.Err = state.ErrCorrupt
			break
		}
		out = append(out, m)
	}
	return out
}
