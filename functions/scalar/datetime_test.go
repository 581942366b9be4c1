package scalar

import (
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestDateTruncTable(t *testing.T) {
	ts := func(s string) types.Datum { return tsD(t, s) }
	inf := types.IntDatum(types.TimestampType, math.MaxInt64)
	bad, unsup := sqlerr.InvalidParameterValue, sqlerr.FeatureNotSupported
	at := ts("2024-05-08 07:08:09.123456") // a Wednesday
	dt := func(unit string, x types.Datum) []types.Datum { return []types.Datum{textD(unit), x} }
	runTable(t, []tableCase{
		{name: "date_trunc", args: dt("microseconds", at), want: "2024-05-08 07:08:09.123456"},
		{name: "date_trunc", args: dt("milliseconds", at), want: "2024-05-08 07:08:09.123"},
		{name: "date_trunc", args: dt("second", at), want: "2024-05-08 07:08:09"},
		{name: "date_trunc", args: dt("minute", at), want: "2024-05-08 07:08:00"},
		{name: "date_trunc", args: dt("Hours", at), want: "2024-05-08 07:00:00"},
		{name: "date_trunc", args: dt("day", at), want: "2024-05-08 00:00:00"},
		{name: "date_trunc", args: dt("week", at), want: "2024-05-06 00:00:00"},
		{name: "date_trunc", args: dt("month", at), want: "2024-05-01 00:00:00"},
		{name: "date_trunc", args: dt("quarter", at), want: "2024-04-01 00:00:00"},
		{name: "date_trunc", args: dt("year", at), want: "2024-01-01 00:00:00"},
		{name: "date_trunc", args: dt("decade", at), want: "2020-01-01 00:00:00"},
		{name: "date_trunc", args: dt("century", at), want: "2001-01-01 00:00:00"},
		{name: "date_trunc", args: dt("millennium", at), want: "2001-01-01 00:00:00"},
		{name: "date_trunc", args: dt("century", ts("2000-12-31")), want: "1901-01-01 00:00:00"},
		{name: "date_trunc", args: dt("minute", ts("1969-12-31 23:59:30.5")), want: "1969-12-31 23:59:00"},
		{name: "date_trunc", args: dt("week", ts("1970-01-01")), want: "1969-12-29 00:00:00"},
		{name: "date_trunc", args: dt("day", inf), want: "infinity"},
		{name: "date_trunc", args: dt("hour", tstzD(t, "2024-05-08 07:08:09")), want: "2024-05-08 07:00:00+00"},
		{name: "date_trunc", args: dt("foo", at), code: bad},
		{name: "date_trunc", args: dt("epoch", at), code: bad},
		{name: "date_trunc", args: dt("timezone", at), code: unsup},
		{name: "date_trunc", args: dt("foo", nullD(types.TimestampType)), want: "NULL"},
		{name: "date_trunc", args: dt("hour", ivD(t, "1 day 02:30:00")), want: "1 day 02:00:00"},
		{name: "date_trunc", args: dt("year", ivD(t, "1 year 2 mons 3 days")), want: "1 year"},
		{name: "date_trunc", args: dt("quarter", ivD(t, "5 mons 3 days")), want: "3 mons"},
		{name: "date_trunc", args: dt("week", ivD(t, "5 days")), code: unsup},
	})
}

func TestDatePartTable(t *testing.T) {
	at := tsD(t, "2024-05-06 07:08:09.5") // a Monday
	dp := func(unit string, x types.Datum) []types.Datum { return []types.Datum{textD(unit), x} }
	bc := types.IntDatum(types.TimestampType, daysFromCivil(0, 3, 1)*types.MicrosPerDay)
	inf := types.IntDatum(types.TimestampType, math.MaxInt64)
	runTable(t, []tableCase{
		{name: "date_part", args: dp("year", at), want: "2024"},
		{name: "date_part", args: dp("month", at), want: "5"},
		{name: "date_part", args: dp("day", at), want: "6"},
		{name: "date_part", args: dp("hour", at), want: "7"},
		{name: "date_part", args: dp("minute", at), want: "8"},
		{name: "date_part", args: dp("second", at), want: "9.5"},
		{name: "date_part", args: dp("milliseconds", at), want: "9500"},
		{name: "date_part", args: dp("microseconds", at), want: "9500000"},
		{name: "date_part", args: dp("quarter", at), want: "2"},
		{name: "date_part", args: dp("week", at), want: "19"},
		{name: "date_part", args: dp("dow", at), want: "1"},
		{name: "date_part", args: dp("isodow", tsD(t, "2024-05-05")), want: "7"},
		{name: "date_part", args: dp("dow", tsD(t, "2024-05-05")), want: "0"},
		{name: "date_part", args: dp("doy", at), want: "127"},
		{name: "date_part", args: dp("epoch", at), want: "1714979289.5"},
		{name: "date_part", args: dp("decade", at), want: "202"},
		{name: "date_part", args: dp("century", at), want: "21"},
		{name: "date_part", args: dp("millennium", at), want: "3"},
		{name: "date_part", args: dp("isoyear", tsD(t, "2021-01-01")), want: "2020"},
		{name: "date_part", args: dp("week", tsD(t, "2021-01-01")), want: "53"},
		{name: "date_part", args: dp("julian", tsD(t, "1970-01-01 12:00:00")), want: "2440588.5"},
		{name: "date_part", args: dp("year", bc), want: "-1"},
		{name: "date_part", args: dp("century", bc), want: "-1"},
		{name: "date_part", args: dp("decade", bc), want: "0"},
		{name: "date_part", args: dp("year", inf), want: "Infinity"},
		{name: "date_part", args: dp("month", inf), want: "NULL"},
		{name: "date_part", args: dp("timezone", tstzD(t, "2024-01-01")), want: "0"},
		{name: "date_part", args: dp("timezone", at), code: sqlerr.FeatureNotSupported},
		{name: "date_part", args: dp("fortnight", at), code: sqlerr.InvalidParameterValue},
		{name: "date_part", args: dp("day", dateD(t, "2024-05-06")), want: "6"},
		{name: "date_part", args: dp("epoch", dateD(t, "1970-01-02")), want: "86400"},
		{name: "date_part", args: dp("hour", ivD(t, "1 day 26:30:00")), want: "26"},
		{name: "date_part", args: dp("minute", ivD(t, "-01:30:00")), want: "-30"},
		{name: "date_part", args: dp("epoch", ivD(t, "1 year")), want: "31557600"},
		{name: "date_part", args: dp("epoch", ivD(t, "1 mon 1 day 00:00:01.5")), want: "2678401.5"},
		{name: "date_part", args: dp("month", ivD(t, "14 mons")), want: "2"},
		{name: "date_part", args: dp("year", ivD(t, "14 mons")), want: "1"},
		{name: "date_part", args: dp("quarter", ivD(t, "14 mons")), want: "1"},
		{name: "date_part", args: dp("dow", ivD(t, "1 day")), code: sqlerr.FeatureNotSupported},
		{name: "date_part", args: dp("week", ivD(t, "1 day")), code: sqlerr.FeatureNotSupported},
	})
}

func TestDateTimeTable(t *testing.T) {
	ovf := sqlerr.DatetimeFieldOverflow
	runTable(t, []tableCase{
		{name: "to_timestamp", args: []types.Datum{f64D(0)}, want: "1970-01-01 00:00:00+00"},
		{name: "to_timestamp", args: []types.Datum{f64D(1714979289.5)}, want: "2024-05-06 07:08:09.5+00"},
		{name: "to_timestamp", args: []types.Datum{f64D(-1.25)}, want: "1969-12-31 23:59:58.75+00"},
		{name: "to_timestamp", args: []types.Datum{f64D(math.Inf(1))}, want: "infinity"},
		{name: "to_timestamp", args: []types.Datum{f64D(math.NaN())}, code: ovf},
		{name: "to_timestamp", args: []types.Datum{f64D(1e20)}, code: ovf},
		{name: "+", args: []types.Datum{dateD(t, "2024-02-28"), i32D(2)}, want: "2024-03-01"},
		{name: "+", args: []types.Datum{i32D(2), dateD(t, "2024-02-28")}, want: "2024-03-01"},
		{name: "-", args: []types.Datum{dateD(t, "2024-03-01"), i32D(1)}, want: "2024-02-29"},
		{name: "-", args: []types.Datum{dateD(t, "2024-03-01"), dateD(t, "2024-01-01")}, want: "60"},
		{name: "+", args: []types.Datum{dateD(t, "2024-01-01"), i32D(math.MaxInt32)}, code: ovf},
		{name: "+", args: []types.Datum{dateD(t, "2024-01-31"), ivD(t, "1 mon 1 hour")}, want: "2024-02-29 01:00:00"},
		{name: "-", args: []types.Datum{dateD(t, "2024-01-01"), ivD(t, "1 day")}, want: "2023-12-31 00:00:00"},
		{name: "*", args: []types.Datum{ivD(t, "1 mon"), f64D(1.5)}, want: "1 mon 15 days"},
		{name: "*", args: []types.Datum{f64D(0.5), ivD(t, "1 day")}, want: "12:00:00"},
		{name: "*", args: []types.Datum{ivD(t, "1 mon 1 day"), f64D(0.3)}, want: "9 days 07:12:00"},
		{name: "*", args: []types.Datum{ivD(t, "01:00:00"), f64D(2.5)}, want: "02:30:00"},
		{name: "*", args: []types.Datum{ivD(t, "1 mon"), f64D(math.NaN())}, code: ovf},
		{name: "/", args: []types.Datum{ivD(t, "1 mon"), f64D(2)}, want: "15 days"},
		{name: "/", args: []types.Datum{ivD(t, "1 day"), f64D(3)}, want: "08:00:00"},
		{name: "/", args: []types.Datum{ivD(t, "1 day"), f64D(0)}, code: sqlerr.DivisionByZero},
		{name: "date_bin", args: []types.Datum{ivD(t, "15 minutes"), tsD(t, "2020-02-11 15:44:17"), tsD(t, "2001-01-01")}, want: "2020-02-11 15:30:00"},
		{name: "date_bin", args: []types.Datum{ivD(t, "15 minutes"), tsD(t, "2020-02-11 15:44:17"), tsD(t, "2001-01-01 00:02:30")}, want: "2020-02-11 15:32:30"},
		{name: "date_bin", args: []types.Datum{ivD(t, "1 hour"), tsD(t, "2000-12-31 23:30:00"), tsD(t, "2001-01-01")}, want: "2000-12-31 23:00:00"},
		{name: "date_bin", args: []types.Datum{ivD(t, "1 hour"), tsD(t, "2000-12-31 23:00:00"), tsD(t, "2001-01-01")}, want: "2000-12-31 23:00:00"},
		{name: "date_bin", args: []types.Datum{ivD(t, "1 mon"), tsD(t, "2000-12-31"), tsD(t, "2001-01-01")}, code: sqlerr.FeatureNotSupported},
		{name: "date_bin", args: []types.Datum{ivD(t, "0 seconds"), tsD(t, "2000-12-31"), tsD(t, "2001-01-01")}, code: sqlerr.InvalidParameterValue},
		{name: "date_bin", args: []types.Datum{ivD(t, "1 day"), tstzD(t, "2024-05-06 07:00:00"), tstzD(t, "2000-01-01")}, want: "2024-05-06 00:00:00+00"},
		{name: "age", args: []types.Datum{tsD(t, "2001-04-10"), tsD(t, "1957-06-13")}, want: "43 years 9 mons 27 days"},
		{name: "age", args: []types.Datum{tsD(t, "2024-03-31"), tsD(t, "2024-02-29")}, want: "1 mon 2 days"},
		{name: "age", args: []types.Datum{tsD(t, "1957-06-13"), tsD(t, "2001-04-10")}, want: "-43 years -9 mons -27 days"},
		{name: "age", args: []types.Datum{tsD(t, "2024-01-01 10:00:00"), tsD(t, "2023-12-31 12:30:00")}, want: "21:30:00"},
		{name: "age", args: []types.Datum{tsD(t, "2024-05-01")}, want: "5 days"},
	})
	r := testRegistry()
	for name, want := range map[string]string{
		"current_timestamp": "2024-05-06 07:08:09+00", "localtimestamp": "2024-05-06 07:08:09",
		"current_date": "2024-05-06", "now": "2024-05-06 07:08:09+00",
	} {
		if got, err := evalCall(t, r, name); err != nil || got.String() != want {
			t.Errorf("%s() = %v, %v; want %s", name, got, err, want)
		}
	}
	s := overload(t, r, "clock_timestamp", nil)
	before := time.Now().UnixMicro()
	v, err := s.Kernel(&functions.Context{}, nil, 1)
	if err != nil || s.Vol != functions.Volatile || v.Scalar.I < before {
		t.Fatalf("clock_timestamp = %v, %v", v, err)
	}
}

// Reference date arithmetic, written against the time package.

func timeOf(us int64) time.Time { return time.UnixMicro(us).UTC() }

func microsOf(t time.Time) int64 { return t.UnixMicro() }

func refTrunc(us int64, unit string) int64 {
	if us == math.MaxInt64 || us == math.MinInt64 {
		return us
	}
	t := timeOf(us)
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	ns := t.Nanosecond()
	switch unit {
	case "microseconds":
		return us
	case "milliseconds":
		return microsOf(time.Date(y, m, d, h, mi, s, ns/1e6*1e6, time.UTC))
	case "second":
		return microsOf(time.Date(y, m, d, h, mi, s, 0, time.UTC))
	case "minute":
		return microsOf(time.Date(y, m, d, h, mi, 0, 0, time.UTC))
	case "hour":
		return microsOf(time.Date(y, m, d, h, 0, 0, 0, time.UTC))
	case "day":
		return microsOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	case "week":
		back := (int(t.Weekday()) + 6) % 7
		return microsOf(time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC))
	case "month":
		return microsOf(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
	case "quarter":
		return microsOf(time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC))
	case "year":
		return microsOf(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	return microsOf(time.Date(int(truncYear(int64(y), map[string]dtUnit{"decade": unitDecade, "century": unitCentury, "millennium": unitMillennium}[unit])), 1, 1, 0, 0, 0, 0, time.UTC))
}

func refPart(us int64, unit string) (float64, bool) {
	t := timeOf(us)
	y := t.Year()
	secs := float64(t.Second()) + float64(t.Nanosecond())/1e9
	iy, iw := t.ISOWeek()
	switch unit {
	case "year":
		if y <= 0 {
			return float64(y - 1), true
		}
		return float64(y), true
	case "month":
		return float64(t.Month()), true
	case "day":
		return float64(t.Day()), true
	case "hour":
		return float64(t.Hour()), true
	case "minute":
		return float64(t.Minute()), true
	case "second":
		return secs, true
	case "milliseconds":
		return float64(t.Second())*1000 + float64(t.Nanosecond()/1000)/1000, true
	case "microseconds":
		return float64(t.Second()*1000000 + t.Nanosecond()/1000), true
	case "quarter":
		return float64((int(t.Month())-1)/3 + 1), true
	case "week":
		return float64(iw), true
	case "isoyear":
		if iy <= 0 {
			iy--
		}
		return float64(iy), true
	case "dow":
		return float64(t.Weekday()), true
	case "isodow":
		return float64((int(t.Weekday())+6)%7 + 1), true
	case "doy":
		return float64(t.YearDay()), true
	case "epoch":
		return float64(us) / 1e6, true
	}
	return 0, false
}

func genTimestamp(t types.Type) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		switch rng.Intn(20) {
		case 0:
			return types.IntDatum(t, math.MaxInt64)
		case 1:
			return types.IntDatum(t, -rng.Int63n(1<<48))
		}
		// Years about -1500 to 3500.
		return types.IntDatum(t, rng.Int63n(2*1<<56)-1<<56-1<<55)
	}
}

func TestDateTimeAgainstReference(t *testing.T) {
	r := testRegistry()
	units := []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month",
		"quarter", "year", "decade", "century", "millennium"}
	unitGen := func(rng *rand.Rand) types.Datum { return textD(units[rng.Intn(len(units))]) }
	for _, tt := range []types.Type{types.TimestampType, types.TimestampTZType} {
		checkRef(t, r, refCase{name: "date_trunc", args: []types.Type{types.TextType, tt},
			gens:       []func(*rand.Rand) types.Datum{unitGen, genTimestamp(tt)},
			scalarOnly: []bool{true},
			ref: func(a []types.Datum) (types.Datum, error) {
				return types.IntDatum(tt, refTrunc(a[1].I, a[0].S)), nil
			}})
	}
	parts := []string{"year", "month", "day", "hour", "minute", "second", "milliseconds", "microseconds",
		"quarter", "week", "isoyear", "dow", "isodow", "doy", "epoch"}
	partGen := func(rng *rand.Rand) types.Datum { return textD(parts[rng.Intn(len(parts))]) }
	checkRef(t, r, refCase{name: "date_part", args: []types.Type{types.TextType, types.TimestampType},
		gens: []func(*rand.Rand) types.Datum{partGen, genTimestamp(types.TimestampType)},
		tol:  1e-15,
		ref: func(a []types.Datum) (types.Datum, error) {
			if a[1].I == math.MaxInt64 {
				switch a[0].S {
				case "year", "isoyear", "epoch":
					return f64D(math.Inf(1)), nil
				}
				return nullD(types.Float64Type), nil
			}
			v, _ := refPart(a[1].I, a[0].S)
			return f64D(v), nil
		}})
	checkRef(t, r, refCase{name: "date_bin", args: []types.Type{types.IntervalType, types.TimestampType, types.TimestampType},
		gens: []func(*rand.Rand) types.Datum{
			func(rng *rand.Rand) types.Datum {
				return types.Datum{Type: types.IntervalType, Iv: types.IntervalValue{Days: int32(rng.Intn(3)), Micros: rng.Int63n(3) * types.MicrosPerHour}}
			},
			genInt(types.TimestampType, -1<<40, 1<<40), genInt(types.TimestampType, -1<<40, 1<<40)},
		ref: func(a []types.Datum) (types.Datum, error) {
			step, _ := a[0].Iv.Fixed()
			if step <= 0 {
				return types.Datum{}, sqlerr.New(sqlerr.InvalidParameterValue, "stride")
			}
			d := time.Duration(a[1].I-a[2].I) * time.Microsecond
			bins := int64(math.Floor(float64(d) / float64(time.Duration(step)*time.Microsecond)))
			return types.IntDatum(types.TimestampType, a[2].I+bins*step), nil
		}})
	checkRef(t, r, refCase{name: "+", args: []types.Type{types.DateType, types.Int32Type},
		gens: []func(*rand.Rand) types.Datum{genInt(types.DateType, -800000, 800000), genInt(types.Int32Type, -1000, 1000)},
		ref: func(a []types.Datum) (types.Datum, error) {
			return types.IntDatum(types.DateType, timeOf(a[0].I*types.MicrosPerDay).AddDate(0, 0, int(a[1].I)).Unix()/86400), nil
		}})
}

func TestScaleIntervalProperties(t *testing.T) {
	// Multiplying by 1 and dividing by 1 are identities; a fixed
	// interval scales exactly.
	rng := rand.New(rand.NewSource(3))
	for k := 0; k < 1000; k++ {
		iv := types.IntervalValue{Months: int32(rng.Intn(100) - 50), Days: int32(rng.Intn(100) - 50), Micros: rng.Int63n(1<<40) - 1<<39}
		for _, div := range []bool{false, true} {
			got, err := scaleInterval(iv, 1, div)
			if err != nil || got != iv {
				t.Fatalf("%v scaled by 1 (div %v) = %v, %v", iv, div, got, err)
			}
		}
		fixed := types.IntervalValue{Micros: iv.Micros}
		got, _ := scaleInterval(fixed, 3, false)
		if got.Micros != 3*iv.Micros || got.Days != 0 || got.Months != 0 {
			t.Fatalf("%v * 3 = %v", fixed, got)
		}
	}
}
