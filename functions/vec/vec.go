package vec

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Fixed is the set of Go types stored in fixed-width Arrow arrays that
// kernels work on.
type Fixed interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// Elem is any fixed-width element type: the numeric ones and Arrow's
// month-day-nano interval.
type Elem interface {
	Fixed | arrow.MonthDayNanoInterval
}

// Values returns the values of a fixed-width array as a []T of length
// arr.Len() (the array's offset applied). T must have the width of the
// array's type: int64 for Int64 and Timestamp, int32 for Int32 and
// Date32, and so on.
func Values[T Elem](arr arrow.Array) []T {
	d := arr.Data()
	buf := d.Buffers()[1]
	if buf == nil || arr.Len() == 0 {
		return nil
	}
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), buf.Len()/int(unsafe.Sizeof(*new(T))))
	return all[d.Offset() : d.Offset()+d.Len()]
}

// Validity returns the array's validity bitmap and its bit offset; the
// bitmap is nil when the array has no nulls.
func Validity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	return arr.NullBitmapBytes(), arr.Data().Offset()
}

// IsValid reports whether bit i (after offset off) of a validity bitmap
// is set; a nil bitmap means all valid.
func IsValid(bitmap []byte, off, i int) bool {
	return bitmap == nil || bitutil.BitIsSet(bitmap, off+i)
}

// NewFixed wraps vals as an array of type dt (whose width must match T).
// validity may be nil (no nulls); nulls is the number of unset bits, or
// -1 to count them. The array takes ownership of both slices.
func NewFixed[T Elem](dt arrow.DataType, vals []T, validity []byte, nulls int) arrow.Array {
	n := len(vals)
	var vb []byte
	if n > 0 {
		vb = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), n*int(unsafe.Sizeof(*new(T))))
	}
	return array.MakeFromData(newData(dt, n, validity, nulls, memory.NewBufferBytes(vb)))
}

func newData(dt arrow.DataType, n int, validity []byte, nulls int, bufs ...*memory.Buffer) *array.Data {
	var vbuf *memory.Buffer
	if validity != nil {
		if nulls < 0 {
			nulls = n - bitutil.CountSetBits(validity, 0, n)
		}
		if nulls > 0 {
			vbuf = memory.NewBufferBytes(validity)
		}
	} else {
		nulls = 0
	}
	return array.NewData(dt, n, append([]*memory.Buffer{vbuf}, bufs...), nil, nulls, 0)
}

// NewBool builds a boolean array from a value bitmap. validity may be nil.
func NewBool(n int, bits []byte, validity []byte, nulls int) arrow.Array {
	return array.MakeFromData(newData(arrow.FixedWidthTypes.Boolean, n, validity, nulls, memory.NewBufferBytes(bits)))
}

// NewString builds a string array (or, with dt = Binary, a binary one)
// from n+1 offsets into data.
func NewString(dt arrow.DataType, offsets []int32, data []byte, validity []byte, nulls int) arrow.Array {
	n := len(offsets) - 1
	ob := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(offsets))), len(offsets)*4)
	return array.MakeFromData(newData(dt, n, validity, nulls, memory.NewBufferBytes(ob), memory.NewBufferBytes(data)))
}

// Bitmap returns a zeroed bitmap able to hold n bits.
func Bitmap(n int) []byte { return make([]byte, bitutil.BytesForBits(int64(n))) }

// BitmapOf returns the validity bitmap of valid and its NULL count; the
// bitmap is nil when every entry is valid.
func BitmapOf(valid []bool) ([]byte, int) {
	nulls := 0
	for _, v := range valid {
		if !v {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	bm := Bitmap(len(valid))
	for i, v := range valid {
		if v {
			bm[i>>3] |= 1 << (i & 7)
		}
	}
	return bm, nulls
}

// AllValid returns a bitmap of n set bits.
func AllValid(n int) []byte {
	b := Bitmap(n)
	bitutil.SetBitsTo(b, 0, int64(n), true)
	return b
}

// AndValidity returns the validity bitmap of a result that is NULL where
// any of arrs is NULL (nil arrays are skipped), or nil if none has nulls.
func AndValidity(n int, arrs ...arrow.Array) []byte {
	var out []byte
	for _, a := range arrs {
		if a == nil || a.NullN() == 0 {
			continue
		}
		bm, off := a.NullBitmapBytes(), a.Data().Offset()
		if out == nil {
			out = Bitmap(n)
			if off == 0 {
				copy(out, bm[:len(out)])
				continue
			}
			for i := 0; i < n; i++ {
				if bitutil.BitIsSet(bm, off+i) {
					bitutil.SetBit(out, i)
				}
			}
			continue
		}
		if off == 0 {
			for i := range out {
				out[i] &= bm[i]
			}
			continue
		}
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(bm, off+i) {
				bitutil.ClearBit(out, i)
			}
		}
	}
	return out
}

// Strings gives fast access to a string or binary array's values.
type Strings struct {
	Offsets []int32
	Data    []byte
}

// StringsOf returns the offsets (length Len()+1, offset applied) and the
// data buffer of a String or Binary array.
func StringsOf(arr arrow.Array) Strings {
	d := arr.Data()
	bufs := d.Buffers()
	var offs []int32
	if bufs[1] != nil && bufs[1].Len() > 0 {
		all := arrow.GetData[int32](bufs[1].Bytes())
		offs = all[d.Offset() : d.Offset()+d.Len()+1]
	} else {
		offs = make([]int32, d.Len()+1)
	}
	var data []byte
	if len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return Strings{Offsets: offs, Data: data}
}

// Bytes returns value i as a byte slice aliasing the array.
func (s Strings) Bytes(i int) []byte { return s.Data[s.Offsets[i]:s.Offsets[i+1]] }

// String returns value i as a string aliasing the array (no copy; valid
// while the array is).
func (s Strings) String(i int) string {
	b := s.Data[s.Offsets[i]:s.Offsets[i+1]]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// StringBuilder accumulates string values into offsets and data without
// per-value allocation.
type StringBuilder struct {
	Offsets  []int32
	Data     []byte
	validity []byte
	nulls    int
}

// NewStringBuilder returns a builder with room for n values.
func NewStringBuilder(n int) *StringBuilder {
	b := &StringBuilder{Offsets: make([]int32, 1, n+1)}
	return b
}

// Append adds a value.
func (b *StringBuilder) Append(s []byte) {
	b.Data = append(b.Data, s...)
	b.Offsets = append(b.Offsets, int32(len(b.Data)))
}

// AppendString adds a value.
func (b *StringBuilder) AppendString(s string) {
	b.Data = append(b.Data, s...)
	b.Offsets = append(b.Offsets, int32(len(b.Data)))
}

// AppendNull adds a NULL.
func (b *StringBuilder) AppendNull() {
	i := len(b.Offsets) - 1
	if b.validity == nil {
		b.validity = AllValid(cap(b.Offsets))
	}
	for bitutil.BytesForBits(int64(i+1)) > int64(len(b.validity)) {
		b.validity = append(b.validity, 0xff)
	}
	bitutil.ClearBit(b.validity, i)
	b.nulls++
	b.Offsets = append(b.Offsets, int32(len(b.Data)))
}

// Len returns the number of values appended.
func (b *StringBuilder) Len() int { return len(b.Offsets) - 1 }

// Finish returns the array (type dt: String or Binary) and resets b.
func (b *StringBuilder) Finish(dt arrow.DataType) arrow.Array {
	n := b.Len()
	var validity []byte
	if b.nulls > 0 {
		validity = b.validity[:bitutil.BytesForBits(int64(n))]
		// Bits past n may be set from AllValid; they are ignored.
	}
	arr := NewString(dt, b.Offsets, b.Data, validity, b.nulls)
	*b = StringBuilder{Offsets: make([]int32, 1, n+1)}
	return arr
}
