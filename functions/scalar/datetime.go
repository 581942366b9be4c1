package scalar

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Date and interval arithmetic, date_bin, age, to_timestamp(float8) and
// the current-time functions. The session time zone is UTC, so
// timestamp and timestamptz share their arithmetic.

func registerDateTime(r *functions.Registry) {
	date, i32, iv, f8 := types.DateType, types.Int32Type, types.IntervalType, types.Float64Type
	add := func(name string, args []types.Type, ret types.Type, doc string, k functions.Kernel) {
		r.AddScalar(&functions.Scalar{Name: name, Args: args, Ret: ret, Doc: doc, Kernel: strict(ret, k)})
	}
	add("+", []types.Type{date, i32}, date, "date plus days", dateAddDays(0, 1, 1))
	add("+", []types.Type{i32, date}, date, "days plus date", dateAddDays(1, 0, 1))
	add("-", []types.Type{date, i32}, date, "date minus days", dateAddDays(0, 1, -1))
	add("-", []types.Type{date, date}, i32, "days between dates", dateDiffKernel)
	ts := types.TimestampType
	add("+", []types.Type{date, iv}, ts, "date plus interval", dateIntervalKernel(0, 1, 1))
	add("+", []types.Type{iv, date}, ts, "interval plus date", dateIntervalKernel(1, 0, 1))
	add("-", []types.Type{date, iv}, ts, "date minus interval", dateIntervalKernel(0, 1, -1))
	add("*", []types.Type{iv, f8}, iv, "interval times a number", intervalScaleKernel(0, 1, false))
	add("*", []types.Type{f8, iv}, iv, "number times an interval", intervalScaleKernel(1, 0, false))
	add("/", []types.Type{iv, f8}, iv, "interval divided by a number", intervalScaleKernel(0, 1, true))
	for _, t := range []types.Type{types.TimestampType, types.TimestampTZType} {
		add("date_bin", []types.Type{iv, t, t}, t, "bin a timestamp into an interval aligned with an origin", dateBinKernel(t))
		add("age", []types.Type{t, t}, iv, "symbolic difference of two timestamps", ageKernel)
		r.AddScalar(&functions.Scalar{
			Name: "age", Args: []types.Type{t}, Ret: iv, Vol: functions.Stable,
			Doc:    "symbolic difference between midnight of the current date and a timestamp",
			Kernel: strict(iv, ageKernel),
		})
	}
	add("to_timestamp", []types.Type{f8}, types.TimestampTZType, "Unix epoch seconds to timestamptz", toTimestampFloatKernel)
	now := func(name string, t types.Type, vol functions.Volatility, f func(ctx *functions.Context) int64) {
		r.AddScalar(&functions.Scalar{
			Name: name, Ret: t, Vol: vol, Doc: "current date/time",
			Kernel: func(ctx *functions.Context, _ []functions.Value, _ int) (functions.Value, error) {
				return functions.ScalarValue(types.IntDatum(t, f(ctx))), nil
			},
		})
	}
	stmt := func(ctx *functions.Context) int64 { return ctx.Now }
	now("current_timestamp", types.TimestampTZType, functions.Stable, stmt)
	now("transaction_timestamp", types.TimestampTZType, functions.Stable, stmt)
	now("statement_timestamp", types.TimestampTZType, functions.Stable, stmt)
	now("localtimestamp", types.TimestampType, functions.Stable, stmt)
	now("current_date", types.DateType, functions.Stable, func(ctx *functions.Context) int64 {
		return floorDiv(ctx.Now, types.MicrosPerDay)
	})
	// clock_timestamp is the wall clock by definition; the kernel
	// Context has no clock to inject.
	now("clock_timestamp", types.TimestampTZType, functions.Volatile, func(*functions.Context) int64 {
		return time.Now().UnixMicro()
	})
}

// Postgres's date range in days since 1970-01-01: 4714-11-24 BC to
// 5874897-12-31.
const (
	minDate = -2440588
	maxDate = 2147483494 - 2440588
)

func dateOutOfRange() error { return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range") }

func tsOutOfRange() error { return sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range") }

func intervalOutOfRange() error {
	return sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
}

func isInfiniteDate(d int64) bool { return d == math.MaxInt32 || d == math.MinInt32 }

// dateAddDays is date ± int; di and ni are the argument positions of
// the date and the day count.
func dateAddDays(di, ni int, sign int64) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		dates, days := intOf(args[di], types.DateType), intOf(args[ni], types.Int32Type)
		validity := validityOf(n, args)
		out := make([]int32, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			d := dates.at(i)
			if isInfiniteDate(d) {
				out[i] = int32(d)
				continue
			}
			r := d + sign*days.at(i)
			if r < minDate || r > maxDate {
				return functions.Value{}, dateOutOfRange()
			}
			out[i] = int32(r)
		}
		return fixedResult(types.DateType, out, validity), nil
	}
}

func dateDiffKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	a, b := intOf(args[0], types.DateType), intOf(args[1], types.DateType)
	validity := validityOf(n, args)
	out := make([]int32, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		x, y := a.at(i), b.at(i)
		if isInfiniteDate(x) || isInfiniteDate(y) {
			return functions.Value{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		d := x - y
		if d < math.MinInt32 || d > math.MaxInt32 {
			return functions.Value{}, outOfRange(types.Int32Type)
		}
		out[i] = int32(d)
	}
	return fixedResult(types.Int32Type, out, validity), nil
}

// dateToMicros converts a date to its midnight timestamp.
func dateToMicros(d int64) int64 {
	switch d {
	case math.MaxInt32:
		return math.MaxInt64
	case math.MinInt32:
		return math.MinInt64
	}
	return d * types.MicrosPerDay
}

// dateIntervalKernel is date ± interval → timestamp.
func dateIntervalKernel(di, ii int, sign int64) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		dates := intOf(args[di], types.DateType)
		validity := validityOf(n, args)
		out := make([]int64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			us := dateToMicros(dates.at(i))
			if !isInfinite(us) {
				us = AddMonthsMicros(us, intervalAt(args[ii], i), sign)
			}
			out[i] = us
		}
		return fixedResult(types.TimestampType, out, validity), nil
	}
}

// tsRound is Postgres's TSROUND: round to microsecond precision.
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

func fitsInt32(f float64) bool {
	return !math.IsNaN(f) && f >= math.MinInt32 && f < -float64(math.MinInt32)
}

// scaleInterval multiplies (or divides) an interval by a float with
// Postgres's interval_mul / interval_div: whole months and days scale
// in place and their fractions cascade down (30-day months, 24-hour
// days), never up.
func scaleInterval(iv types.IntervalValue, factor float64, div bool) (types.IntervalValue, error) {
	if div && factor == 0 {
		return iv, divByZero()
	}
	scale := func(x float64) float64 {
		if div {
			return x / factor
		}
		return x * factor
	}
	var r types.IntervalValue
	mf := scale(float64(iv.Months))
	if !fitsInt32(mf) {
		return r, intervalOutOfRange()
	}
	r.Months = int32(mf)
	df := scale(float64(iv.Days))
	if !fitsInt32(df) {
		return r, intervalOutOfRange()
	}
	r.Days = int32(df)
	monthRemDays := tsRound((scale(float64(iv.Months)) - float64(r.Months)) * 30)
	secRem := tsRound((scale(float64(iv.Days)) - float64(r.Days) + monthRemDays - float64(int32(monthRemDays))) * 86400)
	days := int64(r.Days)
	if math.Abs(secRem) >= 86400 {
		carry := int64(secRem / 86400)
		days += carry
		secRem -= float64(carry) * 86400
	}
	days += int64(int32(monthRemDays))
	if days < math.MinInt32 || days > math.MaxInt32 {
		return r, intervalOutOfRange()
	}
	r.Days = int32(days)
	t := math.RoundToEven(scale(float64(iv.Micros)) + secRem*1e6)
	if math.IsNaN(t) || t < -9.2233720368547758e18 || t >= 9.2233720368547758e18 {
		return r, intervalOutOfRange()
	}
	r.Micros = int64(t)
	return r, nil
}

func intervalScaleKernel(ii, fi int, div bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		factors := fixedOf[float64](args[fi])
		validity := validityOf(n, args)
		out := make([]arrow.MonthDayNanoInterval, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			r, err := scaleInterval(intervalAt(args[ii], i), factors.at(i), div)
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = arrow.MonthDayNanoInterval{Months: r.Months, Days: r.Days, Nanoseconds: r.Micros * 1000}
		}
		return fixedResult(types.IntervalType, out, validity), nil
	}
}

// addOverflows reports whether a+b overflows int64.
func addOverflows(a, b int64) bool {
	s := a + b
	return (s > a) != (b > 0)
}

// dateBin is Postgres's date_bin: the start of the stride-long bin,
// aligned with origin, that holds ts.
func dateBin(stride types.IntervalValue, ts, origin int64) (int64, error) {
	if isInfinite(ts) {
		return ts, nil
	}
	if isInfinite(origin) {
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "origin out of range")
	}
	if stride.Months != 0 {
		return 0, sqlerr.New(sqlerr.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	days := int64(stride.Days) * types.MicrosPerDay
	if addOverflows(days, stride.Micros) {
		return 0, intervalOutOfRange()
	}
	step := days + stride.Micros
	if step <= 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameterValue, "stride must be greater than zero")
	}
	if addOverflows(ts, -origin) {
		return 0, intervalOutOfRange()
	}
	diff := ts - origin
	mod := diff % step
	r := origin + (diff - mod)
	if mod < 0 {
		if addOverflows(r, -step) {
			return 0, tsOutOfRange()
		}
		r -= step
	}
	return r, nil
}

func dateBinKernel(t types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		ts, origin := fixedOf[int64](args[1]), fixedOf[int64](args[2])
		validity := validityOf(n, args)
		out := make([]int64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			r, err := dateBin(intervalAt(args[0], i), ts.at(i), origin.at(i))
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = r
		}
		return fixedResult(t, out, validity), nil
	}
}

// ageOf is Postgres's timestamp_age: the field-wise difference a - b
// with borrows, so that age('2024-03-31', '2024-02-29') is 1 mon 2 days.
func ageOf(a, b int64) (types.IntervalValue, error) {
	if isInfinite(a) || isInfinite(b) {
		return types.IntervalValue{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	type fields struct{ year, mon, mday, hour, min, sec, fsec int64 }
	split := func(us int64) fields {
		days := floorDiv(us, types.MicrosPerDay)
		tod := us - days*types.MicrosPerDay
		y, m, d := civilFromDays(days)
		return fields{y, m, d, tod / types.MicrosPerHour, tod / types.MicrosPerMinute % 60,
			tod / types.MicrosPerSecond % 60, tod % types.MicrosPerSecond}
	}
	t1, t2 := split(a), split(b)
	f := fields{t1.year - t2.year, t1.mon - t2.mon, t1.mday - t2.mday, t1.hour - t2.hour,
		t1.min - t2.min, t1.sec - t2.sec, t1.fsec - t2.fsec}
	neg := a < b
	flip := func() {
		f = fields{-f.year, -f.mon, -f.mday, -f.hour, -f.min, -f.sec, -f.fsec}
	}
	if neg {
		flip()
	}
	for f.fsec < 0 {
		f.fsec += types.MicrosPerSecond
		f.sec--
	}
	for f.sec < 0 {
		f.sec += 60
		f.min--
	}
	for f.min < 0 {
		f.min += 60
		f.hour--
	}
	for f.hour < 0 {
		f.hour += 24
		f.mday--
	}
	for f.mday < 0 {
		if neg {
			f.mday += daysInMonth(t1.year, t1.mon)
		} else {
			f.mday += daysInMonth(t2.year, t2.mon)
		}
		f.mon--
	}
	for f.mon < 0 {
		f.mon += 12
		f.year--
	}
	if neg {
		flip()
	}
	months := f.year*12 + f.mon
	if months < math.MinInt32 || months > math.MaxInt32 {
		return types.IntervalValue{}, intervalOutOfRange()
	}
	return types.IntervalValue{
		Months: int32(months), Days: int32(f.mday),
		Micros: ((f.hour*60+f.min)*60+f.sec)*types.MicrosPerSecond + f.fsec,
	}, nil
}

// ageKernel is age(a, b), or age(b) measured from midnight of the
// current date.
func ageKernel(ctx *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	var a, b fixedArgOf[int64]
	if len(args) == 1 {
		a = fixedArgOf[int64]{c: floorDiv(ctx.Now, types.MicrosPerDay) * types.MicrosPerDay}
		b = fixedOf[int64](args[0])
	} else {
		a, b = fixedOf[int64](args[0]), fixedOf[int64](args[1])
	}
	validity := validityOf(n, args)
	out := make([]arrow.MonthDayNanoInterval, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		r, err := ageOf(a.at(i), b.at(i))
		if err != nil {
			return functions.Value{}, err
		}
		out[i] = arrow.MonthDayNanoInterval{Months: r.Months, Days: r.Days, Nanoseconds: r.Micros * 1000}
	}
	return fixedResult(types.IntervalType, out, validity), nil
}

// toTimestampSeconds is to_timestamp(float8), rounding as Postgres does
// (relative to its 2000-01-01 epoch).
func toTimestampSeconds(s float64) (int64, error) {
	switch {
	case math.IsNaN(s):
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp cannot be NaN")
	case math.IsInf(s, 1):
		return math.MaxInt64, nil
	case math.IsInf(s, -1):
		return math.MinInt64, nil
	}
	const pgEpoch = 946684800 // 2000-01-01 in Unix seconds
	if s < 86400*float64(minDate) || s >= 86400*float64(109203528-2440588) {
		return 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "timestamp out of range: \"%g\"", s)
	}
	r := math.RoundToEven((s - pgEpoch) * 1e6)
	return int64(r) + pgEpoch*types.MicrosPerSecond, nil
}

func toTimestampFloatKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	secs := fixedOf[float64](args[0])
	validity := validityOf(n, args)
	out := make([]int64, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		r, err := toTimestampSeconds(secs.at(i))
		if err != nil {
			return functions.Value{}, err
		}
		out[i] = r
	}
	return fixedResult(types.TimestampTZType, out, validity), nil
}
