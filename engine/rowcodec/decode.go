package rowcodec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// ErrCorrupt is returned for bytes that are not a valid encoding.
var ErrCorrupt = errors.New("rowcodec: corrupt encoding")

// Columns accumulates decoded rows column by column into typed slices
// and turns them into Arrow arrays.
type Columns struct {
	types []types.Type
	ints  [][]int64
	flts  [][]float64
	ivs   [][]arrow.MonthDayNanoInterval
	strs  []*vec.StringBuilder
	valid [][]bool
	n     int
}

// NewColumns returns an empty accumulator for the given column types.
func NewColumns(ts []types.Type) *Columns {
	c := &Columns{types: ts}
	c.reset()
	return c
}

// reset starts a new set of columns, sized like the set just handed out
// (its rows and text bytes) so that decoding a batch like the last one
// does not regrow every slice from nothing.
func (c *Columns) reset() {
	k := len(c.types)
	rows := c.n
	textBytes := make([]int, k)
	for i := range c.strs {
		if c.strs[i] != nil {
			textBytes[i] = len(c.strs[i].Data)
		}
	}
	c.ints, c.flts, c.ivs = make([][]int64, k), make([][]float64, k), make([][]arrow.MonthDayNanoInterval, k)
	c.strs, c.valid, c.n = make([]*vec.StringBuilder, k), make([][]bool, k), 0
	for i, t := range c.types {
		c.strs[i] = vec.NewStringBuilder(64)
		if rows == 0 {
			continue
		}
		c.valid[i] = make([]bool, 0, rows)
		switch t.Kind {
		case types.Float32, types.Float64:
			c.flts[i] = make([]float64, 0, rows)
		case types.Interval:
			c.ivs[i] = make([]arrow.MonthDayNanoInterval, 0, rows)
		case types.Bool, types.Int16, types.Int32, types.Int64, types.Timestamp, types.TimestampTZ, types.Date, types.Oid:
			c.ints[i] = make([]int64, 0, rows)
		default:
			c.strs[i] = vec.NewStringBuilder(rows)
			c.strs[i].Data = make([]byte, 0, textBytes[i])
		}
	}
}

// Len returns the number of rows decoded since the last Arrays call.
func (c *Columns) Len() int { return c.n }

// DecodeRow decodes one row holding every column in order and returns
// the bytes after it.
func (c *Columns) DecodeRow(src []byte) ([]byte, error) {
	for k, t := range c.types {
		var err error
		if src, err = c.decodeValue(k, t, src); err != nil {
			return nil, err
		}
	}
	c.n++
	return src, nil
}

func (c *Columns) decodeValue(k int, t types.Type, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, ErrCorrupt
	}
	null := src[0] == tagNull
	src = src[1:]
	c.valid[k] = append(c.valid[k], !null)
	switch t.Kind {
	case types.Float32, types.Float64:
		if null {
			c.flts[k] = append(c.flts[k], 0)
			return src, nil
		}
		if len(src) < 8 {
			return nil, ErrCorrupt
		}
		c.flts[k] = append(c.flts[k], decodeFloat(binary.BigEndian.Uint64(src)))
		return src[8:], nil
	case types.Interval:
		if null {
			c.ivs[k] = append(c.ivs[k], arrow.MonthDayNanoInterval{})
			return src, nil
		}
		if len(src) < 24 {
			return nil, ErrCorrupt
		}
		m, d, us := decodeInt(src), decodeInt(src[8:]), decodeInt(src[16:])
		c.ivs[k] = append(c.ivs[k], arrow.MonthDayNanoInterval{Months: int32(m), Days: int32(d), Nanoseconds: us * 1000})
		return src[24:], nil
	case types.Bool:
		if null {
			c.ints[k] = append(c.ints[k], 0)
			return src, nil
		}
		if len(src) < 1 {
			return nil, ErrCorrupt
		}
		c.ints[k] = append(c.ints[k], int64(src[0]))
		return src[1:], nil
	case types.Int16, types.Int32, types.Int64, types.Timestamp, types.TimestampTZ, types.Date, types.Oid:
		if null {
			c.ints[k] = append(c.ints[k], 0)
			return src, nil
		}
		if len(src) < 8 {
			return nil, ErrCorrupt
		}
		c.ints[k] = append(c.ints[k], decodeInt(src))
		return src[8:], nil
	}
	if null {
		c.strs[k].AppendString("")
		return src, nil
	}
	_, rest, err := decodeBytes(src, c.strs[k])
	return rest, err
}

func decodeInt(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func decodeFloat(b uint64) float64 {
	if b == math.MaxUint64 {
		return math.NaN()
	}
	if b&(1<<63) != 0 {
		b &^= 1 << 63
	} else {
		b = ^b
	}
	return math.Float64frombits(b)
}

// decodeBytes unescapes one string value into sb.
func decodeBytes(src []byte, sb *vec.StringBuilder) ([]byte, []byte, error) {
	start := len(sb.Data)
	if j := bytes.IndexByte(src, 0); j >= 0 && j+1 < len(src) && src[j+1] == 1 {
		sb.Data = append(sb.Data, src[:j]...)
		sb.Offsets = append(sb.Offsets, int32(len(sb.Data)))
		return sb.Data[start:], src[j+2:], nil
	}
	for i := 0; i < len(src); i++ {
		if src[i] != 0 {
			sb.Data = append(sb.Data, src[i])
			continue
		}
		if i+1 >= len(src) {
			return nil, nil, ErrCorrupt
		}
		switch src[i+1] {
		case 0xff:
			sb.Data = append(sb.Data, 0)
			i++
		case 1:
			sb.Offsets = append(sb.Offsets, int32(len(sb.Data)))
			return sb.Data[start:], src[i+2:], nil
		default:
			return nil, nil, ErrCorrupt
		}
	}
	return nil, nil, ErrCorrupt
}

// Arrays returns the accumulated columns as Arrow arrays and resets.
func (c *Columns) Arrays() []arrow.Array {
	out := make([]arrow.Array, len(c.types))
	for k, t := range c.types {
		validity, nulls := vec.BitmapOf(c.valid[k])
		switch t.Kind {
		case types.Bool:
			bits := vec.Bitmap(c.n)
			for i, v := range c.ints[k] {
				if v != 0 {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
			out[k] = vec.NewBool(c.n, bits, validity, nulls)
		case types.Int16:
			out[k] = narrow[int16](t, c.ints[k], validity, nulls)
		case types.Int32, types.Date:
			out[k] = narrow[int32](t, c.ints[k], validity, nulls)
		case types.Oid:
			out[k] = narrow[uint32](t, c.ints[k], validity, nulls)
		case types.Int64, types.Timestamp, types.TimestampTZ:
			out[k] = vec.NewFixed(t.Arrow(), c.ints[k], validity, nulls)
		case types.Float32:
			f := make([]float32, len(c.flts[k]))
			for i, v := range c.flts[k] {
				f[i] = float32(v)
			}
			out[k] = vec.NewFixed(t.Arrow(), f, validity, nulls)
		case types.Float64:
			out[k] = vec.NewFixed(t.Arrow(), c.flts[k], validity, nulls)
		case types.Interval:
			out[k] = vec.NewFixed(t.Arrow(), c.ivs[k], validity, nulls)
		default:
			arr := c.strs[k].Finish(types.TextType.Arrow())
			s := vec.StringsOf(arr)
			dt := t.Arrow()
			if t.Kind == types.Array {
				// Arrays are carried as their text form in keys and rows.
				dt = types.TextType.Arrow()
			}
			out[k] = vec.NewString(dt, s.Offsets, s.Data, validity, nulls)
		}
	}
	c.reset()
	return out
}

func narrow[T int16 | int32 | uint32](t types.Type, vals []int64, validity []byte, nulls int) arrow.Array {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = T(v)
	}
	return vec.NewFixed(t.Arrow(), out, validity, nulls)
}

// DecodeDatums decodes one row into datums (for tests and plan-time use).
func DecodeDatums(src []byte, ts []types.Type) ([]types.Datum, []byte, error) {
	c := NewColumns(ts)
	rest, err := c.DecodeRow(src)
	if err != nil {
		return nil, nil, err
	}
	arrs := c.Arrays()
	out := make([]types.Datum, len(ts))
	for i, t := range ts {
		out[i] = functions.DatumAt(arrs[i], t, 0)
	}
	return out, rest, nil
}
