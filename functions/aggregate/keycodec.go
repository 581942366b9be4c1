package aggregate

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The key codec turns the values of one or more argument columns into
// byte strings that compare, bytewise, in the SQL order of the columns
// (each column with its direction and NULL placement) and that are equal
// exactly when the values are not distinct (IS NOT DISTINCT FROM, with
// -0 = 0 and every NaN one value, as Postgres's float comparison has
// it). DISTINCT keys, the ordering keys of first_value and string_agg,
// and the stored values of first_value use it. It is encoded a column at
// a time, with one typed loop per column and batch.
//
// Encoding of one value: a tag byte (tagNullFirst or tagNullLast for
// NULL, placed by the column's NULLS FIRST/LAST; tagValue otherwise),
// then for a non-NULL value:
//
//	bool            1 byte, 0 or 1
//	int2/int4/int8, date, timestamp[tz]
//	                2/4/8 bytes big-endian with the sign bit flipped
//	oid             4 bytes big-endian
//	real, double    8 bytes: the float64 bits, all inverted for negative
//	                numbers and with the sign bit set otherwise
//	text, bytea ... the bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	interval        16 bytes of the 128-bit span in nanoseconds (a month
//	                is 30 days, as Postgres compares), then months, days
//	                (4 bytes each) and nanoseconds (8), sign bits flipped
//
// A DESC column has the value bytes (not the tag) inverted; the encoding
// of a value is never a prefix of another's, so inversion reverses the
// order.
const (
	tagNullFirst = 0x00
	tagValue     = 0x01
	tagNullLast  = 0x02
)

// keyCol is one column of a key: its type and ordering.
type keyCol struct {
	t          types.Type
	desc       bool
	nullsFirst bool
}

// keyCodec encodes rows of several columns as one key per row.
type keyCodec struct {
	cols   []keyCol
	starts []int
}

// newKeyCodec returns a codec for columns of types ts; order gives the
// direction of the first len(order) columns (the rest, and all when it
// is nil, are ascending with NULLs last). It
// returns 0A000 for types that have no key encoding (arrays).
func newKeyCodec(name string, ts []types.Type, order []functions.OrderKey) (*keyCodec, error) {
	c := &keyCodec{cols: make([]keyCol, len(ts))}
	for i, t := range ts {
		if !keyable(t) {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s cannot compare values of type %s", name, t)
		}
		c.cols[i].t = t
		if i < len(order) {
			c.cols[i].desc, c.cols[i].nullsFirst = order[i].Desc, order[i].NullsFirst
		}
	}
	return c, nil
}

// keyable reports whether t has a key encoding: every scalar type (an
// unknown-typed NULL or literal is stored as text).
func keyable(t types.Type) bool { return t.Kind != types.Array }

// encode appends the key of row i to bufs[i] for every row whose group
// is not NoGroup (bufs must have len(groups) entries; callers truncate
// them first to reuse their memory).
func (c *keyCodec) encode(bufs [][]byte, args []arrow.Array, groups []uint32) {
	for k, col := range c.cols {
		if col.desc {
			c.starts = grow(c.starts[:0], len(groups))
			for i := range groups {
				c.starts[i] = len(bufs[i]) + 1
			}
		}
		encodeColumn(bufs, args[k], col, groups)
		if col.desc {
			for i, g := range groups {
				if g == functions.NoGroup || bufs[i][c.starts[i]-1] != tagValue {
					continue
				}
				b := bufs[i][c.starts[i]:]
				for j := range b {
					b[j] = ^b[j]
				}
			}
		}
	}
}

// encodeColumn appends one column's encoding (ascending) to every row
// of a group.
func encodeColumn(bufs [][]byte, arr arrow.Array, col keyCol, groups []uint32) {
	bm, off := vec.Validity(arr)
	nullTag := byte(tagNullLast)
	if col.nullsFirst {
		nullTag = tagNullFirst
	}
	switch col.t.Kind {
	case types.Bool:
		vbits, voff := boolBits(arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			v := byte(0)
			if validBit(vbits, voff, i) {
				v = 1
			}
			bufs[i] = append(bufs[i], tagValue, v)
		}
	case types.Int16:
		vals := vec.Values[int16](arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = binary.BigEndian.AppendUint16(append(bufs[i], tagValue), uint16(vals[i])^1<<15)
		}
	case types.Int32, types.Date:
		vals := vec.Values[int32](arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = binary.BigEndian.AppendUint32(append(bufs[i], tagValue), uint32(vals[i])^1<<31)
		}
	case types.Int64, types.Timestamp, types.TimestampTZ:
		vals := vec.Values[int64](arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = binary.BigEndian.AppendUint64(append(bufs[i], tagValue), uint64(vals[i])^1<<63)
		}
	case types.Oid:
		vals := vec.Values[uint32](arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = binary.BigEndian.AppendUint32(append(bufs[i], tagValue), vals[i])
		}
	case types.Float32:
		encodeFloats(bufs, vec.Values[float32](arr), bm, off, nullTag, groups)
	case types.Float64:
		encodeFloats(bufs, vec.Values[float64](arr), bm, off, nullTag, groups)
	case types.Interval:
		vals := vec.Values[arrow.MonthDayNanoInterval](arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = appendIntervalKey(append(bufs[i], tagValue), vals[i])
		}
	default:
		strs := vec.StringsOf(arr)
		for i, g := range groups {
			if g == functions.NoGroup {
				continue
			}
			if !validBit(bm, off, i) {
				bufs[i] = append(bufs[i], nullTag)
				continue
			}
			bufs[i] = appendEscaped(append(bufs[i], tagValue), strs.Bytes(i))
		}
	}
}

// boolBits returns the value bitmap of a boolean array and its offset.
func boolBits(arr arrow.Array) ([]byte, int) {
	d := arr.Data()
	b := d.Buffers()[1]
	if b == nil {
		return []byte{}, 0
	}
	return b.Bytes(), d.Offset()
}

func encodeFloats[T float32 | float64](bufs [][]byte, vals []T, bm []byte, off int, nullTag byte, groups []uint32) {
	for i, g := range groups {
		if g == functions.NoGroup {
			continue
		}
		if !validBit(bm, off, i) {
			bufs[i] = append(bufs[i], nullTag)
			continue
		}
		bufs[i] = binary.BigEndian.AppendUint64(append(bufs[i], tagValue), floatKey(float64(vals[i])))
	}
}

// floatKey maps a float64 to a uint64 in Postgres's float order: -Inf <
// numbers < +Inf < NaN, with -0 = 0 and every NaN equal.
func floatKey(f float64) uint64 {
	switch {
	case f != f:
		return math.MaxUint64
	case f == 0:
		f = 0
	}
	b := math.Float64bits(f)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

// floatFromKey inverts floatKey (up to the sign of zero and NaN payloads).
func floatFromKey(b uint64) float64 {
	switch {
	case b == math.MaxUint64:
		return math.NaN()
	case b&(1<<63) != 0:
		return math.Float64frombits(b &^ (1 << 63))
	}
	return math.Float64frombits(^b)
}

func appendEscaped(dst, s []byte) []byte {
	for _, c := range s {
		if c == 0 {
			dst = append(dst, 0, 0xff)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0, 1)
}

// nanosPerDay and daysPerMonth define the interval span Postgres orders
// intervals by.
const (
	nanosPerDay  = 86400 * 1e9
	daysPerMonth = 30
)

func appendIntervalKey(dst []byte, v arrow.MonthDayNanoInterval) []byte {
	days := int64(v.Months)*daysPerMonth + int64(v.Days)
	neg := days < 0
	a := uint64(days)
	if neg {
		a = uint64(-days)
	}
	hi, lo := bits.Mul64(a, nanosPerDay)
	if neg {
		hi, lo = ^hi, ^lo
		var c uint64
		lo, c = bits.Add64(lo, 1, 0)
		hi += c
	}
	ext := uint64(0)
	if v.Nanoseconds < 0 {
		ext = math.MaxUint64
	}
	var c uint64
	lo, c = bits.Add64(lo, uint64(v.Nanoseconds), 0)
	hi, _ = bits.Add64(hi, ext, c)
	dst = binary.BigEndian.AppendUint64(dst, hi^1<<63)
	dst = binary.BigEndian.AppendUint64(dst, lo)
	dst = binary.BigEndian.AppendUint32(dst, uint32(v.Months)^1<<31)
	dst = binary.BigEndian.AppendUint32(dst, uint32(v.Days)^1<<31)
	return binary.BigEndian.AppendUint64(dst, uint64(v.Nanoseconds)^1<<63)
}

// columnBuilder decodes ascending single-column keys (as encodeColumn
// writes them) back into an Arrow array.
type columnBuilder struct {
	t     types.Type
	ints  []int64
	flts  []float64
	ivs   []arrow.MonthDayNanoInterval
	strs  *vec.StringBuilder
	valid []byte
	nulls int
	n     int
}

func newColumnBuilder(t types.Type, n int) *columnBuilder {
	// Whole bytes of set bits: bits past the last value are ignored.
	b := &columnBuilder{t: t, valid: bytes.Repeat([]byte{0xff}, (n+7)/8)}
	switch {
	case t.IsFloat():
		b.flts = make([]float64, 0, n)
	case t.Kind == types.Interval:
		b.ivs = make([]arrow.MonthDayNanoInterval, 0, n)
	case isStringLike(t):
		b.strs = vec.NewStringBuilder(n)
	default:
		b.ints = make([]int64, 0, n)
	}
	return b
}

func isStringLike(t types.Type) bool {
	switch t.Kind {
	case types.Bool, types.Int16, types.Int32, types.Int64, types.Date, types.Timestamp, types.TimestampTZ,
		types.Oid, types.Float32, types.Float64, types.Interval:
		return false
	}
	return true
}

// appendNull adds a NULL.
func (b *columnBuilder) appendNull() {
	b.ensureBit()
	b.valid[b.n>>3] &^= 1 << (b.n & 7)
	b.nulls++
	b.appendZero()
}

// ensureBit makes the validity bitmap long enough for value b.n.
func (b *columnBuilder) ensureBit() {
	if len(b.valid)*8 <= b.n {
		b.valid = append(b.valid, 0xff)
	}
}

func (b *columnBuilder) appendZero() {
	switch {
	case b.flts != nil:
		b.flts = append(b.flts, 0)
	case b.ivs != nil:
		b.ivs = append(b.ivs, arrow.MonthDayNanoInterval{})
	case b.strs != nil:
		b.strs.AppendString("")
	default:
		b.ints = append(b.ints, 0)
	}
	b.n++
}

// appendKey decodes one value (tag included) and returns the bytes after
// it.
func (b *columnBuilder) appendKey(src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, errShortState
	}
	tag := src[0]
	src = src[1:]
	if tag != tagValue {
		if tag != tagNullFirst && tag != tagNullLast {
			return nil, errBadState
		}
		b.appendNull()
		return src, nil
	}
	b.ensureBit()
	width := 0
	switch b.t.Kind {
	case types.Bool:
		width = 1
	case types.Int16:
		width = 2
	case types.Int32, types.Date, types.Oid:
		width = 4
	case types.Int64, types.Timestamp, types.TimestampTZ, types.Float32, types.Float64:
		width = 8
	case types.Interval:
		width = 32
	default:
		return b.appendString(src)
	}
	if len(src) < width {
		return nil, errShortState
	}
	switch b.t.Kind {
	case types.Bool:
		b.ints = append(b.ints, int64(src[0]&1))
	case types.Int16:
		b.ints = append(b.ints, int64(int16(binary.BigEndian.Uint16(src)^1<<15)))
	case types.Int32, types.Date:
		b.ints = append(b.ints, int64(int32(binary.BigEndian.Uint32(src)^1<<31)))
	case types.Oid:
		b.ints = append(b.ints, int64(binary.BigEndian.Uint32(src)))
	case types.Int64, types.Timestamp, types.TimestampTZ:
		b.ints = append(b.ints, int64(binary.BigEndian.Uint64(src)^1<<63))
	case types.Float32, types.Float64:
		b.flts = append(b.flts, floatFromKey(binary.BigEndian.Uint64(src)))
	case types.Interval:
		r := src[16:]
		b.ivs = append(b.ivs, arrow.MonthDayNanoInterval{
			Months:      int32(binary.BigEndian.Uint32(r) ^ 1<<31),
			Days:        int32(binary.BigEndian.Uint32(r[4:]) ^ 1<<31),
			Nanoseconds: int64(binary.BigEndian.Uint64(r[8:]) ^ 1<<63),
		})
	}
	b.n++
	return src[width:], nil
}

func (b *columnBuilder) appendString(src []byte) ([]byte, error) {
	sb := b.strs
	for i := 0; i < len(src); i++ {
		if src[i] != 0 {
			sb.Data = append(sb.Data, src[i])
			continue
		}
		if i+1 >= len(src) {
			break
		}
		switch src[i+1] {
		case 0xff:
			sb.Data = append(sb.Data, 0)
			i++
		case 1:
			sb.Offsets = append(sb.Offsets, int32(len(sb.Data)))
			b.n++
			return src[i+2:], nil
		default:
			return nil, errBadState
		}
	}
	// Drop the partial value so the builder stays consistent.
	sb.Data = sb.Data[:sb.Offsets[len(sb.Offsets)-1]]
	return nil, errShortState
}

// finish returns the decoded values as an array of the builder's type.
func (b *columnBuilder) finish() arrow.Array {
	var validity []byte
	if b.nulls > 0 {
		validity = b.valid[:(b.n+7)/8]
	}
	dt := b.t.Arrow()
	switch b.t.Kind {
	case types.Bool:
		bm := vec.Bitmap(b.n)
		for i, v := range b.ints {
			if v != 0 {
				bm[i>>3] |= 1 << (i & 7)
			}
		}
		return vec.NewBool(b.n, bm, validity, b.nulls)
	case types.Int16:
		return vec.NewFixed(dt, narrowInts[int16](b.ints), validity, b.nulls)
	case types.Int32, types.Date:
		return vec.NewFixed(dt, narrowInts[int32](b.ints), validity, b.nulls)
	case types.Oid:
		return vec.NewFixed(dt, narrowInts[uint32](b.ints), validity, b.nulls)
	case types.Int64, types.Timestamp, types.TimestampTZ:
		return vec.NewFixed(dt, b.ints, validity, b.nulls)
	case types.Float32:
		out := make([]float32, len(b.flts))
		for i, f := range b.flts {
			out[i] = float32(f)
		}
		return vec.NewFixed(dt, out, validity, b.nulls)
	case types.Float64:
		return vec.NewFixed(dt, b.flts, validity, b.nulls)
	case types.Interval:
		return vec.NewFixed(dt, b.ivs, validity, b.nulls)
	}
	s := vec.StringsOf(b.strs.Finish(dt))
	return vec.NewString(dt, s.Offsets, s.Data, validity, b.nulls)
}

func narrowInts[T int16 | int32 | uint32](v []int64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}
