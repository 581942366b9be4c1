package aggregate

import (
	"encoding/binary"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// newStateFunc builds an aggregate's state for the given options.
type newStateFunc func(opts functions.AggOptions) (functions.GroupState, error)

// withDistinct returns the state newInner builds, wrapped in a
// distinctState when the call is f(DISTINCT ...). args are the types of
// every argument Update receives (nil: use fallback, the overload's
// declared arguments).
func withDistinct(name string, args, fallback []types.Type, opts functions.AggOptions, newInner newStateFunc) (functions.GroupState, error) {
	if !opts.Distinct {
		return newInner(opts)
	}
	if args == nil {
		args = fallback
	}
	codec, err := newKeyCodec(name, args, nil)
	if err != nil {
		return nil, err
	}
	opts.Distinct = false
	inner, err := newInner(opts)
	if err != nil {
		return nil, err
	}
	return &distinctState{inner: inner, codec: codec}, nil
}

// distinctState implements f(DISTINCT args) over any inner state. Per
// group it counts every distinct tuple of argument values (NULLs
// included; the inner state applies its own NULL rule, as Postgres
// calls the transition function after removing duplicates) and forwards
// a row to the inner state only when its tuple's count goes from 0 to 1,
// and a retraction only when the count drops back to 0. The tuple is the
// key-codec encoding of every argument, ordering arguments included
// (Postgres requires them to appear among the arguments anyway).
//
// Memory per group: a map from encoded tuple to a slot of the shared
// count slice, about 40 bytes plus the tuple per distinct tuple, on top
// of the inner state.
type distinctState struct {
	inner functions.GroupState
	codec *keyCodec
	seen  []map[string]uint32
	cnt   []int64
	free  []uint32
	bufs  [][]byte
	fwd   []uint32
}

var _ functions.GroupState = (*distinctState)(nil)

func (s *distinctState) Resize(n int) {
	s.inner.Resize(n)
	s.seen = grow(s.seen, n)
}

func (s *distinctState) slot() uint32 {
	if n := len(s.free); n > 0 {
		id := s.free[n-1]
		s.free = s.free[:n-1]
		return id
	}
	s.cnt = append(s.cnt, 0)
	return uint32(len(s.cnt) - 1)
}

func (s *distinctState) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	n := len(groups)
	s.bufs = grow(s.bufs, n)
	for i := range s.bufs[:n] {
		s.bufs[i] = s.bufs[i][:0]
	}
	s.codec.encode(s.bufs, args, groups)
	fwd := grow(s.fwd[:0], n)
	s.fwd = fwd
	for i, g := range groups {
		fwd[i] = functions.NoGroup
		if g == functions.NoGroup {
			continue
		}
		m := s.seen[g]
		if m == nil {
			m = map[string]uint32{}
			s.seen[g] = m
		}
		k := s.bufs[i]
		slot, ok := m[string(k)]
		if signs != nil && signs[i] < 0 {
			if !ok {
				continue // a retraction of a row never seen: nothing to undo
			}
			if s.cnt[slot]--; s.cnt[slot] == 0 {
				delete(m, string(k))
				s.free = append(s.free, slot)
				fwd[i] = g
			}
			continue
		}
		if ok {
			s.cnt[slot]++
			continue
		}
		slot = s.slot()
		s.cnt[slot] = 1
		m[string(k)] = slot
		fwd[i] = g
	}
	return s.inner.Update(args, fwd, signs)
}

func (s *distinctState) Finalize(groups []uint32) (arrow.Array, error) {
	return s.inner.Finalize(groups)
}

func (s *distinctState) Reset(g uint32) {
	s.forget(g)
	s.inner.Reset(g)
}

// forget drops group g's tuples, returning their count slots.
func (s *distinctState) forget(g uint32) {
	for _, slot := range s.seen[g] {
		s.free = append(s.free, slot)
	}
	s.seen[g] = nil
}

func (s *distinctState) Empty(g uint32) bool { return len(s.seen[g]) == 0 }

// MarshalGroup writes the inner state, then the number of tuples and
// each tuple (sorted, so equal states give equal bytes) with its count.
func (s *distinctState) MarshalGroup(dst []byte, g uint32) []byte {
	dst = s.inner.MarshalGroup(dst, g)
	m := s.seen[g]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		dst = putI64(dst, s.cnt[m[k]])
	}
	return dst
}

func (s *distinctState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	src, err := s.inner.UnmarshalGroup(g, src)
	if err != nil {
		return nil, err
	}
	s.forget(g)
	n, src, err := getUvarint(src)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(src)) {
		return nil, errShortState
	}
	m := make(map[string]uint32, n)
	for ; n > 0; n-- {
		var kl uint64
		if kl, src, err = getUvarint(src); err != nil {
			return nil, err
		}
		if kl > uint64(len(src)) {
			return nil, errShortState
		}
		k := string(src[:kl])
		var c int64
		if c, src, err = getI64(src[kl:]); err != nil {
			return nil, err
		}
		if c <= 0 {
			return nil, errBadState
		}
		slot, dup := m[k]
		if !dup {
			slot = s.slot()
			m[k] = slot
		}
		s.cnt[slot] = c
	}
	if len(m) > 0 {
		s.seen[g] = m
	}
	return src, nil
}
