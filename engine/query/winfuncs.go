package query

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// computeWindowFunc computes one window function for every sorted row.
// args are the function's argument columns and filter its FILTER column
// (nil for none), in sorted order; fr is the frame (nil for functions
// that ignore it).
func computeWindowFunc(f plan.WindowCall, l *winLayout, fr *frameRanges, args []arrow.Array, filter arrow.Array) (arrow.Array, error) {
	n := l.n
	switch f.Kind {
	case plan.WinRowNumber, plan.WinRank, plan.WinDenseRank:
		out := make([]int64, n)
		for i := range out {
			switch f.Kind {
			case plan.WinRowNumber:
				out[i] = int64(int32(i)-l.partStart[i]) + 1
			case plan.WinRank:
				out[i] = int64(l.peerStart[i]-l.partStart[i]) + 1
			default:
				out[i] = int64(l.group[i]) + 1
			}
		}
		return vec.NewFixed(arrow.PrimitiveTypes.Int64, out, nil, 0), nil
	case plan.WinPercentRank, plan.WinCumeDist:
		out := make([]float64, n)
		for i := range out {
			size := float64(l.partEnd[i] - l.partStart[i])
			if f.Kind == plan.WinCumeDist {
				out[i] = float64(l.peerEnd[i]-l.partStart[i]) / size
			} else if size > 1 {
				out[i] = float64(l.peerStart[i]-l.partStart[i]) / (size - 1)
			}
		}
		return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, nil, 0), nil
	case plan.WinNtile:
		return ntile(l, args[0])
	case plan.WinLag, plan.WinLead:
		return lagLead(f.Kind == plan.WinLead, l, args)
	case plan.WinFirstValue, plan.WinLastValue, plan.WinNthValue:
		return frameValue(f.Kind, fr, args)
	case plan.WinAggregate:
		return windowAggregate(f, l, fr, args, filter)
	case plan.WinDetector:
		return detectorColumn(f, l, args[0])
	}
	return nil, errBug("window function %s", f.Kind)
}

// ntile numbers the rows of each partition into buckets as equal as
// possible, the first (size mod buckets) buckets one row larger. The
// bucket count is read from the partition's first row, as in Postgres.
func ntile(l *winLayout, arg arrow.Array) (arrow.Array, error) {
	n := l.n
	out := make([]int32, n)
	var validity []byte
	buckets := vec.Values[int32](arg)
	for i := 0; i < n; {
		lo, hi := int(l.partStart[i]), int(l.partEnd[i])
		if arg.IsNull(lo) {
			if validity == nil {
				validity = vec.AllValid(n)
			}
			for j := lo; j < hi; j++ {
				validity[j>>3] &^= 1 << (j & 7)
			}
			i = hi
			continue
		}
		nb := int(buckets[lo])
		if nb <= 0 {
			return nil, sqlerr.New(sqlerr.InvalidArgumentForNtile, "argument of ntile must be greater than zero")
		}
		size := hi - lo
		q, rem := size/nb, size%nb
		for j := lo; j < hi; j++ {
			k := j - lo
			if k < rem*(q+1) {
				out[j] = int32(k/(q+1) + 1)
			} else {
				out[j] = int32(rem + (k-rem*(q+1))/q + 1)
			}
		}
		i = hi
	}
	return vec.NewFixed(arrow.PrimitiveTypes.Int32, out, validity, -1), nil
}

// lagLead reads the value offset rows before (lag) or after (lead) each
// row in its partition, or the default (NULL if none) when that row does
// not exist. A NULL offset gives NULL.
func lagLead(lead bool, l *winLayout, args []arrow.Array) (arrow.Array, error) {
	n := l.n
	x := args[0]
	var offs []int32
	var offArr arrow.Array
	if len(args) > 1 {
		offArr = args[1]
		offs = vec.Values[int32](offArr)
	}
	var def arrow.Array
	if len(args) > 2 {
		def = args[2]
	}
	src := make([]int32, n)
	for i := 0; i < n; i++ {
		off := int64(1)
		if offArr != nil {
			if offArr.IsNull(i) {
				src[i] = -1
				continue
			}
			off = int64(offs[i])
		}
		if !lead {
			off = -off
		}
		t := int64(i) + off
		switch {
		case t >= int64(l.partStart[i]) && t < int64(l.partEnd[i]):
			src[i] = int32(t)
		case def != nil:
			src[i] = int32(n + i)
		default:
			src[i] = -1
		}
	}
	return gather(x, def, src)
}

// frameValue reads first_value, last_value or nth_value of each row's
// frame (NULL for an empty frame or one too short).
func frameValue(kind plan.WindowFuncKind, fr *frameRanges, args []arrow.Array) (arrow.Array, error) {
	x := args[0]
	n := x.Len()
	src := make([]int32, n)
	var nth []int32
	if kind == plan.WinNthValue {
		nth = vec.Values[int32](args[1])
	}
	for i := 0; i < n; i++ {
		s, e := fr.start[i], fr.end[i]
		src[i] = -1
		if e <= s {
			if kind == plan.WinNthValue && !args[1].IsNull(i) && nth[i] <= 0 {
				return nil, sqlerr.New(sqlerr.InvalidArgumentForNthValue, "argument of nth_value must be greater than zero")
			}
			continue
		}
		switch kind {
		case plan.WinFirstValue:
			src[i] = s
		case plan.WinLastValue:
			src[i] = e - 1
		default:
			if args[1].IsNull(i) {
				continue
			}
			k := nth[i]
			if k <= 0 {
				return nil, sqlerr.New(sqlerr.InvalidArgumentForNthValue, "argument of nth_value must be greater than zero")
			}
			if int64(s)+int64(k)-1 < int64(e) {
				src[i] = s + k - 1
			}
		}
	}
	return gather(x, nil, src)
}

// gather builds an array whose row i is x[src[i]] when 0 <= src[i] <
// len(x), def[src[i]-len(x)] when src[i] >= len(x), and NULL when
// src[i] < 0.
func gather(x, def arrow.Array, src []int32) (arrow.Array, error) {
	n := x.Len()
	tail := def
	if tail == nil {
		tail = array.MakeArrayOfNull(memory.DefaultAllocator, x.DataType(), 1)
	}
	for i, s := range src {
		if s < 0 {
			if def != nil {
				// A NULL slot is needed past the default values.
				tail = nil
				break
			}
			src[i] = int32(n)
		}
	}
	if tail == nil {
		nulls := array.MakeArrayOfNull(memory.DefaultAllocator, x.DataType(), 1)
		both, err := array.Concatenate([]arrow.Array{def, nulls}, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		for i, s := range src {
			if s < 0 {
				src[i] = int32(n + def.Len())
			}
		}
		tail = both
	}
	all, err := array.Concatenate([]arrow.Array{x, tail}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return batch.TakeArray(all, src), nil
}

// detectorColumn runs a fresh detector model over each partition's rows
// in order, as a streaming view would from the partition's first row.
func detectorColumn(f plan.WindowCall, l *winLayout, arg arrow.Array) (arrow.Array, error) {
	n := l.n
	xs := vec.Values[float64](arg)
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = arg.IsValid(i)
	}
	out, ok := make([]float64, n), make([]bool, n)
	for i := 0; i < n; {
		lo, hi := int(l.partStart[i]), int(l.partEnd[i])
		f.Detector.New(f.Params).Step(xs[lo:hi], valid[lo:hi], out[lo:hi], ok[lo:hi])
		i = hi
	}
	if f.Typ.Kind == types.Bool {
		b := array.NewBooleanBuilder(memory.DefaultAllocator)
		for i := range out {
			if ok[i] {
				b.Append(out[i] != 0)
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), nil
	}
	validity, nulls := vec.BitmapOf(ok)
	return vec.NewFixed(arrow.PrimitiveTypes.Float64, out, validity, nulls), nil
}
