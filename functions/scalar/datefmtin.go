package scalar

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// to_timestamp(text, text) and to_date(text, text): the input side of
// the template patterns in datefmt.go, following Postgres's
// DCH_from_char in its default (non-FX) mode: spaces in the input are
// skipped at the start and before each field, a space or separator in
// the template consumes one space or separator if there is one, other
// template characters consume one input character, and a numeric field
// reads its full width, or (FM, or when a separator or text field
// follows) as many digits as there are. Fields absent from the template
// default as in Postgres (year 1 BC, January 1st, midnight). Time zone
// names (TZ, OF) cannot be parsed; TZH and TZM can. Errors are 22007
// for malformed input and 22008 for out-of-range fields.

// dtParsed accumulates the fields read from the input, as Postgres's
// TmFromChar does: zero means "not given".
type dtParsed struct {
	year, yysz, cc    int64 // yysz: digits the year field stands for
	bc, isoMode       bool  // isoMode: IYYY, IW or IDDD was used
	month, day        int64
	ddd, ww, w        int64
	d                 int64 // day of week, Sunday = 1 (D, or ID shifted)
	j, ssss           int64
	hour, minute, sec int64
	fsec              int64
	clock12, pm       bool
	tzSign, tzh, tzm  int64
}

func badDateInput(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidDatetimeFormat, format, args...)
}

// isSepChar is Postgres's is_separator_char: printable ASCII that is
// neither a letter nor a digit.
func isSepChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')
}

func isSpaceChar(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// fieldWidth is the number of characters a numeric field reads in
// fixed-width mode.
func fieldWidth(f dtField) int {
	switch f {
	case fYYYY, fIYYY:
		return 4
	case fYYY, fIYY, fDDD, fIDDD, fMS:
		return 3
	case fYY, fIY, fMM, fDD, fWW, fIW, fCC, fHH24, fHH12, fMI, fSS, fTZH, fTZM:
		return 2
	case fSSSS:
		return 5
	case fUS:
		return 6
	case fJ:
		return 7
	case fFF1, fFF2, fFF3, fFF4, fFF5, fFF6:
		return int(f-fFF1) + 1
	}
	return 1
}

// nextIsSeparator is Postgres's is_next_separator: whether the field at
// nodes[k] is followed by something that is not a digit.
func nextIsSeparator(nodes []dtNode, k int) bool {
	if nodes[k].th != 0 {
		return true
	}
	if k+1 >= len(nodes) {
		return true
	}
	next := &nodes[k+1]
	if next.field != fLiteral {
		return !next.isDigitField()
	}
	return len(next.lit) == 0 || !(next.lit[0] >= '0' && next.lit[0] <= '9')
}

// readInt reads a numeric field and returns its value and the number of
// digits read.
func readInt(s string, i int, nodes []dtNode, k int) (int64, int, int, error) {
	n := &nodes[k]
	for i < len(s) && isSpaceChar(s[i]) {
		i++
	}
	width := fieldWidth(n.field)
	start := i
	limit := len(s)
	if !n.fm && !nextIsSeparator(nodes, k) {
		if len(s)-i < width {
			return 0, 0, 0, badDateInput("source string too short for %q formatting field", n.name).
				WithDetail("Field requires %d characters, but only %d remain.", width, len(s)-i).
				WithHint(`If your source string is not fixed-width, try using the "FM" modifier.`)
		}
		limit = i + width
	}
	neg := false
	if i < limit && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	digits := 0
	var v int64
	for i < limit && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int64(s[i]-'0')
		if v > math.MaxInt32 {
			return 0, 0, 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "value for %q in source string is out of range", n.name).
				WithDetail("Value must be in the range %d to %d.", math.MinInt32, math.MaxInt32)
		}
		i++
		digits++
	}
	if digits == 0 {
		shown := s[start:min(len(s), start+width)]
		return 0, 0, 0, badDateInput("invalid value %q for %q", shown, n.name).WithDetail("Value must be an integer.")
	}
	if limit != len(s) && i < limit {
		return 0, 0, 0, badDateInput("invalid value %q for %q", s[start:limit], n.name).
			WithDetail("Field requires %d characters, but only %d could be parsed.", width, i-start).
			WithHint(`If your source string is not fixed-width, try using the "FM" modifier.`)
	}
	if neg {
		v = -v
	}
	return v, digits, i, nil
}

// matchWord matches one of words case-insensitively at s[i:] and
// returns its index.
func matchWord(s string, i int, words []string, n *dtNode) (int, int, error) {
	for w, word := range words {
		if len(s)-i >= len(word) && strings.EqualFold(s[i:i+len(word)], word) {
			return w, i + len(word), nil
		}
	}
	return 0, 0, badDateInput("invalid value %q for %q", s[i:min(len(s), i+9)], n.name).
		WithDetail("The given value did not match any of the allowed values for this field.")
}

var (
	monthAbbrevs = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayAbbrevs   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	romanDesc    = []string{"XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I"}
)

// adjustPartialYear is Postgres's adjust_partial_year_to_2020.
func adjustPartialYear(y int64) int64 {
	switch {
	case y < 70:
		return y + 2000
	case y < 100:
		return y + 1900
	case y < 520:
		return y + 2000
	case y < 1000:
		return y + 1000
	}
	return y
}

// parseDateText reads input s with a compiled template.
func parseDateText(s string, nodes []dtNode) (dtParsed, error) {
	var p dtParsed
	i := 0
	for i < len(s) && isSpaceChar(s[i]) {
		i++
	}
	for k := range nodes {
		n := &nodes[k]
		if n.field == fLiteral {
			if n.quoted {
				for range utf8.RuneCountInString(n.lit) {
					if i < len(s) {
						_, size := utf8.DecodeRuneInString(s[i:])
						i += size
					}
				}
				continue
			}
			for j := 0; j < len(n.lit); j++ {
				c := n.lit[j]
				if isSpaceChar(c) || isSepChar(c) {
					if i < len(s) && (isSpaceChar(s[i]) || isSepChar(s[i])) {
						i++
					}
				} else if i < len(s) {
					_, size := utf8.DecodeRuneInString(s[i:])
					i += size
				}
			}
			continue
		}
		for i < len(s) && isSpaceChar(s[i]) {
			i++
		}
		var err error
		var v int64
		var digits int
		switch n.field {
		case fMonth, fMon:
			w, j, err := matchWord(s, i, monthNames[:], n)
			if err != nil && n.field == fMon {
				w, j, err = matchWord(s, i, monthAbbrevs[:], n)
			}
			if err != nil {
				return p, err
			}
			p.month, i = int64(w)+1, j
			continue
		case fRM:
			w, j, err := matchWord(s, i, romanDesc, n)
			if err != nil {
				return p, err
			}
			p.month, i = int64(12-w), j
			continue
		case fDay, fDy:
			_, j, err := matchWord(s, i, dayNames[:], n)
			if err != nil {
				_, j, err = matchWord(s, i, dayAbbrevs[:], n)
			}
			if err != nil {
				return p, err
			}
			i = j
			continue
		case fAM, fAMd:
			words := []string{"am", "pm"}
			if n.field == fAMd {
				words = []string{"a.m.", "p.m."}
			}
			w, j, err := matchWord(s, i, words, n)
			if err != nil {
				return p, err
			}
			p.pm, p.clock12, i = w == 1, true, j
			continue
		case fBC, fBCd:
			words := []string{"ad", "bc"}
			if n.field == fBCd {
				words = []string{"a.d.", "b.c."}
			}
			w, j, err := matchWord(s, i, words, n)
			if err != nil {
				return p, err
			}
			p.bc, i = w == 1, j
			continue
		case fTZ, fOF:
			return p, sqlerr.New(sqlerr.FeatureNotSupported, "formatting field %q is only supported in to_char", n.name)
		case fTZH:
			p.tzSign = 1
			if i < len(s) && (s[i] == '+' || s[i] == '-' || s[i] == ' ') {
				if s[i] == '-' {
					p.tzSign = -1
				}
				i++
			} else if i > 0 && s[i-1] == '-' {
				// The minus may have been taken for a separator.
				p.tzSign = -1
			}
		case fYCommaYYY:
			var hi, lo int64
			if hi, _, i, err = readInt(s, i, []dtNode{{field: fYCommaYYY, name: n.name, fm: true}}, 0); err != nil {
				return p, err
			}
			if i >= len(s) || s[i] != ',' {
				return p, badDateInput("invalid input string for %q", "Y,YYY")
			}
			if lo, _, i, err = readInt(s, i+1, []dtNode{{field: fYYY, name: n.name}}, 0); err != nil {
				return p, err
			}
			p.year, p.yysz = hi*1000+lo, 4
			continue
		}
		if v, digits, i, err = readInt(s, i, nodes, k); err != nil {
			return p, err
		}
		if n.th != 0 {
			// Skip the ordinal suffix.
			if i+2 <= len(s) {
				i += 2
			}
		}
		switch n.field {
		case fYYYY:
			p.year, p.yysz = v, 4
		case fYYY, fYY, fY:
			if digits < 4 {
				v = adjustPartialYear(v)
			}
			p.year, p.yysz = v, int64(fieldWidth(n.field))
		case fIYYY, fIYY, fIY, fI:
			if n.field != fIYYY && digits < 4 {
				v = adjustPartialYear(v)
			}
			p.year, p.yysz, p.isoMode = v, int64(fieldWidth(n.field)), true
		case fMM:
			p.month = v
		case fDD:
			p.day = v
		case fDDD:
			p.ddd = v
		case fIDDD:
			p.ddd, p.isoMode = v, true
		case fIW:
			p.ww, p.isoMode = v, true
		case fWW:
			p.ww = v
		case fW:
			p.w = v
		case fD:
			p.d = v
		case fID:
			// Shift to Gregorian numbering, where Sunday is 1.
			if p.d = v + 1; p.d > 7 {
				p.d = 1
			}
		case fJ:
			p.j = v
		case fHH24:
			p.hour = v
		case fHH12:
			p.hour, p.clock12 = v, true
		case fMI:
			p.minute = v
		case fSS:
			p.sec = v
		case fSSSS:
			p.ssss = v
		case fMS:
			// 25 is 0.25 s, as is 250; 025 is 0.025 s.
			for d := digits; d < 3; d++ {
				v *= 10
			}
			p.fsec += v * 1000
		case fUS, fFF1, fFF2, fFF3, fFF4, fFF5, fFF6:
			for d := digits; d < 6; d++ {
				v *= 10
			}
			p.fsec += v
		case fTZH:
			p.tzh = v
		case fTZM:
			p.tzm = v
		case fCC:
			p.cc = v
		case fQ:
			// Read and ignored, as in Postgres.
		}
	}
	return p, nil
}

func dateFieldOverflow(s string) error {
	return sqlerr.New(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
}

// ysum is the day of the year before each month (common, leap).
var ysum = [2][13]int64{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

// resolveParsed turns parsed fields into days since the epoch and the
// microseconds into the day (zone offset applied), following the order
// of Postgres's do_to_timestamp.
func resolveParsed(p dtParsed, s string) (int64, int64, error) {
	var hour, minute, sec int64
	if p.ssss != 0 {
		hour, minute, sec = p.ssss/3600, p.ssss/60%60, p.ssss%60
	}
	if p.sec != 0 {
		sec = p.sec
	}
	if p.minute != 0 {
		minute = p.minute
	}
	if p.hour != 0 {
		hour = p.hour
	}
	if p.clock12 {
		if hour < 1 || hour > 12 {
			return 0, 0, badDateInput("hour \"%d\" is invalid for the 12-hour clock", hour).
				WithHint("Use the 24-hour clock, or give an hour between 1 and 12.")
		}
		if p.pm && hour < 12 {
			hour += 12
		} else if !p.pm && hour == 12 {
			hour = 0
		}
	}
	cc := p.cc
	if p.bc {
		cc = -cc
	}
	year, month, day := int64(0), int64(1), int64(1) // Postgres's default: 1 BC
	dateGiven := p.year != 0 || p.cc != 0
	switch {
	case p.year != 0 && p.cc != 0 && p.yysz <= 2:
		// YY within the given century (the 21st runs 2001-2100).
		if year = p.year % 100; year != 0 {
			if cc >= 0 {
				year += (cc - 1) * 100
			} else {
				year = (cc+1)*100 - year + 1
			}
		} else if year = cc * 100; cc < 0 {
			year++
		}
	case p.year != 0:
		if year = p.year; p.bc {
			year = -year
		}
		if year < 0 {
			year++ // astronomical numbering: 1 BC is year 0
		}
	case cc > 0:
		year = (cc-1)*100 + 1
	case cc < 0:
		year = cc*100 + 1
	}
	if p.j != 0 {
		year, month, day = civilFromDays(p.j - 2440588)
		dateGiven = true
	}
	ddd := p.ddd
	if p.ww != 0 {
		if p.isoMode {
			days := isoWeek1Monday(year) + (p.ww-1)*7
			if p.d > 1 {
				days += p.d - 2
			} else if p.d == 1 {
				days += 6
			}
			year, month, day = civilFromDays(days)
			dateGiven = true
		} else {
			ddd = (p.ww-1)*7 + 1
		}
	}
	if p.w != 0 {
		p.day = (p.w-1)*7 + 1
	}
	if p.day != 0 {
		day, dateGiven = p.day, true
	}
	if p.month != 0 {
		month, dateGiven = p.month, true
	}
	if ddd != 0 && (month <= 1 || day <= 1) {
		if year == 0 && !p.bc {
			return 0, 0, badDateInput("cannot calculate day of year without year information")
		}
		if p.isoMode {
			year, month, day = civilFromDays(isoWeek1Monday(year) - 1 + ddd)
		} else {
			y := &ysum[0]
			if isLeap(year) {
				y = &ysum[1]
			}
			i := int64(1)
			for ; i <= 12 && ddd > y[i]; i++ {
			}
			if month <= 1 {
				month = i
			}
			if day <= 1 && i <= 12 {
				day = ddd - y[i-1]
			}
		}
		dateGiven = true
	}
	if dateGiven && (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
		return 0, 0, dateFieldOverflow(s)
	}
	if hour < 0 || hour >= 24 || minute < 0 || minute >= 60 || sec < 0 || sec >= 60 ||
		p.fsec < 0 || p.fsec >= types.MicrosPerSecond {
		return 0, 0, dateFieldOverflow(s)
	}
	tod := (hour*3600+minute*60+sec)*types.MicrosPerSecond + p.fsec
	if p.tzSign != 0 {
		if p.tzh < 0 || p.tzh > 15 || p.tzm < 0 || p.tzm >= 60 {
			return 0, 0, sqlerr.New(sqlerr.DatetimeFieldOverflow, "time zone displacement out of range: %q", s)
		}
		tod -= p.tzSign * (p.tzh*60 + p.tzm) * types.MicrosPerMinute
	}
	return daysFromCivil(year, month, day), tod, nil
}

// parseDateKernel is to_timestamp (t timestamptz) or to_date (t date).
func parseDateKernel(t types.Type, nodes []dtNode) functions.Kernel {
	prepared := nodes != nil
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, fmts := textArgOf(args[0]), textArgOf(args[1])
		validity := validityOf(n, args)
		var cache formatCache
		out64 := make([]int64, n)
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			f := nodes
			if !prepared {
				f = cache.get(fmts.at(i))
			}
			s := string(in.at(i))
			p, err := parseDateText(s, f)
			if err != nil {
				return functions.Value{}, err
			}
			days, tod, err := resolveParsed(p, s)
			if err != nil {
				return functions.Value{}, err
			}
			if t.Kind == types.Date {
				if days < minDate || days > maxDate {
					return functions.Value{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date out of range: %q", s)
				}
				out64[i] = days
				continue
			}
			if days < minDate || days >= 109203528-2440588 {
				return functions.Value{}, tsOutOfRange()
			}
			out64[i] = days*types.MicrosPerDay + tod
		}
		if t.Kind == types.Date {
			out := make([]int32, n)
			for i, d := range out64 {
				out[i] = int32(d)
			}
			return fixedResult(t, out, validity), nil
		}
		return fixedResult(t, out64, validity), nil
	}
}
