package aggregate

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// first_value(x [ORDER BY k ...]) and last_value: the value of x at the
// least (greatest) ordering key. The binder appends the source's event
// time as the key when the call has no ORDER BY. Ties go to the row
// that arrived first for first_value and last for last_value. NULL
// values are returned like any other (RESPECT NULLS, as the window
// functions of the same names in Postgres and these aggregates in
// RisingWave); NULL keys sort as the ORDER BY says (NULLS LAST by
// default for ASC). DISTINCT cannot change the result and is ignored.
func registerFirstLast(r *functions.Registry) {
	for _, isLast := range []bool{false, true} {
		name := "first_value"
		if isLast {
			name = "last_value"
		}
		doc := "value of the argument at the least ordering key (event time without ORDER BY); ties go to the earliest arrival"
		if isLast {
			doc = "value of the argument at the greatest ordering key (event time without ORDER BY); ties go to the latest arrival"
		}
		for _, t := range valueTypes {
			t, isLast, name := t, isLast, name
			r.AddAggregate(&functions.Aggregate{
				Name: name, Args: []types.Type{t}, Ret: t, Doc: doc,
				New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
					var keyTypes []types.Type
					if len(args) > 1 {
						keyTypes = args[1:]
					}
					keys, err := newKeyCodec(name, keyTypes, opts.Order)
					if err != nil {
						return nil, err
					}
					vals, err := newKeyCodec(name, []types.Type{t}, nil)
					if err != nil {
						return nil, err
					}
					if opts.Retractable {
						return &firstLastBag{t: t, isLast: isLast, keys: keys, vals: vals}, nil
					}
					return &firstLastBest{t: t, isLast: isLast, keys: keys, vals: vals}, nil
				},
			})
		}
	}
}

// firstLastBest is append-only first_value/last_value: each group keeps
// the encoded key and value of its best row so far.
type firstLastBest struct {
	t      types.Type
	isLast bool
	keys   *keyCodec
	vals   *keyCodec
	key    [][]byte
	val    [][]byte
	has    []bool

	kbufs [][]byte
	vbufs [][]byte
	cand  []int32
	win   []uint32
}

var _ functions.GroupState = (*firstLastBest)(nil)

func (s *firstLastBest) Resize(n int) {
	s.key, s.val, s.has = grow(s.key, n), grow(s.val, n), grow(s.has, n)
	old := len(s.cand)
	s.cand = grow(s.cand, n)
	for i := old; i < len(s.cand); i++ {
		s.cand[i] = -1
	}
}

func resetBufs(bufs [][]byte, n int) [][]byte {
	bufs = grow(bufs, n)
	for i := range bufs[:n] {
		bufs[i] = bufs[i][:0]
	}
	return bufs
}

// Update finds each group's winning row of the batch by key alone, then
// encodes and stores only the winners' values.
func (s *firstLastBest) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	n := len(groups)
	s.kbufs = resetBufs(s.kbufs, n)
	s.keys.encode(s.kbufs, args[1:], groups)
	for i, g := range groups {
		if g == functions.NoGroup {
			continue
		}
		best, ok := s.key[g], s.has[g]
		if c := s.cand[g]; c >= 0 {
			best, ok = s.kbufs[c], true
		}
		if ok {
			cmp := bytes.Compare(s.kbufs[i], best)
			if (!s.isLast && cmp >= 0) || (s.isLast && cmp < 0) {
				continue
			}
		}
		s.cand[g] = int32(i)
	}
	win := grow(s.win[:0], n)
	s.win = win
	for i, g := range groups {
		win[i] = functions.NoGroup
		if g != functions.NoGroup && s.cand[g] == int32(i) {
			win[i] = g
		}
	}
	s.vbufs = resetBufs(s.vbufs, n)
	s.vals.encode(s.vbufs, args[:1], win)
	for i, g := range win {
		if g == functions.NoGroup {
			continue
		}
		s.key[g] = append(s.key[g][:0], s.kbufs[i]...)
		s.val[g] = append(s.val[g][:0], s.vbufs[i]...)
		s.has[g] = true
		s.cand[g] = -1
	}
	return nil
}

func (s *firstLastBest) Finalize(groups []uint32) (arrow.Array, error) {
	b := newColumnBuilder(s.t, len(groups))
	for _, g := range groups {
		if !s.has[g] {
			b.appendNull()
			continue
		}
		if _, err := b.appendKey(s.val[g]); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

func (s *firstLastBest) Reset(g uint32)      { s.key[g], s.val[g], s.has[g] = nil, nil, false }
func (s *firstLastBest) Empty(g uint32) bool { return !s.has[g] }

func (s *firstLastBest) MarshalGroup(dst []byte, g uint32) []byte {
	if !s.has[g] {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = putBytes(dst, s.key[g])
	return putBytes(dst, s.val[g])
}

func (s *firstLastBest) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 {
		return nil, errShortState
	}
	has := src[0] == 1
	src = src[1:]
	s.Reset(g)
	if !has {
		return src, nil
	}
	k, src, err := getBytes(src)
	if err != nil {
		return nil, err
	}
	v, src, err := getBytes(src)
	if err != nil {
		return nil, err
	}
	if err := checkValue(s.t, v); err != nil {
		return nil, err
	}
	s.key[g], s.val[g], s.has[g] = k, v, true
	return src, nil
}

// checkValue verifies that v is exactly one encoded value of type t.
func checkValue(t types.Type, v []byte) error {
	rest, err := newColumnBuilder(t, 1).appendKey(v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errBadState
	}
	return nil
}

// firstLastBag is first_value/last_value over an updating input: each
// group keeps all its rows in an orderedBag (key, then arrival), so a
// retraction can remove the row it undoes and the answer is the bag's
// first (last) row.
type firstLastBag struct {
	t      types.Type
	isLast bool
	keys   *keyCodec
	vals   *keyCodec
	bags   []*orderedBag
	seq    uint64

	kbufs [][]byte
	vbufs [][]byte
	cur   bagCursor
}

var _ functions.GroupState = (*firstLastBag)(nil)

func (s *firstLastBag) Resize(n int) { s.bags = grow(s.bags, n) }

func (s *firstLastBag) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	n := len(groups)
	s.kbufs = resetBufs(s.kbufs, n)
	s.vbufs = resetBufs(s.vbufs, n)
	s.keys.encode(s.kbufs, args[1:], groups)
	s.vals.encode(s.vbufs, args[:1], groups)
	for i, g := range groups {
		if g == functions.NoGroup {
			continue
		}
		b := s.bags[g]
		if signs != nil && signs[i] < 0 {
			if b != nil {
				b.remove(&s.cur, s.kbufs[i], s.vbufs[i])
			}
			continue
		}
		if b == nil {
			b = newOrderedBag(true)
			s.bags[g] = b
		}
		s.seq++
		s.cur.scratch = append(append(s.cur.scratch[:0], s.kbufs[i]...), s.vbufs[i]...)
		b.insert(bagEntry{data: string(s.cur.scratch), klen: uint32(len(s.kbufs[i])), seq: s.seq})
	}
	return nil
}

func (s *firstLastBag) Finalize(groups []uint32) (arrow.Array, error) {
	b := newColumnBuilder(s.t, len(groups))
	for _, g := range groups {
		bag := s.bags[g]
		if bag == nil || bag.len() == 0 {
			b.appendNull()
			continue
		}
		e, _ := bag.first()
		if s.isLast {
			e, _ = bag.last()
		}
		if _, err := b.appendKey([]byte(e.payload())); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

func (s *firstLastBag) Reset(g uint32)      { s.bags[g] = nil }
func (s *firstLastBag) Empty(g uint32) bool { return s.bags[g] == nil || s.bags[g].len() == 0 }

func (s *firstLastBag) MarshalGroup(dst []byte, g uint32) []byte {
	if s.Empty(g) {
		return append(dst, 0)
	}
	return s.bags[g].marshal(dst)
}

func (s *firstLastBag) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	b, rest, err := unmarshalBag(src, true, &s.seq)
	if err != nil {
		return nil, err
	}
	b.scan(func(e bagEntry) bool {
		err = checkValue(s.t, []byte(e.payload()))
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	s.bags[g] = nil
	if b.len() > 0 {
		s.bags[g] = b
	}
	return rest, nil
}
