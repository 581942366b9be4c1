package view

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// A row is stored as one string: the key (the key columns' rowcodec
// encoding, or an 8-byte row number in a store without a key), then the
// rowcodec encoding of the other columns in schema order (the "rest"),
// then the checkpoint epoch in which the row was written (4 bytes), then
// the key's length as a uvarint whose bytes are written last byte first,
// so that it is read from the end. One string per row, rather than a key
// string and a row string that repeats the key columns, halves the
// allocations, the bytes and the tree's item size; the epoch lets a
// checkpoint find the changed rows without a set of their keys.
//
// Store keys order rows: the tree compares keyOf of two rows.

const epochLen = 4

// keyOf returns the key part of a stored row.
func keyOf(row string) string {
	if b := row[len(row)-1]; b < 0x80 {
		// A key shorter than 128 bytes: one trailer byte.
		return row[:b]
	}
	k, _, _ := split(row)
	return k
}

// split returns the key and rest parts of a stored row and its epoch.
func split(row string) (key, rest string, epoch uint32) {
	i := len(row) - 1
	b := row[i]
	n := int(b & 0x7f)
	for shift := 7; b&0x80 != 0; shift += 7 {
		i--
		b = row[i]
		n |= int(b&0x7f) << shift
	}
	e := row[i-epochLen : i]
	epoch = uint32(e[0])<<24 | uint32(e[1])<<16 | uint32(e[2])<<8 | uint32(e[3])
	return row[:n], row[n : i-epochLen], epoch
}

// appendTrailer appends the reversed uvarint of the key length.
func appendTrailer(dst []byte, klen int) []byte {
	var tmp [binary.MaxVarintLen64]byte
	m := binary.PutUvarint(tmp[:], uint64(klen))
	for i := m - 1; i >= 0; i-- {
		dst = append(dst, tmp[i])
	}
	return dst
}

// appendEnd appends the epoch and the trailer to a row's key and rest.
func appendEnd(dst []byte, klen int, epoch uint32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, epoch)
	return appendTrailer(dst, klen)
}

// makeRow builds a stored row from its key, rest and epoch.
func makeRow(buf []byte, key, rest string, epoch uint32) (string, []byte) {
	buf = append(append(buf[:0], key...), rest...)
	buf = appendEnd(buf, len(key), epoch)
	return string(buf), buf
}

// probe returns a row with the given key and no rest, to look rows up.
func probe(key string) string {
	var sb strings.Builder
	sb.Grow(len(key) + epochLen + 2)
	sb.WriteString(key)
	return finishProbe(&sb, len(key))
}

// probeBytes is probe for a key held in a byte slice.
func probeBytes(key []byte) string {
	var sb strings.Builder
	sb.Grow(len(key) + epochLen + 2)
	sb.Write(key)
	return finishProbe(&sb, len(key))
}

// finishProbe appends the epoch (0) and the trailer; the builder's one
// allocation becomes the string.
func finishProbe(sb *strings.Builder, klen int) string {
	var end [epochLen + binary.MaxVarintLen64]byte
	sb.Write(appendEnd(end[:0], klen, 0))
	return sb.String()
}

// layout says how a store splits its rows into key and rest.
type layout struct {
	types []types.Type
	// keyCols are the columns the key encodes (nil for a store whose key
	// is a row number, or whose key repeats a column: the rest then
	// holds every column).
	keyCols []int
	// restCols are the columns the rest encodes, in schema order.
	restCols []int
}

func newLayout(ts []types.Type, key []int, keyed bool) layout {
	l := layout{types: ts}
	inKey := make([]bool, len(ts))
	dup := false
	for _, k := range key {
		dup = dup || inKey[k]
		inKey[k] = true
	}
	if !keyed || dup {
		clear(inKey)
	} else {
		l.keyCols = slices.Clone(key)
	}
	for i := range ts {
		if !inKey[i] {
			l.restCols = append(l.restCols, i)
		}
	}
	return l
}

// decode appends a stored row's columns to cols.
func (l *layout) decode(cols *rowcodec.Columns, row string) error {
	key, rest, _ := split(row)
	var err error
	if l.keyCols == nil {
		err = cols.DecodeSplit(nil, nil, []byte(rest), l.restCols)
	} else {
		err = cols.DecodeSplit([]byte(key), l.keyCols, []byte(rest), l.restCols)
	}
	if err != nil {
		return fmt.Errorf("view row: %w", err)
	}
	return nil
}

// restOfFullRow converts a row in the first storage format (every
// column, in schema order) to the rest of the current one.
func (l *layout) restOfFullRow(full []byte) (string, error) {
	if l.keyCols == nil {
		return string(full), nil
	}
	inRest := make([]bool, len(l.types))
	for _, c := range l.restCols {
		inRest[c] = true
	}
	out := make([]byte, 0, len(full))
	src := full
	for i, t := range l.types {
		next, err := rowcodec.Skip(src, t)
		if err != nil {
			return "", fmt.Errorf("view row: %w", err)
		}
		if inRest[i] {
			out = append(out, src[:len(src)-len(next)]...)
		}
		src = next
	}
	if len(src) != 0 {
		return "", fmt.Errorf("view row: %w", rowcodec.ErrCorrupt)
	}
	return string(out), nil
}
