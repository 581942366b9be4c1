package aggregate

import (
	"encoding/binary"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// approxRelativeAccuracy is the relative accuracy of approx_percentile's
// sketches.
const approxRelativeAccuracy = 0.01

// approx_percentile(x, fraction) estimates the fraction-quantile of the
// non-null x with a DDSketch (Masson, Rim and Lee, VLDB 2019): values
// fall into logarithmic buckets [γ^(i−1), γ^i) with γ = 1.01/0.99, and the
// answer is the midpoint (in relative terms) of the bucket holding the
// input of 0-based rank floor(fraction·(n−1)) in sorted order, the lower
// of the two inputs percentile_cont interpolates between. The guarantee
// is therefore relative: the result v and that input x satisfy |v − x|
// ≤ 0.01·|x|, whatever the distribution and the number of inputs.
// Magnitudes below about 1e-308 count as 0; ±Infinity and NaN are
// counted exactly and placed where Postgres sorts them (−Inf first, NaN
// last); finite values beyond the sketch's range (about 1e308) are
// clamped to it.
//
// Sketches cannot forget inputs, so the aggregate refuses updating
// inputs (0A000). Memory: a group holds a sketch that stores a short
// buffer of bucket indexes and then 32-bucket pages: about 200 bytes for
// a few values, at most about 8 KB per sign for values spanning 1e-9 to
// 1e9, independent of the number of inputs.
func registerApproxPercentile(r *functions.Registry) {
	for _, t := range numeric {
		t := t
		r.AddAggregate(&functions.Aggregate{
			Name: "approx_percentile", Args: []types.Type{t, types.Float64Type}, Ret: types.Float64Type, IgnoresNulls: true,
			Doc: "approximate percentile (DDSketch): within 1% relative error of the input at 0-based rank floor(fraction·(n−1)); not retractable",
			New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
				if opts.Retractable {
					return nil, notRetractable("approx_percentile").
						WithHint("A sketch cannot forget inputs; use percentile_cont, which is exact and accepts retractions.")
				}
				return withDistinct("approx_percentile", args, []types.Type{t, types.Float64Type}, opts,
					func(functions.AggOptions) (functions.GroupState, error) {
						m, err := mapping.NewLogarithmicMapping(approxRelativeAccuracy)
						if err != nil {
							return nil, err
						}
						return &approxPercentileState{in: t, m: m}, nil
					})
			},
		})
	}
}

// ddGroup is one group's sketch, its fraction, and its exact counts of
// the inputs a sketch cannot hold.
type ddGroup struct {
	sk                  *ddsketch.DDSketch
	frac                float64
	fracSt              uint8
	negInf, posInf, nan int64
}

type approxPercentileState struct {
	in      types.Type
	m       *mapping.LogarithmicMapping
	g       []ddGroup
	scratch []byte
}

var _ functions.GroupState = (*approxPercentileState)(nil)

func (s *approxPercentileState) Resize(n int) { s.g = grow(s.g, n) }

func (s *approxPercentileState) newSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(s.m, store.NewBufferedPaginatedStore(), store.NewBufferedPaginatedStore())
}

func (s *approxPercentileState) Update(args []arrow.Array, groups []uint32, _ []int8) error {
	x, fr := args[0], args[1]
	switch s.in.Kind {
	case types.Int16:
		return sketchFold(s, vec.Values[int16](x), x, fr, groups)
	case types.Int32:
		return sketchFold(s, vec.Values[int32](x), x, fr, groups)
	case types.Int64:
		return sketchFold(s, vec.Values[int64](x), x, fr, groups)
	case types.Float32:
		return sketchFold(s, vec.Values[float32](x), x, fr, groups)
	}
	return sketchFold(s, vec.Values[float64](x), x, fr, groups)
}

func sketchFold[T int16 | int32 | int64 | float32 | float64](s *approxPercentileState, vals []T, x, frac arrow.Array, groups []uint32) error {
	bm, off := vec.Validity(x)
	fr := vec.Values[float64](frac)
	fbm, foff := vec.Validity(frac)
	limit := s.m.MaxIndexableValue()
	for i, g := range groups {
		if g == functions.NoGroup {
			continue
		}
		st := &s.g[g]
		if !validBit(fbm, foff, i) {
			st.fracSt = fracNull
		} else {
			f := fr[i]
			if !(f >= 0 && f <= 1) {
				return fracOutOfRange(f)
			}
			st.frac, st.fracSt = f, fracSet
		}
		if !validBit(bm, off, i) {
			continue
		}
		v := float64(vals[i])
		switch {
		case v != v:
			st.nan++
			continue
		case math.IsInf(v, 1):
			st.posInf++
			continue
		case math.IsInf(v, -1):
			st.negInf++
			continue
		case v > limit:
			v = limit
		case v < -limit:
			v = -limit
		}
		if st.sk == nil {
			st.sk = s.newSketch()
		}
		if err := st.sk.Add(v); err != nil {
			return err
		}
	}
	return nil
}

// quantile returns the value of 0-based rank floor(frac·(n−1)) among
// -Inf inputs, the sketch's inputs, +Inf inputs and NaN inputs, in that
// order.
func (st *ddGroup) quantile() float64 {
	var c float64
	if st.sk != nil {
		c = st.sk.GetCount()
	}
	total := float64(st.negInf+st.posInf+st.nan) + c
	rank := math.Floor(st.frac * (total - 1))
	if rank < float64(st.negInf) {
		return math.Inf(-1)
	}
	rank -= float64(st.negInf)
	if rank >= c {
		if rank-c < float64(st.posInf) {
			return math.Inf(1)
		}
		return math.NaN()
	}
	neg := st.sk.GetNegativeValueStore()
	nc := neg.TotalCount()
	switch {
	case rank < nc:
		return -st.sk.Value(neg.KeyAtRank(nc - 1 - rank))
	case rank < nc+st.sk.GetZeroCount():
		return 0
	}
	return st.sk.Value(st.sk.GetPositiveValueStore().KeyAtRank(rank - nc - st.sk.GetZeroCount()))
}

func (st *ddGroup) count() int64 {
	n := st.negInf + st.posInf + st.nan
	if st.sk != nil {
		n += int64(st.sk.GetCount())
	}
	return n
}

func (s *approxPercentileState) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]float64, len(groups))
	var validity []byte
	nulls := 0
	for i, g := range groups {
		st := &s.g[g]
		if st.count() == 0 || st.fracSt != fracSet {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
			continue
		}
		out[i] = st.quantile()
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}

func (s *approxPercentileState) Reset(g uint32)      { s.g[g] = ddGroup{} }
func (s *approxPercentileState) Empty(g uint32) bool { return s.g[g].count() == 0 }

// MarshalGroup writes the fraction state (and fraction), the -Inf, +Inf
// and NaN counts, and the sketch in DDSketch's own encoding without the
// index mapping (it is fixed), length-prefixed.
func (s *approxPercentileState) MarshalGroup(dst []byte, g uint32) []byte {
	st := &s.g[g]
	dst = append(dst, st.fracSt)
	if st.fracSt == fracSet {
		dst = putF64(dst, st.frac)
	}
	dst = putI64(putI64(putI64(dst, st.negInf), st.posInf), st.nan)
	if st.sk == nil {
		return binary.AppendUvarint(dst, 0)
	}
	s.scratch = s.scratch[:0]
	st.sk.Encode(&s.scratch, true)
	return putBytes(dst, s.scratch)
}

func (s *approxPercentileState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	if len(src) < 1 || src[0] > fracNull {
		return nil, errShortState
	}
	var st ddGroup
	st.fracSt = src[0]
	src = src[1:]
	var err error
	if st.fracSt == fracSet {
		if st.frac, src, err = getF64(src); err != nil {
			return nil, err
		}
		if !(st.frac >= 0 && st.frac <= 1) {
			return nil, errBadState
		}
	}
	for _, p := range []*int64{&st.negInf, &st.posInf, &st.nan} {
		if *p, src, err = getI64(src); err != nil {
			return nil, err
		}
		if *p < 0 {
			return nil, errBadState
		}
	}
	enc, src, err := getBytes(src)
	if err != nil {
		return nil, err
	}
	if len(enc) > 0 {
		if st.sk, err = s.decodeSketch(enc); err != nil {
			return nil, err
		}
	}
	s.g[g] = st
	return src, nil
}

// decodeSketch decodes into map-backed stores first, so that corrupt
// bytes naming absurd bucket indexes cannot make the paged stores
// allocate, checks every bucket, and only then builds the sketch.
func (s *approxPercentileState) decodeSketch(enc []byte) (*ddsketch.DDSketch, error) {
	sparse, err := ddsketch.DecodeDDSketch(enc, store.SparseStoreConstructor, s.m)
	if err != nil {
		return nil, errBadState
	}
	lo, hi := s.m.Index(s.m.MinIndexableValue()), s.m.Index(s.m.MaxIndexableValue())
	zero := sparse.GetZeroCount()
	if !(zero >= 0 && zero < math.MaxInt64) {
		return nil, errBadState
	}
	sk := s.newSketch()
	if zero > 0 {
		_ = sk.AddWithCount(0, zero)
	}
	for _, p := range [2]struct{ from, to store.Store }{
		{sparse.GetPositiveValueStore(), sk.GetPositiveValueStore()},
		{sparse.GetNegativeValueStore(), sk.GetNegativeValueStore()},
	} {
		p.from.ForEach(func(index int, count float64) bool {
			if index < lo || index > hi || !(count > 0 && count < math.MaxInt64) {
				err = errBadState
				return true
			}
			p.to.AddWithCount(index, count)
			return false
		})
		if err != nil {
			return nil, err
		}
	}
	return sk, nil
}
