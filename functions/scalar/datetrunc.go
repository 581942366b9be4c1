package scalar

import (
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// date_trunc over timestamp, timestamptz (session time zone UTC) and
// interval, plus the calendar arithmetic and unit names that date_part,
// to_char and the other date/time functions share.
//
// Timestamps are microseconds since 1970-01-01 in the proleptic
// Gregorian calendar with astronomical years (year 0 is 1 BC), as
// Postgres's tm_year is. The int64 extremes are -infinity and infinity
// and pass through date_trunc unchanged.

// dtUnit is a date/time field name, as Postgres's DecodeUnits and
// DecodeSpecial resolve them.
type dtUnit uint8

const (
	unitNone dtUnit = iota
	unitMicrosecond
	unitMillisecond
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitQuarter
	unitYear
	unitDecade
	unitCentury
	unitMillennium
	unitTimezone
	unitTimezoneHour
	unitTimezoneMinute
	// The following are not interval units (Postgres's datetktbl).
	unitEpoch
	unitDow
	unitIsodow
	unitDoy
	unitIsoyear
	unitJulian
)

// dtUnitNames is Postgres's deltatktbl (interval units) plus the field
// names of datetktbl that date_part accepts. Lookups use the first 10
// characters of the lower-cased name, as Postgres's TOKMAXLEN does.
var dtUnitNames = map[string]dtUnit{
	"c": unitCentury, "cent": unitCentury, "centuries": unitCentury, "century": unitCentury,
	"d": unitDay, "day": unitDay, "days": unitDay,
	"dec": unitDecade, "decade": unitDecade, "decades": unitDecade, "decs": unitDecade,
	"h": unitHour, "hour": unitHour, "hours": unitHour, "hr": unitHour, "hrs": unitHour,
	"m": unitMinute, "min": unitMinute, "mins": unitMinute, "minute": unitMinute, "minutes": unitMinute,
	"microsecon": unitMicrosecond, "us": unitMicrosecond, "usec": unitMicrosecond, "usecond": unitMicrosecond,
	"useconds": unitMicrosecond, "usecs": unitMicrosecond,
	"mil": unitMillennium, "millennia": unitMillennium, "millennium": unitMillennium, "mils": unitMillennium,
	"millisecon": unitMillisecond, "ms": unitMillisecond, "msec": unitMillisecond, "msecond": unitMillisecond,
	"mseconds": unitMillisecond, "msecs": unitMillisecond,
	"mon": unitMonth, "mons": unitMonth, "month": unitMonth, "months": unitMonth,
	"qtr": unitQuarter, "quarter": unitQuarter,
	"s": unitSecond, "sec": unitSecond, "second": unitSecond, "seconds": unitSecond, "secs": unitSecond,
	"timezone": unitTimezone, "timezone_h": unitTimezoneHour, "timezone_m": unitTimezoneMinute,
	"w": unitWeek, "week": unitWeek, "weeks": unitWeek,
	"y": unitYear, "year": unitYear, "years": unitYear, "yr": unitYear, "yrs": unitYear,
	"epoch": unitEpoch, "dow": unitDow, "isodow": unitIsodow, "doy": unitDoy, "isoyear": unitIsoyear,
	"j": unitJulian, "jd": unitJulian, "julian": unitJulian,
}

// lookupUnit resolves a unit name; the second result is the lower-cased
// name errors quote. deltaOnly restricts it to interval units
// (date_trunc uses only DecodeUnits).
func lookupUnit(name string, deltaOnly bool) (dtUnit, string) {
	low := strings.ToLower(name)
	key := low
	if len(key) > 10 {
		key = key[:10]
	}
	u := dtUnitNames[key]
	if deltaOnly && u >= unitEpoch {
		u = unitNone
	}
	return u, low
}

func unitNotRecognized(low string, t types.Type) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameterValue, "unit %q not recognized for type %s", low, t)
}

func unitNotSupported(low string, t types.Type) *sqlerr.Error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "unit %q not supported for type %s", low, t)
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// floorMod is a - floorDiv(a, b)*b.
func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian
// date (H. Hinnant's algorithm).
func civilFromDays(days int64) (y, m, d int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysInMonth returns the length of month m of year y.
func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isInfinite reports whether a timestamp is ±infinity.
func isInfinite(us int64) bool { return us == math.MaxInt64 || us == math.MinInt64 }

// truncYear applies Postgres's millennium/century/decade rounding to an
// astronomical year.
func truncYear(y int64, u dtUnit) int64 {
	switch u {
	case unitMillennium:
		if y > 0 {
			return ((y+999)/1000)*1000 - 999
		}
		return -((999-(y-1))/1000)*1000 + 1
	case unitCentury:
		if y > 0 {
			return ((y+99)/100)*100 - 99
		}
		return -((99-(y-1))/100)*100 + 1
	case unitDecade:
		if y > 0 {
			return (y / 10) * 10
		}
		return -((8 - (y - 1)) / 10) * 10
	}
	return y
}

// truncTimestamp is date_trunc for a supported unit.
func truncTimestamp(us int64, u dtUnit) int64 {
	if isInfinite(us) {
		return us
	}
	switch u {
	case unitMicrosecond:
		return us
	case unitMillisecond:
		return floorDiv(us, 1000) * 1000
	case unitSecond:
		return floorDiv(us, types.MicrosPerSecond) * types.MicrosPerSecond
	case unitMinute:
		return floorDiv(us, types.MicrosPerMinute) * types.MicrosPerMinute
	case unitHour:
		return floorDiv(us, types.MicrosPerHour) * types.MicrosPerHour
	case unitDay:
		return floorDiv(us, types.MicrosPerDay) * types.MicrosPerDay
	}
	days := floorDiv(us, types.MicrosPerDay)
	if u == unitWeek {
		// 1970-01-01 was a Thursday; weeks start on Monday.
		return (days - floorMod(days+3, 7)) * types.MicrosPerDay
	}
	y, m, _ := civilFromDays(days)
	switch u {
	case unitMonth:
	case unitQuarter:
		m = 3*((m-1)/3) + 1
	default:
		y, m = truncYear(y, u), 1
	}
	return daysFromCivil(y, m, 1) * types.MicrosPerDay
}

// truncSupported reports whether date_trunc knows a timestamp unit.
func truncSupported(u dtUnit) bool { return u >= unitMicrosecond && u <= unitMillennium }

// truncInterval is date_trunc for an interval (Postgres's interval_trunc
// on the fields of interval2tm).
func truncInterval(iv types.IntervalValue, u dtUnit) types.IntervalValue {
	year, mon := int64(iv.Months)/12, int64(iv.Months)%12
	day := int64(iv.Days)
	t := iv.Micros
	hour := t / types.MicrosPerHour
	t -= hour * types.MicrosPerHour
	minute := t / types.MicrosPerMinute
	t -= minute * types.MicrosPerMinute
	sec := t / types.MicrosPerSecond
	fsec := t - sec*types.MicrosPerSecond
	switch u {
	case unitMillennium:
		year = (year / 1000) * 1000
		mon, day, hour, minute, sec, fsec = 0, 0, 0, 0, 0, 0
	case unitCentury:
		year = (year / 100) * 100
		mon, day, hour, minute, sec, fsec = 0, 0, 0, 0, 0, 0
	case unitDecade:
		year = (year / 10) * 10
		mon, day, hour, minute, sec, fsec = 0, 0, 0, 0, 0, 0
	case unitYear:
		mon, day, hour, minute, sec, fsec = 0, 0, 0, 0, 0, 0
	case unitQuarter:
		mon = 3 * (mon / 3)
		day, hour, minute, sec, fsec = 0, 0, 0, 0, 0
	case unitMonth:
		day, hour, minute, sec, fsec = 0, 0, 0, 0, 0
	case unitDay:
		hour, minute, sec, fsec = 0, 0, 0, 0
	case unitHour:
		minute, sec, fsec = 0, 0, 0
	case unitMinute:
		sec, fsec = 0, 0
	case unitSecond:
		fsec = 0
	case unitMillisecond:
		fsec = (fsec / 1000) * 1000
	}
	return types.IntervalValue{
		Months: int32(year*12 + mon),
		Days:   int32(day),
		Micros: ((hour*60+minute)*60+sec)*types.MicrosPerSecond + fsec,
	}
}

func registerDateTrunc(r *functions.Registry) {
	text := types.TextType
	for _, t := range []types.Type{types.TimestampType, types.TimestampTZType, types.IntervalType} {
		t := t
		r.AddScalar(&functions.Scalar{
			Name: "date_trunc", Args: []types.Type{text, t}, Ret: t, Doc: "truncate to a unit",
			Kernel: strict(t, dateTruncKernel(t, unitNone)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				if consts[0] == nil || anyNullConst(consts) {
					return strict(t, dateTruncKernel(t, unitNone)), nil
				}
				u, err := truncUnit(consts[0].S, t)
				if err != nil {
					return nil, err
				}
				return strict(t, dateTruncKernel(t, u)), nil
			},
		})
	}
}

// truncUnit resolves and checks a date_trunc unit for type t.
func truncUnit(name string, t types.Type) (dtUnit, error) {
	u, low := lookupUnit(name, true)
	switch {
	case u == unitNone:
		return 0, unitNotRecognized(low, t)
	case !truncSupported(u):
		return 0, unitNotSupported(low, t)
	case t.Kind == types.Interval && u == unitWeek:
		return 0, unitNotSupported(low, t).WithHint("Months usually have fractional weeks.")
	}
	return u, nil
}

// dateTruncKernel truncates with a prepared unit, or with the unit
// argument (resolved once if it is a scalar).
func dateTruncKernel(t types.Type, prepared dtUnit) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		u := prepared
		units := textArgOf(args[0])
		validity := validityOf(n, args)
		var lastName []byte
		unitAt := func(i int) (dtUnit, error) {
			if prepared != unitNone {
				return prepared, nil
			}
			name := units.at(i)
			if u == unitNone || string(name) != string(lastName) {
				var err error
				if u, err = truncUnit(string(name), t); err != nil {
					return 0, err
				}
				lastName = append(lastName[:0], name...)
			}
			return u, nil
		}
		if t.Kind == types.Interval {
			out := make([]arrow.MonthDayNanoInterval, n)
			for i := 0; i < n; i++ {
				if !valid(validity, i) {
					continue
				}
				u, err := unitAt(i)
				if err != nil {
					return functions.Value{}, err
				}
				iv := truncInterval(intervalAt(args[1], i), u)
				out[i] = arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000}
			}
			return fixedResult(t, out, validity), nil
		}
		ts := fixedOf[int64](args[1])
		out := make([]int64, n)
		if (units.isScalar || prepared != unitNone) && anyValid(validity, n) {
			u, err := unitAt(0)
			if err != nil {
				return functions.Value{}, err
			}
			if ts.vals != nil && truncFixed(ts.vals, out, u) {
				return fixedResult(t, out, validity), nil
			}
		}
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			u, err := unitAt(i)
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = truncTimestamp(ts.at(i), u)
		}
		return fixedResult(t, out, validity), nil
	}
}

// truncTo truncates a finite timestamp to a multiple of step. Called
// with a constant step it inlines to a multiply-shift, not a division.
func truncTo(v, step int64) int64 {
	if isInfinite(v) {
		return v
	}
	r := v % step
	if r < 0 {
		r += step
	}
	return v - r
}

// truncFixed truncates a column to a unit of fixed length (up to a
// day), one tight loop per unit; it reports false for other units.
func truncFixed(vals, out []int64, u dtUnit) bool {
	switch u {
	case unitMicrosecond:
		copy(out, vals)
	case unitMillisecond:
		for i, v := range vals {
			out[i] = truncTo(v, 1000)
		}
	case unitSecond:
		for i, v := range vals {
			out[i] = truncTo(v, types.MicrosPerSecond)
		}
	case unitMinute:
		for i, v := range vals {
			out[i] = truncTo(v, types.MicrosPerMinute)
		}
	case unitHour:
		for i, v := range vals {
			out[i] = truncTo(v, types.MicrosPerHour)
		}
	case unitDay:
		for i, v := range vals {
			out[i] = truncTo(v, types.MicrosPerDay)
		}
	default:
		return false
	}
	return true
}

// anyValid reports whether any of n rows is valid.
func anyValid(validity []byte, n int) bool {
	if validity == nil {
		return n > 0
	}
	for i := 0; i < n; i++ {
		if valid(validity, i) {
			return true
		}
	}
	return false
}
