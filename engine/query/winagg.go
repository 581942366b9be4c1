package query

import (
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Aggregates over window frames. count, sum, avg, min and max over
// numbers and times have typed paths that give exactly what the grouped
// aggregate would over the frame's rows:
//   - count: prefix counts;
//   - integer sum and avg: 128-bit prefix sums (exact, so sliding frames
//     cost O(1) per row and overflow is judged on the frame's own sum);
//   - float sum and avg: a running sum when every frame starts at the
//     partition's start, else a fresh in-order sum per frame, so results
//     match a sequential aggregation bit for bit;
//   - min and max: a monotonic deque of candidate rows over
//     order-preserving uint64 keys (NaN greatest, -0 = 0, earliest row
//     wins ties), then one gather of the chosen rows.
// Every other aggregate of the registry (the extension point for new
// window functions) runs through its functions.GroupState: one group per
// distinct frame, fed incrementally (copying the running state) when all
// frames start at the partition's start, else once per frame.

// included marks the rows an aggregate counts: FILTER true and, unless it
// takes no argument (count(*)), a non-NULL first argument.
func included(n int, args []arrow.Array, filter arrow.Array, star bool) []bool {
	inc := make([]bool, n)
	for i := range inc {
		inc[i] = true
	}
	if !star && len(args) > 0 && args[0].NullN() > 0 {
		for i := range inc {
			inc[i] = args[0].IsValid(i)
		}
	}
	if filter != nil {
		fb := filter.(*array.Boolean)
		for i := range inc {
			inc[i] = inc[i] && fb.IsValid(i) && fb.Value(i)
		}
	}
	return inc
}

func windowAggregate(f plan.WindowCall, l *winLayout, fr *frameRanges, args []arrow.Array, filter arrow.Array) (arrow.Array, error) {
	var argType types.Type
	if len(f.ArgTypes) > 0 {
		argType = f.ArgTypes[0]
	}
	name := f.Agg.Name
	switch {
	case name == "count":
		return windowCount(l, fr, included(l.n, args, filter, f.Agg.Star)), nil
	case (name == "sum" || name == "avg") && argType.IsInteger():
		return windowSumInt(name == "avg", l, fr, args[0], argType, included(l.n, args, filter, false))
	case (name == "sum" || name == "avg") && argType.IsFloat():
		return windowSumFloat(name == "avg", f.Typ, l, fr, args[0], argType, included(l.n, args, filter, false))
	case (name == "min" || name == "max") && orderKeyable(argType):
		return windowExtremum(name == "max", l, fr, args[0], argType, included(l.n, args, filter, false))
	}
	return windowGeneric(f, l, fr, args, filter)
}

func windowCount(l *winLayout, fr *frameRanges, inc []bool) arrow.Array {
	pre := make([]int64, l.n+1)
	for i, ok := range inc {
		pre[i+1] = pre[i]
		if ok {
			pre[i+1]++
		}
	}
	out := make([]int64, l.n)
	for i := range out {
		out[i] = pre[fr.end[i]] - pre[fr.start[i]]
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Int64, out, nil, 0)
}

// int128 is a two's-complement 128-bit integer.
type int128 struct {
	hi int64
	lo uint64
}

func (a int128) add(v int64) int128 {
	lo, carry := bits.Add64(a.lo, uint64(v), 0)
	hi := a.hi + int64(carry)
	if v < 0 {
		hi--
	}
	return int128{hi: hi, lo: lo}
}

func (a int128) sub(b int128) int128 {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	return int128{hi: a.hi - b.hi - int64(borrow), lo: lo}
}

// int64 returns the value if it fits.
func (a int128) int64() (int64, bool) {
	v := int64(a.lo)
	return v, (a.hi == 0 && v >= 0) || (a.hi == -1 && v < 0)
}

func intValues(arr arrow.Array, t types.Type) []int64 {
	switch t.Kind {
	case types.Int16:
		return widenInts(vec.Values[int16](arr), arr.Len(), 1)
	case types.Int32:
		return widenInts(vec.Values[int32](arr), arr.Len(), 1)
	}
	return vec.Values[int64](arr)
}

func windowSumInt(avg bool, l *winLayout, fr *frameRanges, x arrow.Array, t types.Type, inc []bool) (arrow.Array, error) {
	vals := intValues(x, t)
	pre := make([]int128, l.n+1)
	cnt := make([]int64, l.n+1)
	for i, ok := range inc {
		pre[i+1], cnt[i+1] = pre[i], cnt[i]
		if ok {
			pre[i+1] = pre[i].add(vals[i])
			cnt[i+1]++
		}
	}
	validity := vec.AllValid(l.n)
	sums := make([]int64, l.n)
	for i := range sums {
		s, e := fr.start[i], fr.end[i]
		if cnt[e] == cnt[s] {
			validity[i>>3] &^= 1 << (i & 7)
			continue
		}
		v, ok := pre[e].sub(pre[s]).int64()
		if !ok {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "bigint out of range")
		}
		sums[i] = v
	}
	if !avg {
		return vec.NewFixed(arrow.PrimitiveTypes.Int64, sums, validity, -1), nil
	}
	out := make([]float64, l.n)
	for i := range out {
		if c := cnt[fr.end[i]] - cnt[fr.start[i]]; c > 0 {
			out[i] = float64(sums[i]) / float64(c)
		}
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, -1), nil
}

func windowSumFloat(avg bool, ret types.Type, l *winLayout, fr *frameRanges, x arrow.Array, t types.Type, inc []bool) (arrow.Array, error) {
	vals := make([]float64, l.n)
	if t.Kind == types.Float32 {
		for i, v := range vec.Values[float32](x) {
			vals[i] = float64(v)
		}
	} else if l.n > 0 {
		vals = vec.Values[float64](x)
	}
	sums := make([]float64, l.n)
	cnts := make([]int64, l.n)
	if fr.fromStart {
		for i := 0; i < l.n; {
			lo, hi := int(l.partStart[i]), int(l.partEnd[i])
			acc, c, cur := 0.0, int64(0), lo
			for j := lo; j < hi; j++ {
				for ; cur < int(fr.end[j]); cur++ {
					if inc[cur] {
						acc += vals[cur]
						c++
					}
				}
				sums[j], cnts[j] = acc, c
			}
			i = hi
		}
	} else {
		for i := 0; i < l.n; i++ {
			acc, c := 0.0, int64(0)
			for j := fr.start[i]; j < fr.end[i]; j++ {
				if inc[j] {
					acc += vals[j]
					c++
				}
			}
			sums[i], cnts[i] = acc, c
		}
	}
	validity := vec.AllValid(l.n)
	for i, c := range cnts {
		if c == 0 {
			validity[i>>3] &^= 1 << (i & 7)
		} else if avg {
			sums[i] /= float64(c)
		}
	}
	if ret.Kind == types.Float32 {
		out := make([]float32, l.n)
		for i, s := range sums {
			if math.Abs(s) > math.MaxFloat32 && !math.IsInf(s, 0) {
				return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "value out of range: overflow")
			}
			out[i] = float32(s)
		}
		return vec.NewFixed(arrow.PrimitiveTypes.Float32, out, validity, -1), nil
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, sums, validity, -1), nil
}

// orderKeyable reports whether min/max of t has the typed path.
func orderKeyable(t types.Type) bool {
	return t.IsInteger() || t.IsFloat() || t.IsTimestamp() || t.Kind == types.Date
}

// orderKeys maps values to uint64s that order as the SQL values do.
func orderKeys(x arrow.Array, t types.Type) []uint64 {
	n := x.Len()
	out := make([]uint64, n)
	if t.IsFloat() {
		var fs []float64
		if t.Kind == types.Float32 {
			fs = make([]float64, n)
			for i, v := range vec.Values[float32](x) {
				fs[i] = float64(v)
			}
		} else {
			fs = vec.Values[float64](x)
		}
		for i, f := range fs {
			switch {
			case f != f:
				out[i] = math.MaxUint64
			case f == 0:
				out[i] = 1 << 63
			case f < 0:
				out[i] = ^math.Float64bits(f)
			default:
				out[i] = math.Float64bits(f) | 1<<63
			}
		}
		return out
	}
	var vals []int64
	if t.Kind == types.Date {
		vals = widenInts(vec.Values[int32](x), n, 1)
	} else {
		vals = intValues(x, t)
	}
	for i, v := range vals {
		out[i] = uint64(v) ^ 1<<63
	}
	return out
}

// windowExtremum computes min or max over frames with a monotonic deque.
func windowExtremum(isMax bool, l *winLayout, fr *frameRanges, x arrow.Array, t types.Type, inc []bool) (arrow.Array, error) {
	keys := orderKeys(x, t)
	better := func(a, b int32) bool {
		if isMax {
			return keys[a] > keys[b]
		}
		return keys[a] < keys[b]
	}
	src := make([]int32, l.n)
	dq := make([]int32, 0, 64)
	for i := 0; i < l.n; {
		lo, hi := int(l.partStart[i]), int(l.partEnd[i])
		dq = dq[:0]
		head, cur := 0, int32(lo)
		for j := lo; j < hi; j++ {
			for ; cur < fr.end[j]; cur++ {
				if !inc[cur] {
					continue
				}
				for len(dq) > head && better(cur, dq[len(dq)-1]) {
					dq = dq[:len(dq)-1]
				}
				dq = append(dq, cur)
			}
			for head < len(dq) && dq[head] < fr.start[j] {
				head++
			}
			src[j] = -1
			if head < len(dq) {
				src[j] = dq[head]
			}
		}
		i = hi
	}
	return gather(x, nil, src)
}

// windowGeneric evaluates any registry aggregate over frames through its
// GroupState: frame k of a partition is group k.
func windowGeneric(f plan.WindowCall, l *winLayout, fr *frameRanges, args []arrow.Array, filter arrow.Array) (arrow.Array, error) {
	n := l.n
	// One group per distinct frame; frameOf maps rows to it.
	frameOf := make([]uint32, n)
	var frames [][2]int32
	for i := 0; i < n; i++ {
		if i == 0 || fr.start[i] != fr.start[i-1] || fr.end[i] != fr.end[i-1] || l.partStart[i] != l.partStart[i-1] {
			frames = append(frames, [2]int32{fr.start[i], fr.end[i]})
		}
		frameOf[i] = uint32(len(frames) - 1)
	}
	st, err := f.Agg.New(f.ArgTypes, functions.AggOptions{})
	if err != nil {
		return nil, err
	}
	// Group 0 is scratch for the running state; frame k is group k+1.
	st.Resize(len(frames) + 1)
	var fb *array.Boolean
	if filter != nil {
		fb = filter.(*array.Boolean)
	}
	update := func(g uint32, s, e int32) error {
		if e <= s {
			return nil
		}
		groups := make([]uint32, e-s)
		sliced := make([]arrow.Array, len(args))
		for k, a := range args {
			sliced[k] = array.NewSlice(a, int64(s), int64(e))
		}
		for j := range groups {
			groups[j] = g
			if fb != nil && !(fb.IsValid(int(s)+j) && fb.Value(int(s)+j)) {
				groups[j] = functions.NoGroup
			}
		}
		return st.Update(sliced, groups, nil)
	}
	if fr.fromStart {
		// Feed the running state once and copy it into each frame.
		var buf []byte
		cur, part := int32(-1), int32(-1)
		for k, w := range frames {
			first := frameFirstRow(frameOf, k)
			if p := l.partStart[first]; p != part {
				part, cur = p, p
				st.Reset(0)
			}
			if err := update(0, cur, w[1]); err != nil {
				return nil, err
			}
			if w[1] > cur {
				cur = w[1]
			}
			buf = st.MarshalGroup(buf[:0], 0)
			if _, err := st.UnmarshalGroup(uint32(k+1), buf); err != nil {
				return nil, err
			}
		}
	} else {
		for k, w := range frames {
			if err := update(uint32(k+1), w[0], w[1]); err != nil {
				return nil, err
			}
		}
	}
	groups := make([]uint32, n)
	for i, k := range frameOf {
		groups[i] = k + 1
	}
	return st.Finalize(groups)
}

// frameFirstRow returns the first row whose frame is frame k (frames are
// numbered in row order).
func frameFirstRow(frameOf []uint32, k int) int {
	lo, hi := 0, len(frameOf)
	for lo < hi {
		m := (lo + hi) / 2
		if int(frameOf[m]) < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
