package rowcodec

import (
	"bytes"
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Flat encoding: a batch's rows encoded back to back into one buffer, in
// two column-at-a-time passes: Sizes adds up each row's length, the
// caller lays the rows out, and Put writes each column's values at each
// row's cursor. Nothing is allocated per row and no row is copied after
// encoding, which is what a store keeping a batch's rows as one string
// wants (Append's per-row buffers cost a copy and, for large batches,
// cache misses on every buffer). Put works through the rows a tile at a
// time so the rows being written stay in cache across the columns.

// flatTile is how many rows Put encodes, every column, before moving on.
const flatTile = 512

// Flat reports whether Sizes and Put can encode e's columns (every type
// but arrays, whose text form Append computes per value).
func (e *Encoder) Flat() bool {
	for _, t := range e.types {
		if t.Kind == types.Array {
			return false
		}
	}
	return true
}

// Sizes adds each row's encoded length to sizes[i] (sizes must have
// rec.NumRows() entries).
func (e *Encoder) Sizes(sizes []int, rec arrow.RecordBatch) {
	for k, c := range e.cols {
		arr := rec.Column(c)
		bm, off := vec.Validity(arr)
		w := fixedWidth(e.types[k].Kind)
		if w > 0 {
			if bm == nil {
				for i := range sizes {
					sizes[i] += 1 + w
				}
				continue
			}
			for i := range sizes {
				if vec.IsValid(bm, off, i) {
					sizes[i] += 1 + w
				} else {
					sizes[i]++
				}
			}
			continue
		}
		s := vec.StringsOf(arr)
		for i := range sizes {
			if bm != nil && !vec.IsValid(bm, off, i) {
				sizes[i]++
				continue
			}
			v := s.Bytes(i)
			sizes[i] += 3 + len(v)
			if bytes.IndexByte(v, 0) >= 0 {
				sizes[i] += bytes.Count(v, []byte{0})
			}
		}
	}
}

// fixedWidth returns the encoded length of a non-NULL value of a
// fixed-width kind after its tag, 0 for strings.
func fixedWidth(k types.Kind) int {
	switch k {
	case types.Bool:
		return 1
	case types.Int16, types.Int32, types.Date, types.Int64, types.Timestamp, types.TimestampTZ,
		types.Oid, types.Float32, types.Float64:
		return 8
	case types.Interval:
		return 24
	}
	return 0
}

// Put writes each row's encoding at dst[pos[i]:] and advances pos[i]
// past it; the room must be there (laid out from Sizes).
func (e *Encoder) Put(dst []byte, pos []int, rec arrow.RecordBatch) {
	n := len(pos)
	for lo := 0; lo < n; lo += flatTile {
		hi := min(lo+flatTile, n)
		for k, c := range e.cols {
			putColumn(dst, pos, rec.Column(c), e.types[k], lo, hi)
		}
	}
}

// putColumn writes rows [lo, hi) of one column.
func putColumn(dst []byte, pos []int, arr arrow.Array, t types.Type, lo, hi int) {
	bm, off := vec.Validity(arr)
	switch t.Kind {
	case types.Bool:
		b := arr.(*array.Boolean)
		for i := lo; i < hi; i++ {
			p := pos[i]
			if bm != nil && !vec.IsValid(bm, off, i) {
				dst[p], pos[i] = tagNull, p+1
				continue
			}
			dst[p], dst[p+1] = tagValue, 0
			if b.Value(i) {
				dst[p+1] = 1
			}
			pos[i] = p + 2
		}
	case types.Int16:
		putInts(dst, pos, vec.Values[int16](arr), bm, off, lo, hi)
	case types.Int32, types.Date:
		putInts(dst, pos, vec.Values[int32](arr), bm, off, lo, hi)
	case types.Int64, types.Timestamp, types.TimestampTZ:
		putInts(dst, pos, vec.Values[int64](arr), bm, off, lo, hi)
	case types.Oid:
		putInts(dst, pos, vec.Values[uint32](arr), bm, off, lo, hi)
	case types.Float32:
		putFloats(dst, pos, vec.Values[float32](arr), bm, off, lo, hi)
	case types.Float64:
		putFloats(dst, pos, vec.Values[float64](arr), bm, off, lo, hi)
	case types.Interval:
		vals := vec.Values[arrow.MonthDayNanoInterval](arr)
		for i := lo; i < hi; i++ {
			p := pos[i]
			if bm != nil && !vec.IsValid(bm, off, i) {
				dst[p], pos[i] = tagNull, p+1
				continue
			}
			dst[p] = tagValue
			binary.BigEndian.PutUint64(dst[p+1:], uint64(int64(vals[i].Months))^(1<<63))
			binary.BigEndian.PutUint64(dst[p+9:], uint64(int64(vals[i].Days))^(1<<63))
			binary.BigEndian.PutUint64(dst[p+17:], uint64(vals[i].Nanoseconds/1000)^(1<<63))
			pos[i] = p + 25
		}
	default:
		s := vec.StringsOf(arr)
		for i := lo; i < hi; i++ {
			p := pos[i]
			if bm != nil && !vec.IsValid(bm, off, i) {
				dst[p], pos[i] = tagNull, p+1
				continue
			}
			dst[p] = tagValue
			// appendBytes into the row's room: its capacity ends where
			// the room does, so it never reallocates.
			w := appendBytes(dst[p+1:p+1:len(dst)], s.Bytes(i))
			pos[i] = p + 1 + len(w)
		}
	}
}

func putInts[T int16 | int32 | int64 | uint32](dst []byte, pos []int, vals []T, bm []byte, off, lo, hi int) {
	for i := lo; i < hi; i++ {
		p := pos[i]
		if bm != nil && !vec.IsValid(bm, off, i) {
			dst[p], pos[i] = tagNull, p+1
			continue
		}
		dst[p] = tagValue
		binary.BigEndian.PutUint64(dst[p+1:], uint64(int64(vals[i]))^(1<<63))
		pos[i] = p + 9
	}
}

func putFloats[T float32 | float64](dst []byte, pos []int, vals []T, bm []byte, off, lo, hi int) {
	for i := lo; i < hi; i++ {
		p := pos[i]
		if bm != nil && !vec.IsValid(bm, off, i) {
			dst[p], pos[i] = tagNull, p+1
			continue
		}
		dst[p] = tagValue
		appendFloat(dst[p+1:p+1], float64(vals[i]))
		pos[i] = p + 9
	}
}
