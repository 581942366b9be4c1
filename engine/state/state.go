package state

import (
	"encoding/binary"
	"errors"
	"math"
)

// Snapshotter is implemented by every operator that keeps state.
type Snapshotter interface {
	// Snapshot appends the operator's state to dst.
	Snapshot(dst []byte) ([]byte, error)
	// Restore replaces the operator's state with the one in src.
	Restore(src []byte) error
}

// ErrCorrupt is returned for state bytes that do not decode.
var ErrCorrupt = errors.New("state: corrupt snapshot")

// Writer appends primitive values to a byte slice.
type Writer struct{ Buf []byte }

// Uvarint appends an unsigned varint.
func (w *Writer) Uvarint(v uint64) { w.Buf = binary.AppendUvarint(w.Buf, v) }

// Varint appends a signed varint.
func (w *Writer) Varint(v int64) { w.Buf = binary.AppendVarint(w.Buf, v) }

// Float appends a float64.
func (w *Writer) Float(f float64) {
	w.Buf = binary.LittleEndian.AppendUint64(w.Buf, math.Float64bits(f))
}

// Bytes appends a length-prefixed byte string.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.Buf = append(w.Buf, b...)
}

// Bool appends a boolean.
func (w *Writer) Bool(b bool) {
	if b {
		w.Buf = append(w.Buf, 1)
	} else {
		w.Buf = append(w.Buf, 0)
	}
}

// Reader reads what a Writer wrote. The first error sticks; check Err
// once at the end.
type Reader struct {
	Buf []byte
	Err error
}

func (r *Reader) fail() {
	if r.Err == nil {
		r.Err = ErrCorrupt
	}
	r.Buf = nil
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.Buf)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.Buf = r.Buf[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.Buf)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.Buf = r.Buf[n:]
	return v
}

// Float reads a float64.
func (r *Reader) Float() float64 {
	if len(r.Buf) < 8 {
		r.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.Buf))
	r.Buf = r.Buf[8:]
	return f
}

// Bytes reads a length-prefixed byte string (aliasing the input).
func (r *Reader) Bytes() []byte {
	n := r.Uvarint()
	if r.Err != nil || uint64(len(r.Buf)) < n {
		r.fail()
		return nil
	}
	b := r.Buf[:n]
	r.Buf = r.Buf[n:]
	return b
}

// Bool reads a boolean.
func (r *Reader) Bool() bool {
	if len(r.Buf) < 1 {
		r.fail()
		return false
	}
	b := r.Buf[0] != 0
	r.Buf = r.Buf[1:]
	return b
}
