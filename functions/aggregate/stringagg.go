package aggregate

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// string_agg(value, delimiter [ORDER BY ...]) over text and over bytea.
// As in Postgres, a NULL value is skipped and every value but the first
// is preceded by its own row's delimiter (a NULL delimiter adds
// nothing). Without ORDER BY the order is Postgres's "unspecified": here
// the order of arrival, which for an updating input is the order in
// which the surviving rows were inserted.
func registerStringAgg(r *functions.Registry) {
	for _, t := range []types.Type{types.TextType, types.ByteaType} {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "string_agg", Args: []types.Type{t, t}, Ret: t, IgnoresNulls: true,
			Doc: "non-null input values concatenated, separated by the delimiter, in ORDER BY order (arrival order without ORDER BY)",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				return withDistinct("string_agg", args, []types.Type{t, t}, opts, func(opts functions.AggOptions) (functions.GroupState, error) {
					if !opts.Retractable && len(opts.Order) == 0 {
						return &stringAggConcat{t: t}, nil
					}
					var keyTypes []types.Type
					if len(args) > 2 {
						keyTypes = args[2:]
					}
					codec, err := newKeyCodec("string_agg", keyTypes, opts.Order)
					if err != nil {
						return nil, err
					}
					return &stringAggBag{t: t, codec: codec, retractable: opts.Retractable}, nil
				})
			},
		})
	}
}

// stringAggConcat is append-only string_agg without ORDER BY: each group
// keeps its result so far.
type stringAggConcat struct {
	t   types.Type
	buf [][]byte
	has []bool
}

var _ functions.GroupState = (*stringAggConcat)(nil)

func (s *stringAggConcat) Resize(n int) { s.buf, s.has = grow(s.buf, n), grow(s.has, n) }

func (s *stringAggConcat) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	vals, delims := vec.StringsOf(args[0]), vec.StringsOf(args[1])
	vbm, voff := vec.Validity(args[0])
	dbm, doff := vec.Validity(args[1])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(vbm, voff, i) {
			continue
		}
		if s.has[g] && validBit(dbm, doff, i) {
			s.buf[g] = append(s.buf[g], delims.Bytes(i)...)
		}
		s.buf[g] = append(s.buf[g], vals.Bytes(i)...)
		s.has[g] = true
	}
	return nil
}

func (s *stringAggConcat) Finalize(groups []uint32) (arrow.Array, error) {
	b := vec.NewStringBuilder(len(groups))
	for _, g := range groups {
		if !s.has[g] {
			b.AppendNull()
			continue
		}
		b.Append(s.buf[g])
	}
	return b.Finish(s.t.Arrow()), nil
}

func (s *stringAggConcat) Reset(g uint32)      { s.buf[g], s.has[g] = nil, false }
func (s *stringAggConcat) Empty(g uint32) bool { return !s.has[g] }

func (s *stringAggConcat) MarshalGroup(dst []byte, g uint32) []byte {
	if !s.has[g] {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(append(dst, 1), uint64(len(s.buf[g])))
	return append(dst, s.buf[g]...)
}

func (s *stringAggConcat) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 {
		return nil, errShortState
	}
	has := src[0] == 1
	src = src[1:]
	s.buf[g], s.has[g] = nil, has
	if !has {
		return src, nil
	}
	n, src, err := getUvarint(src)
	if err != nil || n > uint64(len(src)) {
		return nil, errShortState
	}
	s.buf[g] = append([]byte(nil), src[:n]...)
	return src[n:], nil
}

// stringAggBag is string_agg with ORDER BY or over an updating input:
// each group keeps its rows in an orderedBag keyed by the ORDER BY
// values, with the payload value length (uvarint), value, then 0 for a
// NULL delimiter or 1 and the delimiter.
type stringAggBag struct {
	t           types.Type
	codec       *keyCodec
	retractable bool
	bags        []*orderedBag
	seq         uint64
	keys        [][]byte
	payload     []byte
	cur         bagCursor
}

var _ functions.GroupState = (*stringAggBag)(nil)

func (s *stringAggBag) Resize(n int) { s.bags = grow(s.bags, n) }

func (s *stringAggBag) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	n := len(groups)
	s.keys = grow(s.keys, n)
	for i := range s.keys[:n] {
		s.keys[i] = s.keys[i][:0]
	}
	s.codec.encode(s.keys, args[2:], groups)
	vals, delims := vec.StringsOf(args[0]), vec.StringsOf(args[1])
	vbm, voff := vec.Validity(args[0])
	dbm, doff := vec.Validity(args[1])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(vbm, voff, i) {
			continue
		}
		v := vals.Bytes(i)
		p := binary.AppendUvarint(s.payload[:0], uint64(len(v)))
		p = append(p, v...)
		// A NULL delimiter adds nothing, like an empty one, but the row
		// is a different row for retraction.
		if validBit(dbm, doff, i) {
			p = append(append(p, 1), delims.Bytes(i)...)
		} else {
			p = append(p, 0)
		}
		s.payload = p
		b := s.bags[g]
		if signs != nil && signs[i] < 0 {
			if b != nil {
				b.remove(&s.cur, s.keys[i], p)
			}
			continue
		}
		if b == nil {
			b = newOrderedBag(s.retractable)
			s.bags[g] = b
		}
		s.seq++
		k := s.keys[i]
		s.cur.scratch = append(append(s.cur.scratch[:0], k...), p...)
		b.insert(bagEntry{data: string(s.cur.scratch), klen: uint32(len(k)), seq: s.seq})
	}
	return nil
}

// splitPayload returns the value and delimiter of a payload; ok is
// false if p is not a valid payload (UnmarshalGroup rejects those, so
// Finalize never sees one).
func splitPayload(p string) (v, delim string, ok bool) {
	n, w := stringUvarint(p)
	if w <= 0 || uint64(len(p)-w) <= n {
		return "", "", false
	}
	end := w + int(n)
	switch {
	case p[end] == 0 && end+1 == len(p):
		return p[w:end], "", true
	case p[end] == 1:
		return p[w:end], p[end+1:], true
	}
	return "", "", false
}

// stringUvarint is binary.Uvarint over a string.
func stringUvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

func (s *stringAggBag) Finalize(groups []uint32) (arrow.Array, error) {
	out := vec.NewStringBuilder(len(groups))
	for _, g := range groups {
		b := s.bags[g]
		if b == nil || b.len() == 0 {
			out.AppendNull()
			continue
		}
		first := true
		b.scan(func(e bagEntry) bool {
			v, d, _ := splitPayload(e.payload())
			if !first {
				out.Data = append(out.Data, d...)
			}
			out.Data = append(out.Data, v...)
			first = false
			return true
		})
		out.Offsets = append(out.Offsets, int32(len(out.Data)))
	}
	return out.Finish(s.t.Arrow()), nil
}

func (s *stringAggBag) Reset(g uint32)      { s.bags[g] = nil }
func (s *stringAggBag) Empty(g uint32) bool { return s.bags[g] == nil || s.bags[g].len() == 0 }

func (s *stringAggBag) MarshalGroup(dst []byte, g uint32) []byte {
	if s.Empty(g) {
		return binary.AppendUvarint(dst, 0)
	}
	return s.bags[g].marshal(dst)
}

func (s *stringAggBag) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	b, rest, err := unmarshalBag(src, s.retractable, &s.seq)
	if err != nil {
		return nil, err
	}
	ok := true
	b.scan(func(e bagEntry) bool {
		_, _, ok = splitPayload(e.payload())
		return ok
	})
	if !ok {
		return nil, errBadState
	}
	s.bags[g] = nil
	if b.len() > 0 {
		s.bags[g] = b
	}
	return rest, nil
}
