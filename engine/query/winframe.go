package query

import (
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// frameRanges is the frame of every sorted row: rows [start[i], end[i])
// (empty when end <= start). Within a partition both bounds never
// decrease, which the sliding aggregates rely on; end is clamped to at
// least start. fromStart is true when every frame starts at its
// partition's first row.
type frameRanges struct {
	start, end []int32
	fromStart  bool
}

// frames computes the frame of every row.
func (l *winLayout) frames(f plan.Frame, rc *rangeColumn, hasOrder bool) (*frameRanges, error) {
	fr := &frameRanges{start: make([]int32, l.n), end: make([]int32, l.n), fromStart: f.Start.Kind == plan.UnboundedPreceding}
	for i := 0; i < l.n; i++ {
		s := l.bound(f.Unit, f.Start, i, rc, hasOrder, true)
		e := l.bound(f.Unit, f.End, i, rc, hasOrder, false)
		if e < s {
			e = s
		}
		fr.start[i], fr.end[i] = s, e
	}
	return fr, nil
}

// bound computes one frame bound of row i as a row index: for a start
// bound the first row in the frame, for an end bound one past the last.
func (l *winLayout) bound(unit plan.FrameUnit, b plan.FrameBound, i int, rc *rangeColumn, hasOrder, isStart bool) int32 {
	lo, hi := int64(l.partStart[i]), int64(l.partEnd[i])
	clamp := func(x int64) int32 { return int32(min(max(x, lo), hi)) }
	switch b.Kind {
	case plan.UnboundedPreceding:
		return int32(lo)
	case plan.UnboundedFollowing:
		return int32(hi)
	case plan.CurrentRow:
		switch {
		case unit == plan.FrameRows:
			if isStart {
				return int32(i)
			}
			return int32(i + 1)
		case !hasOrder:
			if isStart {
				return int32(lo)
			}
			return int32(hi)
		case isStart:
			return l.peerStart[i]
		}
		return l.peerEnd[i]
	}
	k := b.Offset.I
	preceding := b.Kind == plan.OffsetPreceding
	switch unit {
	case plan.FrameRows:
		pos := int64(i)
		if preceding {
			pos = satAdd(pos, -k)
		} else {
			pos = satAdd(pos, k)
		}
		if !isStart {
			pos = satAdd(pos, 1)
		}
		return clamp(pos)
	case plan.FrameGroups:
		firsts := l.groupFirst[l.partStart[i]]
		g := int64(l.group[i])
		if preceding {
			g = satAdd(g, -k)
		} else {
			g = satAdd(g, k)
		}
		if !isStart {
			g = satAdd(g, 1)
		}
		switch {
		case g < 0:
			return int32(lo)
		case g >= int64(len(firsts)):
			return int32(hi)
		}
		return firsts[g]
	}
	return rc.rangeBound(l, i, b, isStart)
}

// satAdd adds without overflowing.
func satAdd(a, b int64) int64 {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// rangeColumn holds the sorted single ORDER BY column of a RANGE frame
// with offsets, as int64 (integers; timestamps and dates in
// microseconds) or float64.
type rangeColumn struct {
	isFloat    bool
	ints       []int64
	floats     []float64
	arr        arrow.Array
	desc       bool
	nullsFirst bool
}

func newRangeColumn(arr arrow.Array, t types.Type, key plan.SortKey) *rangeColumn {
	rc := &rangeColumn{arr: arr, desc: key.Desc, nullsFirst: key.NullsFirst}
	n := arr.Len()
	switch t.Kind {
	case types.Int16:
		rc.ints = widenInts(vec.Values[int16](arr), n, 1)
	case types.Int32:
		rc.ints = widenInts(vec.Values[int32](arr), n, 1)
	case types.Date:
		rc.ints = widenInts(vec.Values[int32](arr), n, types.MicrosPerDay)
	case types.Int64, types.Timestamp, types.TimestampTZ:
		rc.ints = widenInts(vec.Values[int64](arr), n, 1)
	case types.Float32:
		rc.isFloat = true
		rc.floats = make([]float64, n)
		for i, v := range vec.Values[float32](arr) {
			rc.floats[i] = float64(v)
		}
	case types.Float64:
		rc.isFloat = true
		rc.floats = vec.Values[float64](arr)
	default:
		return nil
	}
	return rc
}

func widenInts[T int16 | int32 | int64](vals []T, n int, scale int64) []int64 {
	out := make([]int64, n)
	for i, v := range vals {
		out[i] = int64(v) * scale
	}
	return out
}

// rangeBound finds a RANGE offset bound of row i, following Postgres's
// in_range rules: NULL rows are only in range of NULL rows (a NULL
// current row's offset frame is its NULL peers); for a non-NULL row the
// start is the first non-NULL row whose value is within the offset and
// the end the first one past it (sorted order makes both a binary
// search).
func (rc *rangeColumn) rangeBound(l *winLayout, i int, b plan.FrameBound, isStart bool) int32 {
	lo, hi := int(l.partStart[i]), int(l.partEnd[i])
	// The non-NULL rows of the partition form one block.
	nnLo, nnHi := lo, hi
	if rc.arr.NullN() > 0 {
		if rc.nullsFirst {
			nnLo = lo + sort.Search(hi-lo, func(k int) bool { return rc.arr.IsValid(lo + k) })
		} else {
			nnHi = lo + sort.Search(hi-lo, func(k int) bool { return rc.arr.IsNull(lo + k) })
		}
		if rc.arr.IsNull(i) {
			nlo, nhi := lo, nnLo
			if !rc.nullsFirst {
				nlo, nhi = nnHi, hi
			}
			if isStart {
				return int32(nlo)
			}
			return int32(nhi)
		}
	}
	sub := b.Kind == plan.OffsetPreceding
	less := !isStart
	if rc.desc {
		sub, less = !sub, !less
	}
	var inRange func(j int) bool
	if rc.isFloat {
		off := b.Offset.F
		if b.Offset.Type.IsInteger() {
			off = float64(b.Offset.I)
		}
		base := rc.floats[i]
		inRange = func(j int) bool { return inRangeFloat(rc.floats[j], base, off, sub, less) }
	} else {
		off := b.Offset.I
		if b.Offset.Type.Kind == types.Interval {
			off, _ = b.Offset.Iv.Fixed()
		}
		base := rc.ints[i]
		inRange = func(j int) bool { return inRangeInt(rc.ints[j], base, off, sub, less) }
	}
	// A start is the first row in range; an end the first row out of
	// range (the predicate flips once along the sorted block).
	k := sort.Search(nnHi-nnLo, func(k int) bool {
		in := inRange(nnLo + k)
		if isStart {
			return in
		}
		return !in
	})
	return int32(nnLo + k)
}

// inRangeInt is Postgres's in_range for integers and timestamps: whether
// val >= base ± offset (val <= ... when less), an overflowing sum
// counting as beyond every value.
func inRangeInt(val, base, offset int64, sub, less bool) bool {
	if sub {
		offset = -offset
	}
	sum := base + offset
	if (offset > 0 && sum < base) || (offset < 0 && sum > base) {
		if sub {
			return !less
		}
		return less
	}
	if less {
		return val <= sum
	}
	return val >= sum
}

// inRangeFloat is Postgres's in_range for floats, NaN sorting above
// every number.
func inRangeFloat(val, base, offset float64, sub, less bool) bool {
	switch {
	case math.IsNaN(val):
		if math.IsNaN(base) {
			return true
		}
		return !less
	case math.IsNaN(base):
		return less
	}
	if math.IsInf(offset, 1) && math.IsInf(base, 0) && ((sub && base > 0) || (!sub && base < 0)) {
		return true
	}
	sum := base + offset
	if sub {
		sum = base - offset
	}
	if less {
		return val <= sum
	}
	return val >= sum
}
