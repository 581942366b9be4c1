package scalar

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestToCharTable(t *testing.T) {
	at := tsD(t, "2024-05-06 07:08:09.123456") // a Monday
	pm := tsD(t, "2024-12-22 19:00:00")
	tc := func(x types.Datum, f string) []types.Datum { return []types.Datum{x, textD(f)} }
	runTable(t, []tableCase{
		{name: "to_char", args: tc(at, "YYYY-MM-DD HH24:MI:SS.US"), want: "2024-05-06 07:08:09.123456"},
		{name: "to_char", args: tc(at, "yyyy-mm-dd hh24:mi:ss.ms"), want: "2024-05-06 07:08:09.123"},
		{name: "to_char", args: tc(at, "Day, DD  HH12:MI:SS"), want: "Monday   , 06  07:08:09"},
		{name: "to_char", args: tc(at, "FMDay, FMDD  HH12:MI:SS"), want: "Monday, 6  07:08:09"},
		{name: "to_char", args: tc(at, "Month|MONTH|month|Mon|MON|mon"), want: "May      |MAY      |may      |May|MAY|may"},
		{name: "to_char", args: tc(at, "Dy DY dy"), want: "Mon MON mon"},
		{name: "to_char", args: tc(pm, "HH12 AM am A.M. p.m. HH24"), want: "07 PM pm P.M. p.m. 19"},
		{name: "to_char", args: tc(at, "HH12 PM"), want: "07 AM"},
		{name: "to_char", args: tc(tsD(t, "2024-05-06 00:30:00"), "HH12:MI AM"), want: "12:30 AM"},
		{name: "to_char", args: tc(at, "DDD IW ID D Q WW W J"), want: "127 19 1 2 2 19 1 2460437"},
		{name: "to_char", args: tc(at, `YYYY"-literal-"MM`), want: "2024-literal-05"},
		{name: "to_char", args: tc(at, `"a\"b"`), want: `a"b`},
		{name: "to_char", args: tc(at, "DDth FMDDTH"), want: "06th 6TH"},
		{name: "to_char", args: tc(tsD(t, "2024-05-01"), "FMDDth"), want: "1st"},
		{name: "to_char", args: tc(tsD(t, "2024-05-22"), "FMDDth"), want: "22nd"},
		{name: "to_char", args: tc(tsD(t, "2024-05-13"), "FMDDth"), want: "13th"},
		{name: "to_char", args: tc(at, "TZ"), want: ""},
		{name: "to_char", args: tc(tstzD(t, "2024-05-06 07:08:09"), "HH24 TZ tz OF"), want: "07 UTC utc +00"},
		{name: "to_char", args: tc(at, "SSSS SSSSS"), want: "25689 25689"},
		{name: "to_char", args: tc(at, "CC Y,YYY YYY YY Y"), want: "21 2,024 024 24 4"},
		{name: "to_char", args: tc(at, "RM|rm|FMRM"), want: "V   |v   |V"},
		{name: "to_char", args: tc(at, "FF1 FF3 FF6"), want: "1 123 123456"},
		{name: "to_char", args: tc(at, "IYYY-IW-ID"), want: "2024-19-1"},
		{name: "to_char", args: tc(tsD(t, "2021-01-01"), "IYYY IW IDDD"), want: "2020 53 369"},
		{name: "to_char", args: tc(at, "BC A.D."), want: "AD A.D."},
		{name: "to_char", args: tc(at, "xQz"), want: "x2z"},
		{name: "to_char", args: tc(at, ""), want: "NULL"},
		{name: "to_char", args: tc(types.IntDatum(types.TimestampType, 1<<63-1), "YYYY"), want: "NULL"},
	})
}

func TestToTimestampTable(t *testing.T) {
	tt := func(s, f string) []types.Datum { return []types.Datum{textD(s), textD(f)} }
	bad, ovf := sqlerr.InvalidDatetimeFormat, sqlerr.DatetimeFieldOverflow
	runTable(t, []tableCase{
		{name: "to_timestamp", args: tt("2024-05-06 07:08:09", "YYYY-MM-DD HH24:MI:SS"), want: "2024-05-06 07:08:09+00"},
		{name: "to_timestamp", args: tt("05 Dec 2000", "DD Mon YYYY"), want: "2000-12-05 00:00:00+00"},
		{name: "to_timestamp", args: tt("05 december 2000", "DD Month YYYY"), want: "2000-12-05 00:00:00+00"},
		{name: "to_timestamp", args: tt("20240506", "YYYYMMDD"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024-5-6", "YYYY-MM-DD"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("  2024/05/06", "YYYY-MM-DD"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("12:30 PM", "HH12:MI AM"), want: "0001-01-01 12:30:00+00 BC"},
		{name: "to_timestamp", args: tt("2024-01-01 12:30 am", "YYYY-MM-DD HH:MI PM"), want: "2024-01-01 00:30:00+00"},
		{name: "to_timestamp", args: tt("2024-05-06 7:08:09.5", "YYYY-MM-DD HH24:MI:SS.MS"), want: "2024-05-06 07:08:09.5+00"},
		{name: "to_timestamp", args: tt("2024-05-06 07:08:09.025", "YYYY-MM-DD HH24:MI:SS.MS"), want: "2024-05-06 07:08:09.025+00"},
		{name: "to_timestamp", args: tt("2024-05-06 07:08:09.12", "YYYY-MM-DD HH24:MI:SS.US"), want: "2024-05-06 07:08:09.12+00"},
		{name: "to_timestamp", args: tt("99-01-02", "YY-MM-DD"), want: "1999-01-02 00:00:00+00"},
		{name: "to_timestamp", args: tt("24-01-02", "YY-MM-DD"), want: "2024-01-02 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024 127", "YYYY DDD"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024-05-06 10:00 +02", "YYYY-MM-DD HH24:MI TZH"), want: "2024-05-06 08:00:00+00"},
		{name: "to_timestamp", args: tt("2024-05-06 10:00 -02:30", "YYYY-MM-DD HH24:MI TZH:TZM"), want: "2024-05-06 12:30:00+00"},
		{name: "to_timestamp", args: tt("2024-19-1", "IYYY-IW-ID"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("2460437", "J"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("21 05", "CC YY"), want: "2005-01-01 00:00:00+00"},
		{name: "to_timestamp", args: tt("21", "CC"), want: "2001-01-01 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024 130", "IYYY IDDD"), want: "2024-05-09 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024 19 1", "IYYY IW D"), want: "2024-05-12 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024 367", "YYYY DDD"), code: ovf},
		{name: "to_timestamp", args: tt("127", "DDD"), code: bad},
		{name: "to_timestamp", args: tt("07 20530", "SS SSSS"), want: "0001-01-01 05:42:07+00 BC"},
		{name: "to_timestamp", args: tt("10:00 +16", "HH24:MI TZH"), code: ovf},
		{name: "to_timestamp", args: tt("Monday 2024-05-06", "Day YYYY-MM-DD"), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("2024x05x06", `YYYY"x"MM"x"DD`), want: "2024-05-06 00:00:00+00"},
		{name: "to_timestamp", args: tt("0044-03-15 BC", "YYYY-MM-DD BC"), want: "0044-03-15 00:00:00+00 BC"},
		{name: "to_timestamp", args: tt("2024-13-01", "YYYY-MM-DD"), code: ovf},
		{name: "to_timestamp", args: tt("2024-02-30", "YYYY-MM-DD"), code: ovf},
		{name: "to_timestamp", args: tt("2024-01-01 24:00", "YYYY-MM-DD HH24:MI"), code: ovf},
		{name: "to_timestamp", args: tt("2024-xx-01", "YYYY-MM-DD"), code: bad},
		{name: "to_timestamp", args: tt("2024", "YYYYMMDD"), code: bad},
		{name: "to_timestamp", args: tt("13:00 PM", "HH12:MI AM"), code: bad},
		{name: "to_timestamp", args: tt("2024 Foo", "YYYY Mon"), code: bad},
		{name: "to_timestamp", args: tt("2024 UTC", "YYYY TZ"), code: sqlerr.FeatureNotSupported},
		{name: "to_timestamp", args: tt("2024-01-01", ""), want: "0001-01-01 00:00:00+00 BC"},
		{name: "to_date", args: tt("05 Dec 2000", "DD Mon YYYY"), want: "2000-12-05"},
		{name: "to_date", args: tt("2000-12-05 23:59", "YYYY-MM-DD HH24:MI"), want: "2000-12-05"},
	})
}

// refFormat renders one template token with the time package.
var refTokens = map[string]func(time.Time) string{
	"YYYY": func(t time.Time) string { return fmt.Sprintf("%04d", t.Year()) },
	"MM":   func(t time.Time) string { return fmt.Sprintf("%02d", int(t.Month())) },
	"DD":   func(t time.Time) string { return fmt.Sprintf("%02d", t.Day()) },
	"HH24": func(t time.Time) string { return fmt.Sprintf("%02d", t.Hour()) },
	"HH12": func(t time.Time) string { return t.Format("03") },
	"MI":   func(t time.Time) string { return fmt.Sprintf("%02d", t.Minute()) },
	"SS":   func(t time.Time) string { return fmt.Sprintf("%02d", t.Second()) },
	"MS":   func(t time.Time) string { return fmt.Sprintf("%03d", t.Nanosecond()/1e6) },
	"US":   func(t time.Time) string { return fmt.Sprintf("%06d", t.Nanosecond()/1e3) },
	"Mon":  func(t time.Time) string { return t.Format("Jan") },
	"MON":  func(t time.Time) string { return strings.ToUpper(t.Format("Jan")) },
	"Month": func(t time.Time) string {
		return fmt.Sprintf("%-9s", t.Month().String())
	},
	"FMMonth": func(t time.Time) string { return t.Month().String() },
	"Dy":      func(t time.Time) string { return t.Format("Mon") },
	"Day":     func(t time.Time) string { return fmt.Sprintf("%-9s", t.Weekday().String()) },
	"AM":      func(t time.Time) string { return t.Format("PM") },
	"pm":      func(t time.Time) string { return t.Format("pm") },
	"DDD":     func(t time.Time) string { return fmt.Sprintf("%03d", t.YearDay()) },
	"IW": func(t time.Time) string {
		_, w := t.ISOWeek()
		return fmt.Sprintf("%02d", w)
	},
	"IYYY": func(t time.Time) string {
		y, _ := t.ISOWeek()
		return fmt.Sprintf("%04d", y)
	},
	"D":    func(t time.Time) string { return fmt.Sprint(int(t.Weekday()) + 1) },
	"Q":    func(t time.Time) string { return fmt.Sprint((int(t.Month())-1)/3 + 1) },
	"FMDD": func(t time.Time) string { return fmt.Sprint(t.Day()) },
	"J": func(t time.Time) string {
		return fmt.Sprint(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix()/86400 + 2440588)
	},
	" ": func(time.Time) string { return " " },
	"-": func(time.Time) string { return "-" },
	":": func(time.Time) string { return ":" },
	"/": func(time.Time) string { return "/" },
}

func TestToCharAgainstReference(t *testing.T) {
	r := testRegistry()
	names := make([]string, 0, len(refTokens))
	for k := range refTokens {
		names = append(names, k)
	}
	sortStrings(names)
	// A separator between tokens keeps the template unambiguous (MM
	// followed by I would read as MMI).
	templ := func(rng *rand.Rand) types.Datum {
		var parts []string
		for k := rng.Intn(5) + 1; k > 0; k-- {
			parts = append(parts, names[rng.Intn(len(names))])
		}
		return textD(strings.Join(parts, "|"))
	}
	years := func(rng *rand.Rand) types.Datum {
		// Years 1000 to 2999.
		lo := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		hi := time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMicro()
		return types.IntDatum(types.TimestampType, lo+rng.Int63n(hi-lo))
	}
	checkRef(t, r, refCase{name: "to_char", args: []types.Type{types.TimestampType, types.TextType},
		gens: []func(*rand.Rand) types.Datum{years, templ},
		ref: func(a []types.Datum) (types.Datum, error) {
			tm := timeOf(a[0].I)
			var out []string
			for _, p := range strings.Split(a[1].S, "|") {
				out = append(out, refTokens[p](tm))
			}
			return textD(strings.Join(out, "|")), nil
		}})
}

// TestToTimestampRoundTrip formats random timestamps with to_char and
// parses them back with to_timestamp through the same template.
func TestToTimestampRoundTrip(t *testing.T) {
	r := testRegistry()
	rng := rand.New(rand.NewSource(9))
	templates := []struct {
		f    string
		keep func(time.Time) time.Time
	}{
		{"YYYY-MM-DD HH24:MI:SS.US", func(t time.Time) time.Time { return t }},
		{"DD Mon YYYY HH12:MI:SS AM", func(t time.Time) time.Time { return t.Truncate(time.Second) }},
		{"YYYYMMDDHH24MISS", func(t time.Time) time.Time { return t.Truncate(time.Second) }},
		{"FMMonth FMDD, YYYY", func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) }},
		{"YYYY DDD SSSS", func(t time.Time) time.Time { return t.Truncate(time.Second) }},
		{"IYYY IW ID HH24", func(t time.Time) time.Time { return t.Truncate(time.Hour) }},
		{"J MS", func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, t.Nanosecond()/1e6*1e6, time.UTC)
		}},
	}
	lo := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMicro()
	for k := 0; k < 500; k++ {
		us := lo + rng.Int63n(hi-lo)
		tp := templates[k%len(templates)]
		text, err := evalCall(t, r, "to_char", types.IntDatum(types.TimestampTZType, us), textD(tp.f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := evalCall(t, r, "to_timestamp", textD(text.S), textD(tp.f))
		if err != nil {
			t.Fatalf("to_timestamp(%q, %q): %v", text.S, tp.f, err)
		}
		if want := tp.keep(timeOf(us)).UnixMicro(); got.I != want {
			t.Fatalf("to_timestamp(%q, %q) = %s, want %s", text.S, tp.f, got, types.FormatTimestamp(want, true))
		}
	}
}

// FuzzToTimestamp feeds arbitrary input and templates to the
// to_timestamp parser: it must not panic and must fail only with a
// *sqlerr.Error; whatever it accepts must format back without panicking.
func FuzzToTimestamp(f *testing.F) {
	f.Add("2024-05-06 07:08:09", "YYYY-MM-DD HH24:MI:SS")
	f.Add("05 Dec 2000", "DD Mon YYYY")
	f.Add("12:30 PM", "HH12:MI AM")
	f.Add("2024 127", "YYYY DDD")
	f.Add("2024-19-1", "IYYY-IW-ID")
	f.Add("1,234", "Y,YYY")
	f.Add("-02:30", "TZH:TZM")
	f.Add("x", `"abc`)
	f.Add("99999999999", "J")
	f.Fuzz(func(t *testing.T, s, tmpl string) {
		nodes := compileDateFormat(tmpl)
		p, err := parseDateText(s, nodes)
		if err == nil {
			var days, tod int64
			days, tod, err = resolveParsed(p, s)
			if err == nil && days >= minDate && days < 109203528-2440588 {
				_ = appendToChar(nil, days*types.MicrosPerDay+tod, nodes, true)
			}
		}
		if err != nil {
			if _, ok := err.(*sqlerr.Error); !ok {
				t.Fatalf("to_timestamp(%q, %q): non-SQL error %T %v", s, tmpl, err, err)
			}
		}
	})
}
