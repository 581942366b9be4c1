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
}

var numeric = []types.Type{types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type, types.Float64Type}

var errShortState = errors.New("aggregate state: truncated")

func notRetractable(name string) error {
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
