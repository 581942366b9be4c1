package ops

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// keyCol holds one group-key column of a hash aggregate as typed values
// indexed by group id, so that results are built without decoding and
// keys are compared without encoding. A batch's column is bound once;
// hash, equal and set then read its rows.
//
// Grouping equality is SQL's GROUP BY: NULLs group together, and so do
// NaNs, and -0 with 0 (the stored value is normalised as rowcodec
// normalises it).
type keyCol interface {
	// bind makes arr the column that hash, equal and set read.
	bind(arr arrow.Array) error
	// hash mixes the value of each bound row into hs[i].
	hash(hs []uint64)
	// hashRows mixes the value of bound row rows[j] into hs[j].
	hashRows(rows []int32, hs []uint64)
	// hashGroup mixes the value of group id into h.
	hashGroup(id uint32, h uint64) uint64
	// equal reports whether group id's value equals bound row i's.
	equal(id uint32, i int) bool
	// set stores bound row i's value as group id's (id <= the number of
	// ids set so far).
	set(id uint32, i int)
	// release frees what group id's value holds.
	release(id uint32)
	// output returns the values of the listed groups as an array.
	output(ids []uint32) (arrow.Array, error)
	// compact keeps the values of the listed groups, renumbered 0..n-1.
	compact(ids []uint32)
}

// newKeyCol returns the key column for values of type t.
func newKeyCol(t types.Type) keyCol {
	switch t.Kind {
	case types.Int16:
		return &fixedKey[int16]{t: t, bits: intBits[int16]}
	case types.Int32, types.Date:
		return &fixedKey[int32]{t: t, bits: intBits[int32]}
	case types.Int64, types.Timestamp, types.TimestampTZ:
		return &fixedKey[int64]{t: t, bits: intBits[int64]}
	case types.Oid:
		return &fixedKey[uint32]{t: t, bits: intBits[uint32]}
	case types.Float32:
		return &fixedKey[float32]{t: t, bits: floatBits[float32], norm: normFloat[float32]}
	case types.Float64:
		return &fixedKey[float64]{t: t, bits: floatBits[float64], norm: normFloat[float64]}
	case types.Bool, types.Interval, types.Array:
		// Rare as keys: kept as their rowcodec encoding.
		return &bytesKey{t: t, encoded: true, seed: maphash.MakeSeed()}
	}
	return &bytesKey{t: t, seed: maphash.MakeSeed()}
}

const (
	mulA     = 0x9e3779b97f4a7c15
	mulB     = 0xbf58476d1ce4e5b9
	nullHash = 0x2545f4914f6cdd1d
)

// mix folds one value's 64 bits into a running hash.
func mix(h, v uint64) uint64 {
	h = (h ^ v) * mulA
	return h ^ h>>29
}

// fmix finishes a hash so that every bit depends on every input bit (the
// table takes its slot from the top bits).
func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

func intBits[T int16 | int32 | int64 | uint32](v T) uint64 { return uint64(int64(v)) }

func floatBits[T float32 | float64](v T) uint64 { return math.Float64bits(float64(v)) }

// normFloat maps -0 to 0 and every NaN to one NaN, as rowcodec does.
func normFloat[T float32 | float64](v T) T {
	if v != v {
		return T(math.NaN())
	}
	if v == 0 {
		return 0
	}
	return v
}

// fixedKey is a key column of fixed-width values.
type fixedKey[T int16 | int32 | int64 | uint32 | float32 | float64] struct {
	t    types.Type
	vals []T
	null []bool
	bits func(T) uint64
	norm func(T) T // nil for integers

	in    []T
	inBM  []byte
	inOff int
}

func (k *fixedKey[T]) bind(arr arrow.Array) error {
	k.in = vec.Values[T](arr)
	k.inBM, k.inOff = vec.Validity(arr)
	return nil
}

func (k *fixedKey[T]) value(i int) (T, bool) {
	if !vec.IsValid(k.inBM, k.inOff, i) {
		return 0, true
	}
	v := k.in[i]
	if k.norm != nil {
		v = k.norm(v)
	}
	return v, false
}

func (k *fixedKey[T]) hash(hs []uint64) {
	if k.inBM == nil && k.norm == nil {
		// Integers: their bits are the value widened (as intBits), done
		// inline rather than through k.bits.
		for i, v := range k.in[:len(hs)] {
			hs[i] = mix(hs[i], uint64(int64(v)))
		}
		return
	}
	for i := range hs {
		v, null := k.value(i)
		if null {
			hs[i] = mix(hs[i], nullHash)
		} else {
			hs[i] = mix(hs[i], k.bits(v))
		}
	}
}

func (k *fixedKey[T]) hashRows(rows []int32, hs []uint64) {
	for j, i := range rows {
		v, null := k.value(int(i))
		if null {
			hs[j] = mix(hs[j], nullHash)
		} else {
			hs[j] = mix(hs[j], k.bits(v))
		}
	}
}

func (k *fixedKey[T]) hashGroup(id uint32, h uint64) uint64 {
	if k.null[id] {
		return mix(h, nullHash)
	}
	return mix(h, k.bits(k.vals[id]))
}

func (k *fixedKey[T]) equal(id uint32, i int) bool {
	if k.inBM == nil && k.norm == nil {
		// No NULLs in the batch and integer values: equal bits are equal
		// values.
		return k.in[i] == k.vals[id] && !k.null[id]
	}
	v, null := k.value(i)
	if null || k.null[id] {
		return null == k.null[id]
	}
	return k.bits(v) == k.bits(k.vals[id])
}

func (k *fixedKey[T]) set(id uint32, i int) {
	v, null := k.value(i)
	if int(id) == len(k.vals) {
		k.vals = append(k.vals, v)
		k.null = append(k.null, null)
		return
	}
	k.vals[id], k.null[id] = v, null
}

func (k *fixedKey[T]) release(uint32) {}

func (k *fixedKey[T]) output(ids []uint32) (arrow.Array, error) {
	out := make([]T, len(ids))
	var valid []bool
	for i, id := range ids {
		out[i] = k.vals[id]
		if k.null[id] && valid == nil {
			valid = make([]bool, len(ids))
			for j := range valid {
				valid[j] = true
			}
		}
		if valid != nil && k.null[id] {
			valid[i] = false
		}
	}
	if valid == nil {
		return vec.NewFixed(k.t.Arrow(), out, nil, 0), nil
	}
	bm, nulls := vec.BitmapOf(valid)
	return vec.NewFixed(k.t.Arrow(), out, bm, nulls), nil
}

func (k *fixedKey[T]) compact(ids []uint32) {
	vals := make([]T, len(ids))
	null := make([]bool, len(ids))
	for i, id := range ids {
		vals[i], null[i] = k.vals[id], k.null[id]
	}
	k.vals, k.null = vals, null
}

// maxKeyBytes bounds one group key value held in a bytesKey.
const maxKeyBytes = 1<<24 - 1

// bytesKey is a key column of variable-length values (text and bytes,
// or the rowcodec encoding of other types), kept in one arena: group id's
// value is arena[span>>24 : span>>24 + span&(1<<24-1)]. Released values
// are garbage until the arena is rewritten.
type bytesKey struct {
	t       types.Type
	encoded bool
	arena   []byte
	spans   []uint64
	null    []bool
	garbage int
	seed    maphash.Seed

	in    vec.Strings
	inBM  []byte
	inOff int
	enc   [][]byte
	// last is the bound column if it is held for reuse (not encoded),
	// and lastHash the hashes of its values once computed.
	last     arrow.Array
	lastHash []uint64
}

func (k *bytesKey) bind(arr arrow.Array) error {
	if !k.encoded && arr == k.last && arr != nil {
		// The column of the previous batch again (a hopping window passes
		// the same input columns once per window position): it is bound
		// and checked, and its hashes are cached.
		return nil
	}
	k.forget()
	k.inBM, k.inOff = vec.Validity(arr)
	n := arr.Len()
	if k.encoded {
		if cap(k.enc) < n {
			k.enc = make([][]byte, n)
		}
		k.enc = k.enc[:n]
		for i := range k.enc {
			k.enc[i] = k.enc[i][:0]
		}
		rowcodec.AppendColumn(k.enc, arr, k.t)
	} else {
		k.in = vec.StringsOf(arr)
	}
	for i := 0; i < n; i++ {
		if len(k.bytes(i)) > maxKeyBytes {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "group key value of %d bytes is longer than the limit of %d", len(k.bytes(i)), maxKeyBytes)
		}
	}
	if !k.encoded {
		// Hold the array (and a reference on it, so that its buffers are
		// not recycled) to recognise it in the next bind.
		arr.Retain()
		k.last = arr
	}
	return nil
}

// forget drops the cached column and its hashes.
func (k *bytesKey) forget() {
	if k.last != nil {
		k.last.Release()
		k.last = nil
	}
	k.lastHash = k.lastHash[:0]
}

func (k *bytesKey) bytes(i int) []byte {
	if k.encoded {
		return k.enc[i]
	}
	return k.in.Bytes(i)
}

func (k *bytesKey) group(id uint32) []byte {
	s := k.spans[id]
	start := s >> 24
	return k.arena[start : start+s&maxKeyBytes]
}

func (k *bytesKey) hash(hs []uint64) {
	if k.last != nil && len(k.lastHash) == len(hs) {
		for i, v := range k.lastHash {
			hs[i] = mix(hs[i], v)
		}
		return
	}
	cache := k.last != nil
	k.lastHash = k.lastHash[:0]
	for i := range hs {
		v := uint64(nullHash)
		if vec.IsValid(k.inBM, k.inOff, i) {
			v = maphash.Bytes(k.seed, k.bytes(i))
		}
		if cache {
			k.lastHash = append(k.lastHash, v)
		}
		hs[i] = mix(hs[i], v)
	}
}

func (k *bytesKey) hashRows(rows []int32, hs []uint64) {
	cached := k.last != nil && len(k.lastHash) == k.last.Len()
	for j, i := range rows {
		var v uint64
		switch {
		case cached:
			v = k.lastHash[i]
		case vec.IsValid(k.inBM, k.inOff, int(i)):
			v = maphash.Bytes(k.seed, k.bytes(int(i)))
		default:
			v = nullHash
		}
		hs[j] = mix(hs[j], v)
	}
}

func (k *bytesKey) hashGroup(id uint32, h uint64) uint64 {
	if k.null[id] {
		return mix(h, nullHash)
	}
	return mix(h, maphash.Bytes(k.seed, k.group(id)))
}

func (k *bytesKey) equal(id uint32, i int) bool {
	null := !vec.IsValid(k.inBM, k.inOff, i)
	if null || k.null[id] {
		return null == k.null[id]
	}
	return bytes.Equal(k.group(id), k.bytes(i))
}

func (k *bytesKey) set(id uint32, i int) {
	null := !vec.IsValid(k.inBM, k.inOff, i)
	var span uint64
	if !null {
		b := k.bytes(i)
		span = uint64(len(k.arena))<<24 | uint64(len(b))
		k.arena = append(k.arena, b...)
	}
	if int(id) == len(k.spans) {
		k.spans = append(k.spans, span)
		k.null = append(k.null, null)
		return
	}
	k.spans[id], k.null[id] = span, null
}

func (k *bytesKey) release(id uint32) {
	k.garbage += int(k.spans[id] & maxKeyBytes)
	k.spans[id], k.null[id] = 0, true
	if k.garbage > 1<<20 && k.garbage > len(k.arena)/2 {
		k.rewrite(nil)
	}
}

// rewrite copies the live values (those of ids, or all) to a new arena
// of their exact size.
func (k *bytesKey) rewrite(ids []uint32) {
	if ids == nil {
		ids = make([]uint32, len(k.spans))
		for i := range ids {
			ids[i] = uint32(i)
		}
	}
	size := 0
	for _, id := range ids {
		size += int(k.spans[id] & maxKeyBytes)
	}
	arena := make([]byte, 0, size)
	spans := make([]uint64, len(ids))
	null := make([]bool, len(ids))
	for i, id := range ids {
		b := k.group(id)
		spans[i] = uint64(len(arena))<<24 | uint64(len(b))
		null[i] = k.null[id]
		arena = append(arena, b...)
	}
	k.arena, k.garbage = arena, 0
	if len(ids) == len(k.spans) {
		// In place: ids are every id in order.
		copy(k.spans, spans)
		copy(k.null, null)
		return
	}
	k.spans, k.null = spans, null
}

func (k *bytesKey) output(ids []uint32) (arrow.Array, error) {
	if k.encoded {
		cols := rowcodec.NewColumns([]types.Type{k.t})
		for _, id := range ids {
			var err error
			if k.null[id] {
				_, err = cols.DecodeRow([]byte{0})
			} else {
				_, err = cols.DecodeRow(k.group(id))
			}
			if err != nil {
				return nil, fmt.Errorf("BUG: hash aggregate key: %w", err)
			}
		}
		return cols.Arrays()[0], nil
	}
	size := 0
	for _, id := range ids {
		size += int(k.spans[id] & maxKeyBytes)
	}
	data := make([]byte, 0, size)
	offs := make([]int32, len(ids)+1)
	var valid []bool
	for i, id := range ids {
		if k.null[id] {
			if valid == nil {
				valid = make([]bool, len(ids))
				for j := range valid {
					valid[j] = true
				}
			}
			valid[i] = false
		} else {
			data = append(data, k.group(id)...)
		}
		offs[i+1] = int32(len(data))
	}
	var bm []byte
	nulls := 0
	if valid != nil {
		bm, nulls = vec.BitmapOf(valid)
	}
	return vec.NewString(k.t.Arrow(), offs, data, bm, nulls), nil
}

func (k *bytesKey) compact(ids []uint32) { k.rewrite(ids) }
