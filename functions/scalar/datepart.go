package scalar

import (
	"math"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// date_part(text, timestamp | timestamptz | date | interval) → float8,
// which the binder also uses for EXTRACT. Field values follow
// Postgres's timestamp_part / interval_part in their float8 form; a date
// is its midnight timestamp, as Postgres's date_part(text, date) is.
// Infinite timestamps give ±Infinity for the unbounded fields (year,
// decade, century, millennium, julian, isoyear, epoch) and NULL for the
// others.

func registerDatePart(r *functions.Registry) {
	f8 := types.Float64Type
	for _, t := range []types.Type{types.TimestampType, types.TimestampTZType, types.DateType, types.IntervalType} {
		t := t
		r.AddScalar(&functions.Scalar{
			Name: "date_part", Args: []types.Type{types.TextType, t}, Ret: f8, Doc: "a field of a date/time value",
			Kernel: strict(f8, datePartKernel(t, unitNone)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				if consts[0] == nil || anyNullConst(consts) {
					return strict(f8, datePartKernel(t, unitNone)), nil
				}
				u, err := partUnit(consts[0].S, t)
				if err != nil {
					return nil, err
				}
				return strict(f8, datePartKernel(t, u)), nil
			},
		})
	}
}

// partUnit resolves and checks a date_part field for type t.
func partUnit(name string, t types.Type) (dtUnit, error) {
	u, low := lookupUnit(name, false)
	errType := t
	if t.Kind == types.Date {
		errType = types.TimestampType
	}
	if u == unitNone {
		return 0, unitNotRecognized(low, errType)
	}
	switch t.Kind {
	case types.Interval:
		if u > unitMillennium && u != unitEpoch || u == unitWeek {
			return 0, unitNotSupported(low, errType)
		}
	case types.TimestampTZ:
	default:
		if u >= unitTimezone && u <= unitTimezoneMinute {
			return 0, unitNotSupported(low, errType)
		}
	}
	return u, nil
}

// isoWeek returns the ISO 8601 year and week of a day.
func isoWeek(days int64) (int64, int64) {
	thu := days - floorMod(days+3, 7) + 3 // the Thursday of its week
	y, _, _ := civilFromDays(thu)
	return y, (thu-daysFromCivil(y, 1, 1))/7 + 1
}

// timestampPart returns field u of a timestamp; ok is false for NULL.
func timestampPart(us int64, u dtUnit) (float64, bool) {
	if isInfinite(us) {
		switch u {
		case unitYear, unitDecade, unitCentury, unitMillennium, unitJulian, unitIsoyear, unitEpoch:
			if us > 0 {
				return math.Inf(1), true
			}
			return math.Inf(-1), true
		}
		return 0, false
	}
	tod := us % types.MicrosPerDay
	if tod < 0 {
		tod += types.MicrosPerDay
	}
	sec := tod / types.MicrosPerSecond % 60
	fsec := tod % types.MicrosPerSecond
	// The time-of-day fields need no calendar.
	switch u {
	case unitEpoch:
		return float64(us) / 1e6, true
	case unitMicrosecond:
		return float64(sec*1000000 + fsec), true
	case unitMillisecond:
		return float64(sec)*1000.0 + float64(fsec)/1000.0, true
	case unitSecond:
		return float64(sec) + float64(fsec)/1000000.0, true
	case unitMinute:
		return float64(tod / types.MicrosPerMinute % 60), true
	case unitHour:
		return float64(tod / types.MicrosPerHour), true
	}
	days := (us - tod) / types.MicrosPerDay
	hour := tod / types.MicrosPerHour
	minute := tod / types.MicrosPerMinute % 60
	y, m, d := civilFromDays(days)
	var r float64
	switch u {
	case unitDay:
		r = float64(d)
	case unitMonth:
		r = float64(m)
	case unitQuarter:
		r = float64((m-1)/3 + 1)
	case unitWeek:
		_, w := isoWeek(days)
		r = float64(w)
	case unitYear:
		if y > 0 {
			r = float64(y)
		} else {
			r = float64(y - 1) // there is no year 0
		}
	case unitDecade:
		if y >= 0 {
			r = float64(y / 10)
		} else {
			r = float64(-((8 - (y - 1)) / 10))
		}
	case unitCentury:
		if y > 0 {
			r = float64((y + 99) / 100)
		} else {
			r = float64(-((99 - (y - 1)) / 100))
		}
	case unitMillennium:
		if y > 0 {
			r = float64((y + 999) / 1000)
		} else {
			r = float64(-((999 - (y - 1)) / 1000))
		}
	case unitJulian:
		r = float64(days+2440588) + float64((hour*60+minute)*60+sec)/86400 + float64(fsec)/1e6/86400
	case unitIsoyear:
		iy, _ := isoWeek(days)
		if iy <= 0 {
			iy--
		}
		r = float64(iy)
	case unitDow:
		r = float64(floorMod(days+4, 7))
	case unitIsodow:
		dow := floorMod(days+4, 7)
		if dow == 0 {
			dow = 7
		}
		r = float64(dow)
	case unitDoy:
		r = float64(days - daysFromCivil(y, 1, 1) + 1)
	}
	return r, true
}

// intervalPart returns field u of an interval.
func intervalPart(iv types.IntervalValue, u dtUnit) float64 {
	if u == unitEpoch {
		r := float64(iv.Micros) / 1000000.0
		r += 365.25 * 86400 * float64(iv.Months/12)
		r += 30.0 * 86400 * float64(iv.Months%12)
		return r + 86400.0*float64(iv.Days)
	}
	year, mon := int64(iv.Months)/12, int64(iv.Months)%12
	t := iv.Micros
	hour := t / types.MicrosPerHour
	t -= hour * types.MicrosPerHour
	minute := t / types.MicrosPerMinute
	t -= minute * types.MicrosPerMinute
	sec := t / types.MicrosPerSecond
	fsec := t - sec*types.MicrosPerSecond
	switch u {
	case unitMicrosecond:
		return float64(sec*1000000 + fsec)
	case unitMillisecond:
		return float64(sec)*1000.0 + float64(fsec)/1000.0
	case unitSecond:
		return float64(sec) + float64(fsec)/1000000.0
	case unitMinute:
		return float64(minute)
	case unitHour:
		return float64(hour)
	case unitDay:
		return float64(iv.Days)
	case unitMonth:
		return float64(mon)
	case unitQuarter:
		return float64(mon/3 + 1)
	case unitYear:
		return float64(year)
	case unitDecade:
		return float64(year / 10)
	case unitCentury:
		return float64(year / 100)
	case unitMillennium:
		return float64(year / 1000)
	}
	return 0
}

// datePartKernel evaluates date_part with a prepared unit or a unit
// argument (resolved once per distinct value).
func datePartKernel(t types.Type, prepared dtUnit) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		units := textArgOf(args[0])
		mask := newNullMask(n, args)
		out := make([]float64, n)
		u := prepared
		var lastName []byte
		var days32 []int32
		var c32 int32
		ts := fixedArgOf[int64]{}
		switch t.Kind {
		case types.Date:
			days32, c32 = fixedArg[int32](args[1])
		case types.Interval:
		default:
			ts = fixedOf[int64](args[1])
		}
		for i := 0; i < n; i++ {
			if !mask.valid(i) {
				continue
			}
			if prepared == unitNone {
				if name := units.at(i); u == unitNone || string(name) != string(lastName) {
					var err error
					if u, err = partUnit(string(name), t); err != nil {
						return functions.Value{}, err
					}
					lastName = append(lastName[:0], name...)
				}
			}
			switch t.Kind {
			case types.Interval:
				out[i] = intervalPart(intervalAt(args[1], i), u)
				continue
			case types.Date:
				d := c32
				if days32 != nil {
					d = days32[i]
				}
				us := int64(d) * types.MicrosPerDay
				switch d {
				case math.MaxInt32:
					us = math.MaxInt64
				case math.MinInt32:
					us = math.MinInt64
				}
				r, ok := timestampPart(us, u)
				if !ok {
					mask.setNull(i)
				}
				out[i] = r
			default:
				if u >= unitTimezone && u <= unitTimezoneMinute {
					out[i] = 0 // the session time zone is UTC
					continue
				}
				r, ok := timestampPart(ts.at(i), u)
				if !ok {
					mask.setNull(i)
				}
				out[i] = r
			}
		}
		return functions.ArrayValue(vec.NewFixed(types.Float64Type.Arrow(), out, mask.bits, -1)), nil
	}
}
