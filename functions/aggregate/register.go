package aggregate

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Register adds the built-in aggregates to r.
func Register(r *functions.Registry) {
	registerCount(r)
	registerSum(r)
	registerAvg(r)
	registerMinMax(r)
	registerVariance(r)
	registerBoolAgg(r)
	registerStringAgg(r)
	registerFirstLast(r)
	registerPercentile(r)
	registerApproxPercentile(r)
	registerApproxCountDistinct(r)
}

var numeric = []types.Type{types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type}

// valueTypes are the scalar types that aggregates over any value
// (count, first_value, approx_count_distinct) accept.
var valueTypes = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type,
	types.TextType, types.TimestampType, types.TimestampTZType, types.DateType, types.IntervalType,
	types.JSONBType, types.ByteaType, types.OidType,
}

var (
	errShortState = errors.New("aggregate state: truncated")
	errBadState   = errors.New("aggregate state: corrupt")
)

func notRetractable(name string) *sqlerr.Error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "aggregate %s over an updating input is not supported", name)
}

// grow extends s to length n with zero values.
func grow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}

func putI64(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

func getI64(src []byte) (int64, []byte, error) {
	v, n := binary.Varint(src)
	if n <= 0 {
		return 0, nil, errShortState
	}
	return v, src[n:], nil
}

func putBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// getBytes returns a copy of a length-prefixed byte string.
func getBytes(src []byte) ([]byte, []byte, error) {
	n, w := binary.Uvarint(src)
	if w <= 0 || n > uint64(len(src)-w) {
		return nil, nil, errShortState
	}
	src = src[w:]
	return append([]byte(nil), src[:n]...), src[n:], nil
}

func putF64(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

func getF64(src []byte) (float64, []byte, error) {
	if len(src) < 8 {
		return 0, nil, errShortState
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(src)), src[8:], nil
}

func validBit(bm []byte, off, i int) bool {
	return bm == nil || bm[(off+i)>>3]&(1<<((off+i)&7)) != 0
}
