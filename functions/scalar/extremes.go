package scalar

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// greatest and least: variadic over one type (the binder's overload
// resolution picks the common type, as Postgres's does), ignoring NULL
// arguments; the result is NULL only where every argument is NULL.
// Values compare as the comparison operators do (NaN above all floats,
// intervals by their 30-day-month length).

func registerExtremes(r *functions.Registry) {
	for _, t := range comparableKinds {
		for _, greatest := range []bool{true, false} {
			name := "least"
			if greatest {
				name = "greatest"
			}
			r.AddScalar(&functions.Scalar{
				Name: name, Args: []types.Type{t}, Variadic: true, Ret: t, Nulls: functions.NullCustom,
				Doc: name + " of the arguments, ignoring NULLs", Kernel: extremeKernel(t, greatest),
			})
		}
	}
}

// argNulls answers "is row i NULL" for one argument.
type argNulls struct {
	bits       []byte
	off        int
	scalarNull bool
}

func argNullsOf(v functions.Value) argNulls {
	if v.IsScalar() {
		return argNulls{scalarNull: v.Scalar.Null}
	}
	bm, off := vec.Validity(v.Array)
	return argNulls{bits: bm, off: off}
}

func (a *argNulls) isNull(i int) bool {
	return a.scalarNull || a.bits != nil && !vec.IsValid(a.bits, a.off, i)
}

func extremeKernel(t types.Type, greatest bool) functions.Kernel {
	var self functions.Kernel
	self = func(ctx *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		if allScalar(args) && n != 1 {
			return scalarOnce(t, self, ctx, args)
		}
		nulls := make([]argNulls, len(args))
		for j, a := range args {
			nulls[j] = argNullsOf(a)
		}
		mask := nullMask{n: n}
		switch physOf(t) {
		case physI16:
			return extremeFixed(t, args, nulls, n, &mask, greatest, intLess[int16]), nil
		case physI32:
			return extremeFixed(t, args, nulls, n, &mask, greatest, intLess[int32]), nil
		case physI64:
			return extremeFixed(t, args, nulls, n, &mask, greatest, intLess[int64]), nil
		case physU32:
			return extremeFixed(t, args, nulls, n, &mask, greatest, intLess[uint32]), nil
		case physF32:
			return extremeFixed(t, args, nulls, n, &mask, greatest, floatLess[float32]), nil
		case physF64:
			return extremeFixed(t, args, nulls, n, &mask, greatest, floatLess[float64]), nil
		case physStr:
			strs := make([]textArg, len(args))
			for j, a := range args {
				strs[j] = textArgOf(a)
			}
			offsets := make([]int32, n+1)
			var data []byte
			for i := 0; i < n; i++ {
				data = presize(data, i, n)
				var best []byte
				found := false
				for j := range strs {
					if nulls[j].isNull(i) {
						continue
					}
					v := strs[j].at(i)
					if c := bytes.Compare(v, best); !found || greatest && c > 0 || !greatest && c < 0 {
						best, found = v, true
					}
				}
				if !found {
					mask.setNull(i)
				}
				data = append(data, best...)
				offsets[i+1] = int32(len(data))
			}
			return textResult(t, offsets, data, mask.bits), nil
		case physBool:
			bits := vec.Bitmap(n)
			for i := 0; i < n; i++ {
				found, best := false, false
				for j := range args {
					if nulls[j].isNull(i) {
						continue
					}
					// true > false: greatest is an OR, least an AND.
					v := boolAt(args[j], i)
					if !found || v == greatest {
						best = v
					}
					found = true
				}
				if !found {
					mask.setNull(i)
				}
				setBit(bits, i, best)
			}
			return boolResult(n, bits, mask.bits), nil
		case physInterval:
			out := make([]arrow.MonthDayNanoInterval, n)
			for i := 0; i < n; i++ {
				var best types.IntervalValue
				found := false
				for j := range args {
					if nulls[j].isNull(i) {
						continue
					}
					v := intervalAt(args[j], i)
					x, y := intervalKey(v), intervalKey(best)
					if !found || greatest && x > y || !greatest && x < y {
						best, found = v, true
					}
				}
				if !found {
					mask.setNull(i)
					continue
				}
				out[i] = arrow.MonthDayNanoInterval{Months: best.Months, Days: best.Days, Nanoseconds: best.Micros * 1000}
			}
			return fixedResult(t, out, mask.bits), nil
		}
		panic("BUG: greatest/least over " + t.String())
	}
	return self
}

func intLess[T int16 | int32 | int64 | uint32](x, y T) bool { return x < y }

func floatLess[T float32 | float64](x, y T) bool { return floatCmp(float64(x), float64(y)) < 0 }

func extremeFixed[T int16 | int32 | int64 | uint32 | float32 | float64](t types.Type, args []functions.Value, nulls []argNulls,
	n int, mask *nullMask, greatest bool, less func(x, y T) bool) functions.Value {
	vals := make([]fixedArgOf[T], len(args))
	for j, a := range args {
		vals[j] = fixedOf[T](a)
	}
	out := make([]T, n)
	for i := 0; i < n; i++ {
		var best T
		found := false
		for j := range vals {
			if nulls[j].isNull(i) {
				continue
			}
			v := vals[j].at(i)
			if !found || greatest && less(best, v) || !greatest && less(v, best) {
				best, found = v, true
			}
		}
		if !found {
			mask.setNull(i)
		}
		out[i] = best
	}
	return fixedResult(t, out, mask.bits)
}
