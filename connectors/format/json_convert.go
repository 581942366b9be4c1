package format

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

// convert turns every slot of the scanned row into its column's value,
// or returns the first conversion failure. It appends nothing.
func (d *JSONDecoder) convert(value []byte) error {
	d.scratch = d.scratch[:0]
	for i := range d.cols {
		c := &d.cols[i]
		sl := &d.slots[i]
		sl.null = sl.kind == kindAbsent || sl.kind == kindNull
		if sl.null {
			if c.notNull {
				return missing(c, sl.kind)
			}
			continue
		}
		if err := d.convertOne(c, sl, value); err != nil {
			return err
		}
	}
	return nil
}

func (d *JSONDecoder) convertOne(c *jsonColumn, sl *slot, value []byte) error {
	raw := value[sl.start:sl.end]
	switch c.kind {
	case types.Bool:
		switch sl.kind {
		case kindTrue:
			sl.i = 1
		case kindFalse:
			sl.i = 0
		case kindString:
			txt := d.text(value, sl)
			b, ok := parseBoolText(txt)
			if !ok {
				return syntaxError(c, txt)
			}
			sl.i = 0
			if b {
				sl.i = 1
			}
		default:
			return typeError(c, sl.kind)
		}

	case types.Int16, types.Int32, types.Int64, types.Oid:
		var txt []byte
		switch sl.kind {
		case kindNumber:
			if sl.numInt {
				// At most 18 digits: no int64 overflow.
				v := int64(sl.num)
				if sl.numNeg {
					v = -v
				}
				if lo, hi := intRange(c.kind); v < lo || v > hi {
					return rangeError(c, raw)
				}
				sl.i = v
				return nil
			}
			txt = raw
		case kindString:
			txt = d.text(value, sl)
		default:
			return typeError(c, sl.kind)
		}
		v, st := parseInt(trimSpace(txt))
		switch st {
		case intSyntax:
			return syntaxError(c, txt)
		case intOverflow:
			return rangeError(c, txt)
		}
		lo, hi := intRange(c.kind)
		if v < lo || v > hi {
			return rangeError(c, txt)
		}
		sl.i = v

	case types.Float32, types.Float64:
		var txt []byte
		switch sl.kind {
		case kindNumber:
			if sl.numInt && sl.num <= 1<<53 && (c.kind == types.Float64 || sl.num <= 1<<24) {
				// Exactly representable: the nearest float is the
				// integer itself (-0 stays negative, as strconv).
				f := float64(sl.num)
				if sl.numNeg {
					f = -f
				}
				sl.f = f
				return nil
			}
			txt = raw
		case kindString:
			txt = trimSpace(d.text(value, sl))
			if !isDecimal(txt) {
				if isNonFiniteName(txt) {
					return conversion(c, "non-finite value %s is not allowed for type %s", quoteValue(txt), c.kind)
				}
				return syntaxError(c, txt)
			}
		default:
			return typeError(c, sl.kind)
		}
		bits := 64
		if c.kind == types.Float32 {
			bits = 32
		}
		f, ok := fastFloat(txt)
		if ok && bits == 32 {
			f, ok = float64(float32(f)), float64(float32(f)) == f
		}
		if ok {
			sl.f = f
			break
		}
		f, err := strconv.ParseFloat(string(txt), bits)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return rangeError(c, txt)
		}
		if err != nil {
			return syntaxError(c, txt)
		}
		sl.f = f

	case types.Text, types.Varchar, types.Name:
		switch sl.kind {
		case kindString:
			d.setText(value, sl)
			if sl.inScratch && bytes.IndexByte(d.scratch[sl.sOff:sl.sOff+sl.sLen], 0) >= 0 {
				return conversion(c, "unsupported Unicode escape sequence \\u0000")
			}
		case kindNumber, kindTrue, kindFalse:
			sl.sOff, sl.sLen, sl.inScratch = sl.start, sl.end-sl.start, false
		default:
			return typeError(c, sl.kind)
		}

	case types.JSONB:
		// jsonb keeps Postgres's canonical text (sorted keys, the last
		// duplicate, normalised numbers), so it prints as Postgres does.
		off := len(d.scratch)
		canon, err := types.AppendJSONB(d.scratch, value[sl.start:sl.end])
		if err != nil {
			return conversion(c, "%v", err)
		}
		d.scratch = canon
		sl.sOff, sl.sLen, sl.inScratch = off, len(d.scratch)-off, true

	case types.Timestamp, types.TimestampTZ:
		switch sl.kind {
		case kindNumber:
			if sl.numInt && sl.num < 1e15 {
				// Epoch milliseconds of at most 15 digits: no overflow.
				us := int64(sl.num) * 1000
				if sl.numNeg {
					us = -us
				}
				sl.i = us
				return nil
			}
			us, ok := epochMillisToMicros(raw)
			if !ok {
				return rangeError(c, raw)
			}
			sl.i = us
		case kindString:
			txt := d.text(value, sl)
			us, ok := parseISOTimestamp(txt)
			if !ok {
				var err error
				if us, err = types.ParseTimestamp(string(txt)); err != nil {
					return conversion(c, "%s", err)
				}
			}
			sl.i = us
		default:
			return typeError(c, sl.kind)
		}

	case types.Date:
		if sl.kind != kindString {
			return typeError(c, sl.kind)
		}
		txt := d.text(value, sl)
		days, ok := parseISODate(txt)
		if !ok {
			v, err := types.ParseDate(string(txt))
			if err != nil {
				return conversion(c, "%s", err)
			}
			days = v
		}
		sl.i = int64(days)

	case types.Interval:
		if sl.kind != kindString {
			return typeError(c, sl.kind)
		}
		iv, err := types.ParseInterval(string(d.text(value, sl)), "")
		if err != nil {
			return conversion(c, "%s", err)
		}
		sl.ivl = arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000}
	}
	return nil
}

// text returns the decoded content of the string in sl. Escaped strings
// are decoded into the scratch buffer; the result is valid until the next
// scratch append.
func (d *JSONDecoder) text(value []byte, sl *slot) []byte {
	d.setText(value, sl)
	if sl.inScratch {
		return d.scratch[sl.sOff : sl.sOff+sl.sLen]
	}
	return value[sl.sOff : sl.sOff+sl.sLen]
}

// setText points sl's text at the decoded content of its string value.
func (d *JSONDecoder) setText(value []byte, sl *slot) {
	content := value[sl.start+1 : sl.end-1]
	if !sl.esc {
		sl.sOff, sl.sLen, sl.inScratch = sl.start+1, len(content), false
		return
	}
	off := len(d.scratch)
	d.scratch = appendUnescaped(d.scratch, content)
	sl.sOff, sl.sLen, sl.inScratch = off, len(d.scratch)-off, true
}

func missing(c *jsonColumn, k valueKind) error {
	msg := "null value in column " + c.quoted + " violates not-null constraint"
	if k == kindAbsent {
		msg = "missing value for NOT NULL column " + c.quoted
	}
	return &DecodeError{Class: connectors.RejectMissing, Msg: msg}
}

func conversion(c *jsonColumn, format string, args ...any) error {
	return &DecodeError{Class: connectors.RejectConversion, Msg: "column " + c.quoted + ": " + fmt.Sprintf(format, args...)}
}

func typeError(c *jsonColumn, k valueKind) error {
	return conversion(c, "cannot convert JSON %s to type %s", k, c.kind)
}

func syntaxError(c *jsonColumn, txt []byte) error {
	return conversion(c, "invalid input syntax for type %s: %s", c.kind, quoteValue(txt))
}

func rangeError(c *jsonColumn, txt []byte) error {
	return conversion(c, "value %s is out of range for type %s", quoteValue(txt), c.kind)
}

// quoteValue quotes a value for a message, cut to a readable length.
func quoteValue(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// trimSpace drops the white space Postgres's numeric input functions
// skip around a value.
func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

type intStatus uint8

const (
	intOK intStatus = iota
	intSyntax
	intOverflow
)

// parseInt parses an optionally signed run of decimal digits.
func parseInt(b []byte) (int64, intStatus) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, intSyntax
	}
	var u uint64
	over := false
	for _, c := range b {
		if !isDigit(c) {
			return 0, intSyntax
		}
		if u > (math.MaxUint64-9)/10 {
			over = true
			continue
		}
		u = u*10 + uint64(c-'0')
	}
	if over {
		return 0, intOverflow
	}
	if neg {
		if u > 1<<63 {
			return 0, intOverflow
		}
		return int64(-u), intOK
	}
	if u > math.MaxInt64 {
		return 0, intOverflow
	}
	return int64(u), intOK
}

func intRange(k types.Kind) (lo, hi int64) {
	switch k {
	case types.Int16:
		return math.MinInt16, math.MaxInt16
	case types.Int32:
		return math.MinInt32, math.MaxInt32
	case types.Oid:
		return 0, math.MaxUint32
	}
	return math.MinInt64, math.MaxInt64
}

// isDecimal reports whether b is a decimal floating-point literal:
// [+-] (digits [. digits] | . digits) [(e|E) [+-] digits].
func isDecimal(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for i < len(b) && isDigit(b[i]) {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

// isNonFiniteName reports whether b spells a non-finite float the way
// Postgres's float input accepts it (NaN, [+-]Infinity, [+-]inf).
func isNonFiniteName(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	return bytes.EqualFold(b, []byte("nan")) || bytes.EqualFold(b, []byte("infinity")) || bytes.EqualFold(b, []byte("inf"))
}

// parseBoolText parses boolean text as Postgres's boolin does: surrounding
// space ignored, case-insensitive, any prefix of true/false/yes/no, on,
// off (at least "of"), 1 and 0.
func parseBoolText(b []byte) (v, ok bool) {
	b = trimSpace(b)
	if len(b) == 0 || len(b) > 5 {
		return false, false
	}
	var low [5]byte
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	s := low[:len(b)]
	prefixOf := func(word string) bool { return len(s) <= len(word) && string(s) == word[:len(s)] }
	switch {
	case prefixOf("true"), prefixOf("yes"):
		return true, true
	case prefixOf("false"), prefixOf("no"):
		return false, true
	case string(s) == "on", string(s) == "1":
		return true, true
	case len(s) >= 2 && prefixOf("off"), string(s) == "0":
		return false, true
	}
	return false, false
}

// exactPow10 holds the powers of ten a float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat parses a plain decimal ([+-]digits[.digits], no exponent)
// whose digits, read as an integer m, satisfy m < 2^53, with at most 22
// fraction digits. Then m and 10^frac are exact float64s and one
// division rounds correctly (Clinger's fast path), so the result equals
// strconv.ParseFloat's. It reports false for anything else, which the
// caller hands to strconv. Profiles of the demo event showed
// strconv.ParseFloat (readFloat, atof64exact) at about 15% of decoding.
func fastFloat(b []byte) (float64, bool) {
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var m uint64
	seen := false
	frac := -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if m >= 1<<53 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			seen = true
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	frac = max(frac, 0)
	if !seen || m >= 1<<53 || frac >= len(exactPow10) {
		return 0, false
	}
	f := float64(m) / exactPow10[frac]
	if neg {
		f = -f
	}
	return f, true
}
