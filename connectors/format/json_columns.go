package format

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Typed output columns. The common column types (64-bit integers and
// timestamps, 32-bit integers, float64, text) are appended into typed
// slices over allocator buffers rather than through Arrow builders: an
// append is a slice store with no per-value Reserve or validity bit, and
// a column with no NULL in the batch carries no validity bitmap at all
// (one is built, all ones so far, at the first NULL). Flush hands the
// buffers to the batch's arrays, as a builder's NewArray does, and
// reserves new ones sized like the batch just flushed.

// fixedVal is a value type of a fixed-width typed column.
type fixedVal interface {
	int64 | int32 | float64
}

// fixedCol accumulates one fixed-width column.
type fixedCol[T fixedVal] struct {
	mem   memory.Allocator
	typ   arrow.DataType
	buf   *memory.Buffer // owns vals' memory
	vals  []T            // len = rows appended, cap = buffer capacity
	valid validity
}

func newFixedCol[T fixedVal](mem memory.Allocator, typ arrow.DataType) *fixedCol[T] {
	c := &fixedCol[T]{mem: mem, typ: typ}
	c.reserve(0)
	return c
}

// reserve replaces the buffer with a new one for n values (at least 64).
func (c *fixedCol[T]) reserve(n int) {
	n = max(n, 64)
	c.buf = memory.NewResizableBuffer(c.mem)
	c.buf.Reserve(n * sizeOf[T]())
	c.vals = castSlice[T](c.buf.Buf()[:c.buf.Cap()])[:0]
}

// grow doubles the capacity, keeping the values.
func (c *fixedCol[T]) grow() {
	n := len(c.vals)
	c.buf.Resize(n * sizeOf[T]())
	c.buf.Reserve(2 * n * sizeOf[T]())
	c.vals = castSlice[T](c.buf.Buf()[:c.buf.Cap()])[:n]
}

func (c *fixedCol[T]) append(v T) {
	if len(c.vals) == cap(c.vals) {
		c.grow()
	}
	c.vals = append(c.vals, v)
}

func (c *fixedCol[T]) appendNull() {
	c.valid.null(len(c.vals), c.mem)
	var zero T
	c.append(zero)
}

// flush returns the column's array and starts a new batch.
func (c *fixedCol[T]) flush() arrow.Array {
	n := len(c.vals)
	c.buf.Resize(n * sizeOf[T]())
	vb, nulls := c.valid.take(n)
	data := array.NewData(c.typ, n, []*memory.Buffer{vb, c.buf}, nil, nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	if vb != nil {
		vb.Release()
	}
	c.buf.Release()
	c.reserve(n)
	return arr
}

func (c *fixedCol[T]) release() {
	c.buf.Release()
	c.buf, c.vals = nil, nil
	c.valid.release()
}

// textCol accumulates one utf8 column: int32 offsets and the bytes.
type textCol struct {
	mem             memory.Allocator
	offBuf, dataBuf *memory.Buffer
	offs            []int32 // len = rows appended + 1
	data            []byte
	valid           validity
}

func newTextCol(mem memory.Allocator) *textCol {
	c := &textCol{mem: mem}
	c.reserve(0, 0)
	return c
}

func (c *textCol) reserve(rows, bytes int) {
	rows, bytes = max(rows, 64), max(bytes, 1024)
	c.offBuf = memory.NewResizableBuffer(c.mem)
	c.offBuf.Reserve((rows + 1) * 4)
	c.offs = castSlice[int32](c.offBuf.Buf()[:c.offBuf.Cap()])[:1]
	c.offs[0] = 0
	c.dataBuf = memory.NewResizableBuffer(c.mem)
	c.dataBuf.Reserve(bytes)
	c.data = c.dataBuf.Buf()[:0:c.dataBuf.Cap()]
}

func (c *textCol) append(v []byte) {
	if len(c.data)+len(v) > cap(c.data) {
		n := len(c.data)
		c.dataBuf.Resize(n)
		c.dataBuf.Reserve(max(2*cap(c.data), n+len(v)))
		c.data = c.dataBuf.Buf()[:n:c.dataBuf.Cap()]
	}
	c.data = append(c.data, v...)
	if len(c.offs) == cap(c.offs) {
		n := len(c.offs)
		c.offBuf.Resize(n * 4)
		c.offBuf.Reserve(2 * n * 4)
		c.offs = castSlice[int32](c.offBuf.Buf()[:c.offBuf.Cap()])[:n]
	}
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *textCol) appendNull() {
	c.valid.null(len(c.offs)-1, c.mem)
	c.append(nil)
}

func (c *textCol) flush() arrow.Array {
	n := len(c.offs) - 1
	c.offBuf.Resize(len(c.offs) * 4)
	c.dataBuf.Resize(len(c.data))
	vb, nulls := c.valid.take(n)
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{vb, c.offBuf, c.dataBuf}, nil, nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	if vb != nil {
		vb.Release()
	}
	bytes := len(c.data)
	c.offBuf.Release()
	c.dataBuf.Release()
	c.reserve(n, bytes)
	return arr
}

func (c *textCol) release() {
	c.offBuf.Release()
	c.dataBuf.Release()
	c.offBuf, c.dataBuf, c.offs, c.data = nil, nil, nil, nil
	c.valid.release()
}

// validity is a column's validity bitmap, made at its first NULL.
type validity struct {
	buf   *memory.Buffer
	bits  []byte
	nulls int
}

// null marks row i NULL; rows before it without a bitmap are valid.
func (v *validity) null(i int, mem memory.Allocator) {
	if v.buf == nil {
		v.buf = memory.NewResizableBuffer(mem)
		v.buf.Resize(int(bitutil.BytesForBits(int64(max(i+1, 512)))))
		v.bits = v.buf.Bytes()
		bitutil.SetBitsTo(v.bits, 0, int64(len(v.bits))*8, true)
	}
	if need := int(bitutil.BytesForBits(int64(i + 1))); need > len(v.bits) {
		old := len(v.bits)
		v.buf.Resize(max(need, 2*old))
		v.bits = v.buf.Bytes()
		bitutil.SetBitsTo(v.bits, int64(old)*8, int64(len(v.bits)-old)*8, true)
	}
	bitutil.ClearBit(v.bits, i)
	v.nulls++
}

// take hands over the bitmap of n rows (nil when no row is NULL) and its
// NULL count, and starts over with no bitmap.
func (v *validity) take(n int) (*memory.Buffer, int) {
	if v.buf == nil {
		return nil, 0
	}
	need := int(bitutil.BytesForBits(int64(n)))
	if need > len(v.bits) {
		old := len(v.bits)
		v.buf.Resize(need)
		v.bits = v.buf.Bytes()
		bitutil.SetBitsTo(v.bits, int64(old)*8, int64(need-old)*8, true)
	}
	v.buf.Resize(need)
	b, nulls := v.buf, v.nulls
	v.buf, v.bits, v.nulls = nil, nil, 0
	return b, nulls
}

func (v *validity) release() {
	if v.buf != nil {
		v.buf.Release()
	}
	v.buf, v.bits, v.nulls = nil, nil, 0
}

func sizeOf[T fixedVal]() int { return int(unsafe.Sizeof(*new(T))) }

// castSlice views b as a slice of T: b's length is a multiple of T's
// size and allocator buffers are 64-byte aligned.
func castSlice[T fixedVal](b []byte) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/sizeOf[T]())
}
