package scalar

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

func registerTemporal(r *functions.Registry) {
	for _, ts := range []types.Type{types.TimestampType, types.TimestampTZType} {
		ts := ts
		r.AddScalar(&functions.Scalar{
			Name: "+", Args: []types.Type{ts, types.IntervalType}, Ret: ts, Doc: "timestamp plus interval",
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				return AddInterval(ts, args[0], args[1], n, 1)
			},
		})
		r.AddScalar(&functions.Scalar{
			Name: "+", Args: []types.Type{types.IntervalType, ts}, Ret: ts, Doc: "interval plus timestamp",
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				return AddInterval(ts, args[1], args[0], n, 1)
			},
		})
		r.AddScalar(&functions.Scalar{
			Name: "-", Args: []types.Type{ts, types.IntervalType}, Ret: ts, Doc: "timestamp minus interval",
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				return AddInterval(ts, args[0], args[1], n, -1)
			},
		})
		r.AddScalar(&functions.Scalar{
			Name: "-", Args: []types.Type{ts, ts}, Ret: types.IntervalType, Doc: "timestamp difference",
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				return SubTimestamps(args[0], args[1], n), nil
			},
		})
	}
	for _, op := range []ArithOp{Add, Sub} {
		op := op
		r.AddScalar(&functions.Scalar{
			Name: ArithOpNames[op], Args: []types.Type{types.IntervalType, types.IntervalType}, Ret: types.IntervalType,
			Doc: "interval arithmetic",
			Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
				sign := int64(1)
				if op == Sub {
					sign = -1
				}
				return mapInterval2(args[0], args[1], n, func(x, y types.IntervalValue) types.IntervalValue {
					return types.IntervalValue{
						Months: x.Months + int32(sign)*y.Months,
						Days:   x.Days + int32(sign)*y.Days,
						Micros: x.Micros + sign*y.Micros,
					}
				}), nil
			},
		})
	}
	r.AddScalar(&functions.Scalar{
		Name: "neg", Args: []types.Type{types.IntervalType}, Ret: types.IntervalType, Doc: "unary minus",
		Kernel: func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return mapInterval2(args[0], args[0], n, func(x, _ types.IntervalValue) types.IntervalValue {
				return types.IntervalValue{Months: -x.Months, Days: -x.Days, Micros: -x.Micros}
			}), nil
		},
	})
	r.AddScalar(&functions.Scalar{
		Name: "now", Ret: types.TimestampTZType, Vol: functions.Stable, Doc: "current transaction time",
		Kernel: func(ctx *functions.Context, _ []functions.Value, _ int) (functions.Value, error) {
			return functions.ScalarValue(types.IntDatum(types.TimestampTZType, ctx.Now)), nil
		},
	})
}

// AddMonthsMicros adds an interval (scaled by sign) to a timestamp in
// microseconds. Days are 24 hours (the session time zone is UTC);
// months follow the calendar, clamping to the month's last day as
// Postgres does (Jan 31 + 1 month = Feb 28/29).
func AddMonthsMicros(us int64, iv types.IntervalValue, sign int64) int64 {
	if iv.Months != 0 {
		secs := us / types.MicrosPerSecond
		frac := us % types.MicrosPerSecond
		if frac < 0 {
			frac += types.MicrosPerSecond
			secs--
		}
		t := time.Unix(secs, 0).UTC()
		y, m, d := t.Date()
		total := int(m) - 1 + int(sign)*int(iv.Months)
		ny := y + total/12
		nm := total % 12
		if nm < 0 {
			nm += 12
			ny--
		}
		last := time.Date(ny, time.Month(nm+2), 0, 0, 0, 0, 0, time.UTC).Day()
		if d > last {
			d = last
		}
		hh, mm, ss := t.Clock()
		us = time.Date(ny, time.Month(nm+1), d, hh, mm, ss, 0, time.UTC).Unix()*types.MicrosPerSecond + frac
	}
	return us + sign*(int64(iv.Days)*types.MicrosPerDay+iv.Micros)
}

// AddInterval evaluates timestamp + sign*interval.
func AddInterval(t types.Type, ts, iv functions.Value, n int, sign int64) (functions.Value, error) {
	if anyNullScalar([]functions.Value{ts, iv}) {
		return nullResult(t), nil
	}
	if ts.IsScalar() && iv.IsScalar() {
		return functions.ScalarValue(types.IntDatum(t, AddMonthsMicros(ts.Scalar.I, iv.Scalar.Iv, sign))), nil
	}
	validity := validityOf(n, []functions.Value{ts, iv})
	tv, tsc := fixedArg[int64](ts)
	out := make([]int64, n)
	if iv.IsScalar() {
		if fixed, ok := iv.Scalar.Iv.Fixed(); ok {
			// A fixed interval is one add per row.
			d := sign * fixed
			for i := 0; i < n; i++ {
				out[i] = tv[i] + d
			}
			return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
		}
	}
	for i := 0; i < n; i++ {
		x := tsc
		if tv != nil {
			x = tv[i]
		}
		out[i] = AddMonthsMicros(x, intervalAt(iv, i), sign)
	}
	return functions.ArrayValue(vec.NewFixed(t.Arrow(), out, validity, -1)), nil
}

// SubTimestamps evaluates a - b as an interval of days and microseconds,
// as Postgres does (no months; whole days split off).
func SubTimestamps(a, b functions.Value, n int) functions.Value {
	diff := func(x, y int64) types.IntervalValue {
		d := x - y
		return types.IntervalValue{Days: int32(d / types.MicrosPerDay), Micros: d % types.MicrosPerDay}
	}
	if anyNullScalar([]functions.Value{a, b}) {
		return nullResult(types.IntervalType)
	}
	if a.IsScalar() && b.IsScalar() {
		return functions.ScalarValue(types.Datum{Type: types.IntervalType, Iv: diff(a.Scalar.I, b.Scalar.I)})
	}
	validity := validityOf(n, []functions.Value{a, b})
	av, as := fixedArg[int64](a)
	bv, bs := fixedArg[int64](b)
	out := make([]arrow.MonthDayNanoInterval, n)
	for i := 0; i < n; i++ {
		x, y := as, bs
		if av != nil {
			x = av[i]
		}
		if bv != nil {
			y = bv[i]
		}
		iv := diff(x, y)
		out[i] = arrow.MonthDayNanoInterval{Days: iv.Days, Nanoseconds: iv.Micros * 1000}
	}
	return functions.ArrayValue(vec.NewFixed(arrow.FixedWidthTypes.MonthDayNanoInterval, out, validity, -1))
}

func mapInterval2(a, b functions.Value, n int, f func(x, y types.IntervalValue) types.IntervalValue) functions.Value {
	if anyNullScalar([]functions.Value{a, b}) {
		return nullResult(types.IntervalType)
	}
	if a.IsScalar() && b.IsScalar() {
		return functions.ScalarValue(types.Datum{Type: types.IntervalType, Iv: f(a.Scalar.Iv, b.Scalar.Iv)})
	}
	validity := validityOf(n, []functions.Value{a, b})
	out := make([]arrow.MonthDayNanoInterval, n)
	for i := 0; i < n; i++ {
		r := f(intervalAt(a, i), intervalAt(b, i))
		out[i] = arrow.MonthDayNanoInterval{Months: r.Months, Days: r.Days, Nanoseconds: r.Micros * 1000}
	}
	return functions.ArrayValue(vec.NewFixed(arrow.FixedWidthTypes.MonthDayNanoInterval, out, validity, -1))
}
