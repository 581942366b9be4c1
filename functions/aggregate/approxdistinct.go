package aggregate

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/axiomhq/hyperloglog"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// approx_count_distinct(x) estimates count(DISTINCT x) with a
// HyperLogLog sketch of precision 14 (2^14 registers; axiomhq's
// HyperLogLog++ variant): the standard error is 1.04/√16384 ≈ 0.81% of
// the true count, so about 99.7% of estimates are within 2.4%. Small
// groups stay in the sketch's sparse form (precision 25), where the
// estimate is close to exact. Values are hashed through their key-codec
// encoding (MetroHash64, fixed seed), so equal values (-0 and 0, every
// NaN) hash alike, and the hash is stable across restarts, which keeps
// checkpointed sketches valid.
//
// NULLs are skipped; a group with no input gives 0, as count does.
// Sketches cannot forget inputs, so updating inputs are refused (0A000).
// Memory: a few bytes per distinct value while sparse, then 16 KiB per
// group.
func registerApproxCountDistinct(r *functions.Registry) {
	for _, t := range valueTypes {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "approx_count_distinct", Args: []types.Type{t}, Ret: types.Int64Type, IgnoresNulls: true,
			Doc: "approximate number of distinct non-null inputs (HyperLogLog, 2^14 registers: standard error 0.81%); not retractable",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				if opts.Retractable {
					return nil, notRetractable("approx_count_distinct").
						WithHint("A sketch cannot forget inputs; use count(DISTINCT ...), which is exact and accepts retractions.")
				}
				// DISTINCT cannot change a count of distinct values.
				codec, err := newKeyCodec("approx_count_distinct", []types.Type{t}, nil)
				if err != nil {
					return nil, err
				}
				return &approxDistinctState{codec: codec}, nil
			},
		})
	}
}

type approxDistinctState struct {
	codec   *keyCodec
	hll     []*hyperloglog.Sketch
	bufs    [][]byte
	scratch []byte
}

var _ functions.GroupState = (*approxDistinctState)(nil)

func (s *approxDistinctState) Resize(n int) { s.hll = grow(s.hll, n) }

func (s *approxDistinctState) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	s.bufs = resetBufs(s.bufs, len(groups))
	s.codec.encode(s.bufs, args, groups)
	bm, off := vec.Validity(args[0])
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		sk := s.hll[g]
		if sk == nil {
			sk = hyperloglog.New14()
			s.hll[g] = sk
		}
		sk.Insert(s.bufs[i])
	}
	return nil
}

func (s *approxDistinctState) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]int64, len(groups))
	for i, g := range groups {
		if sk := s.hll[g]; sk != nil {
			out[i] = int64(sk.Estimate())
		}
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Int64, out, nil, 0), nil
}

func (s *approxDistinctState) Reset(g uint32)      { s.hll[g] = nil }
func (s *approxDistinctState) Empty(g uint32) bool { return s.hll[g] == nil }

// MarshalGroup writes the sketch in its own binary form, length-prefixed
// (length 0: no sketch).
func (s *approxDistinctState) MarshalGroup(dst []byte, g uint32) []byte {
	sk := s.hll[g]
	if sk == nil {
		return binary.AppendUvarint(dst, 0)
	}
	enc, err := sk.AppendBinary(s.scratch[:0])
	if err != nil {
		// A sketch made by New14 or decoded always has a valid precision.
		panic("BUG: hyperloglog encode: " + err.Error())
	}
	s.scratch = enc
	return putBytes(dst, enc)
}

func (s *approxDistinctState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	enc, src, err := getBytes(src)
	if err != nil {
		return nil, err
	}
	if len(enc) == 0 {
		s.hll[g] = nil
		return src, nil
	}
	sk := hyperloglog.New14()
	if err := sk.UnmarshalBinary(enc); err != nil {
		return nil, errBadState
	}
	s.hll[g] = sk
	return src, nil
}
