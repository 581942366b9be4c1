package aggregate

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// varKind is which statistic a varianceState finalizes to.
type varKind uint8

const (
	varPop varKind = iota
	varSamp
	stddevPop
	stddevSamp
)

// The variance family, with Postgres's names and aliases (variance =
// var_samp, stddev = stddev_samp). Every numeric input gives double
// precision (Postgres gives numeric for integer inputs; Tocsin has no
// numeric type).
var varianceFuncs = []struct {
	name string
	kind varKind
	doc  string
}{
	{"var_pop", varPop, "population variance of the non-null inputs"},
	{"var_samp", varSamp, "sample variance of the non-null inputs"},
	{"variance", varSamp, "sample variance of the non-null inputs (alias of var_samp)"},
	{"stddev_pop", stddevPop, "population standard deviation of the non-null inputs"},
	{"stddev_samp", stddevSamp, "sample standard deviation of the non-null inputs"},
	{"stddev", stddevSamp, "sample standard deviation of the non-null inputs (alias of stddev_samp)"},
}

func registerVariance(r *functions.Registry) {
	for _, f := range varianceFuncs {
		for _, t := range numeric {
			f, t := f, t
			r.AddAggregate(&functions.Aggregate{
				Name: f.name, Args: []types.Type{t}, Ret: types.Float64Type, IgnoresNulls: true,
				Doc: f.doc,
				New: func(args []types.Type, opts functions.AggOptions) (functions.GroupState, error) {
					return withDistinct(f.name, args, []types.Type{t}, opts, func(functions.AggOptions) (functions.GroupState, error) {
						return &varianceState{in: t, kind: f.kind}, nil
					})
				},
			})
		}
	}
}

// welford is one group's running count, mean and sum of squared
// deviations from the mean (Welford's update, which stays accurate when
// the mean is large against the spread, unlike sum-of-squares), plus the
// number of non-finite inputs, which make the result NaN while present
// (as in Postgres) and are kept apart so that retracting them restores
// the finite statistics.
//
// The update runs on x − shift, where shift is the group's first input
// (the "shifted data" technique): the differences are exact for inputs
// within a factor of two of it, and the running mean is then of the
// order of the spread rather than of the data, so rounding in the mean,
// which the reverse update for retractions feeds back into m2, stays
// relative to the spread. With a mean of 1e9 and a spread of 1, plain
// Welford retractions lose about six digits; shifted ones lose none.
type welford struct {
	n     int64
	shift float64
	mean  float64
	m2    float64
	bad   int64
}

func finite(x float64) bool { return x-x == 0 }

func (w *welford) add(x float64) {
	if !finite(x) {
		w.bad++
		return
	}
	if w.n == 0 {
		w.shift, w.mean, w.m2 = x, 0, 0
	}
	x -= w.shift
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

// remove undoes add(x): the mean without x is mean - (x-mean)/(n-1), and
// m2 loses (x - newMean)(x - oldMean), the term add contributed.
func (w *welford) remove(x float64) {
	if !finite(x) {
		w.bad--
		return
	}
	if w.n <= 1 {
		*w = welford{bad: w.bad}
		return
	}
	x -= w.shift
	w.n--
	old := w.mean
	w.mean -= (x - old) / float64(w.n)
	w.m2 -= (x - w.mean) * (x - old)
	if w.m2 < 0 || w.n == 1 {
		// Rounding can leave a residue where the exact value is 0.
		w.m2 = 0
	}
}

// varianceState keeps one welford per group. It is an array of small
// structs rather than four parallel slices because every update touches
// all of a group's fields (one cache line instead of four).
type varianceState struct {
	in   types.Type
	kind varKind
	w    []welford
}

var _ functions.GroupState = (*varianceState)(nil)

func (s *varianceState) Resize(n int) { s.w = grow(s.w, n) }

func (s *varianceState) Update(args []arrow.Array, groups []uint32, signs []int8) error {
	x := args[0]
	switch s.in.Kind {
	case types.Int16:
		welfordFold(s.w, vec.Values[int16](x), x, groups, signs)
	case types.Int32:
		welfordFold(s.w, vec.Values[int32](x), x, groups, signs)
	case types.Int64:
		welfordFold(s.w, vec.Values[int64](x), x, groups, signs)
	case types.Float32:
		welfordFold(s.w, vec.Values[float32](x), x, groups, signs)
	default:
		welfordFold(s.w, vec.Values[float64](x), x, groups, signs)
	}
	return nil
}

func welfordFold[T int16 | int32 | int64 | float32 | float64](w []welford, vals []T, x arrow.Array, groups []uint32, signs []int8) {
	bm, off := vec.Validity(x)
	for i, g := range groups {
		if g == functions.NoGroup || !validBit(bm, off, i) {
			continue
		}
		if signs != nil && signs[i] < 0 {
			w[g].remove(float64(vals[i]))
		} else {
			w[g].add(float64(vals[i]))
		}
	}
}

func (s *varianceState) Finalize(groups []uint32) (arrow.Array, error) {
	out := make([]float64, len(groups))
	var validity []byte
	nulls := 0
	minN := int64(1)
	if s.kind == varSamp || s.kind == stddevSamp {
		minN = 2
	}
	for i, g := range groups {
		w := &s.w[g]
		if w.n+w.bad < minN {
			if validity == nil {
				validity = vec.AllValid(len(groups))
			}
			validity[i>>3] &^= 1 << (i & 7)
			nulls++
			continue
		}
		if w.bad > 0 {
			out[i] = math.NaN()
			continue
		}
		v := w.m2 / float64(w.n-minN+1)
		if s.kind == stddevPop || s.kind == stddevSamp {
			v = math.Sqrt(v)
		}
		out[i] = v
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}

func (s *varianceState) Reset(g uint32)      { s.w[g] = welford{} }
func (s *varianceState) Empty(g uint32) bool { return s.w[g].n == 0 && s.w[g].bad == 0 }

func (s *varianceState) MarshalGroup(dst []byte, g uint32) []byte {
	w := &s.w[g]
	return putI64(putF64(putF64(putF64(putI64(dst, w.n), w.shift), w.mean), w.m2), w.bad)
}

func (s *varianceState) UnmarshalGroup(g uint32, src []byte) ([]byte, error) {
	var w welford
	var err error
	if w.n, src, err = getI64(src); err != nil {
		return nil, err
	}
	if w.shift, src, err = getF64(src); err != nil {
		return nil, err
	}
	if w.mean, src, err = getF64(src); err != nil {
		return nil, err
	}
	if w.m2, src, err = getF64(src); err != nil {
		return nil, err
	}
	if w.bad, src, err = getI64(src); err != nil {
		return nil, err
	}
	s.w[g] = w
	return src, nil
}
