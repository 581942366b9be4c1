package pgtypes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the decoders of Bind parameter values: the Postgres
// input (text) and receive (binary) formats of every scalar type, into a
// types.Datum. They never panic on any input: a malformed value is a
// *DecodeError carrying the SQLSTATE Postgres reports for it.

// OIDs of Postgres types that are accepted as declared parameter types
// and decoded into a Tocsin type of their own (see ParamType): json is
// read as jsonb and numeric as float8, which is how Tocsin computes
// with decimal numbers.
const (
	OIDJSON    uint32 = 114
	OIDNumeric uint32 = 1700
)

// SQLSTATEs of decoding errors. pgtypes does not import sql/sqlerr (it
// sits below it in spirit: a pure codec), so codes travel as strings,
// as types.JSONError does.
const (
	// CodeInvalidText is invalid_text_representation: text input that
	// does not parse.
	CodeInvalidText = "22P02"
	// CodeOutOfRange is numeric_value_out_of_range.
	CodeOutOfRange = "22003"
	// CodeDatetimeFormat is invalid_datetime_format.
	CodeDatetimeFormat = "22007"
	// CodeDatetimeOverflow is datetime_field_overflow.
	CodeDatetimeOverflow = "22008"
	// CodeProtocolViolation is protocol_violation: a binary value of the
	// wrong length or shape.
	CodeProtocolViolation = "08P01"
	// CodeCharacterNotInRepertoire is invalid UTF-8 (or a NUL byte) in
	// text.
	CodeCharacterNotInRepertoire = "22021"
	// CodeFeatureNotSupported is a type that has no parameter decoder.
	CodeFeatureNotSupported = "0A000"
)

// DecodeError is a parameter value that cannot be decoded. Code is the
// SQLSTATE Postgres reports for it (one of the Code* constants or a code
// of types.JSONError); Msg is Postgres's message.
type DecodeError struct {
	Code string
	Msg  string
}

// Error implements error.
func (e *DecodeError) Error() string { return e.Msg }

func decodeErr(code, format string, args ...any) *DecodeError {
	return &DecodeError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ParamType returns the type a parameter declared with oid in Parse is
// decoded into: ForOID's type, jsonb for json and float8 for numeric.
// OID 0 and unknown (705) mean "unspecified" and return the zero Type
// with ok true; ok is false for OIDs Tocsin has no type for.
func ParamType(oid uint32) (t types.Type, ok bool) {
	switch oid {
	case 0, OIDUnknown:
		return types.Type{}, true
	case OIDJSON:
		return types.JSONBType, true
	case OIDNumeric:
		return types.Float64Type, true
	}
	return ForOID(oid)
}

// DecodeParam decodes one Bind parameter value b, sent in format f as a
// value of the Postgres type oid (the type announced in
// ParameterDescription), into a Datum of type t (see ParamType). A nil b
// is SQL NULL. Arrays are not supported as parameters.
func DecodeParam(oid uint32, t types.Type, f Format, b []byte) (types.Datum, error) {
	if b == nil {
		return types.NullDatum(t), nil
	}
	switch f {
	case Text:
		return DecodeText(t, b)
	case Binary:
	default:
		return types.Datum{}, decodeErr(CodeProtocolViolation, "unsupported format code: %d", f)
	}
	switch oid {
	case OIDNumeric:
		v, err := DecodeNumericBinary(b)
		if err != nil {
			return types.Datum{}, err
		}
		return types.FloatDatum(t, v), nil
	case OIDJSON:
		// json's binary form is its text.
		return DecodeText(t, b)
	}
	return DecodeBinary(t, b)
}

// DecodeText decodes a value in Postgres's text input format for type t
// (the unknown type is read as text).
func DecodeText(t types.Type, b []byte) (types.Datum, error) {
	s := string(b)
	switch t.Kind {
	case types.Bool:
		v, ok := parseBool(strings.TrimSpace(s))
		if !ok {
			return types.Datum{}, syntaxErr(t, s)
		}
		return types.BoolDatum(v), nil
	case types.Int16, types.Int32, types.Int64:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, intBits(t.Kind))
		if err != nil {
			return types.Datum{}, numErr(err, t, s)
		}
		return types.IntDatum(t, v), nil
	case types.Oid:
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return types.Datum{}, numErr(err, t, s)
		}
		return types.IntDatum(t, int64(v)), nil
	case types.Float32, types.Float64:
		return parseFloatText(t, s)
	case types.Text, types.Varchar, types.Name, types.Unknown:
		if err := checkText(b); err != nil {
			return types.Datum{}, err
		}
		if t.Kind == types.Name {
			s = truncateName(s)
		}
		return types.StringDatum(t, s), nil
	case types.JSONB:
		return decodeJSONB(b)
	case types.Bytea:
		v, err := parseByteaText(b)
		if err != nil {
			return types.Datum{}, err
		}
		return types.StringDatum(t, v), nil
	case types.Date:
		return parseDateText(s)
	case types.Timestamp, types.TimestampTZ:
		return parseTimestampText(t, s)
	case types.Interval:
		iv, err := types.ParseInterval(s, "")
		if err != nil {
			return types.Datum{}, decodeErr(CodeDatetimeFormat, "invalid input syntax for type interval: %q", s)
		}
		return types.Datum{Type: t, Iv: iv}, nil
	}
	return types.Datum{}, decodeErr(CodeFeatureNotSupported, "parameters of type %s are not supported", t)
}

// DecodeBinary decodes a value in Postgres's binary (receive) format for
// type t. Values of the wrong length are protocol violations (08P01).
func DecodeBinary(t types.Type, b []byte) (types.Datum, error) {
	switch t.Kind {
	case types.Bool:
		if err := wantLen(t, b, 1); err != nil {
			return types.Datum{}, err
		}
		return types.BoolDatum(b[0] != 0), nil
	case types.Int16:
		if err := wantLen(t, b, 2); err != nil {
			return types.Datum{}, err
		}
		return types.IntDatum(t, int64(int16(binary.BigEndian.Uint16(b)))), nil
	case types.Int32:
		if err := wantLen(t, b, 4); err != nil {
			return types.Datum{}, err
		}
		return types.IntDatum(t, int64(int32(binary.BigEndian.Uint32(b)))), nil
	case types.Int64:
		if err := wantLen(t, b, 8); err != nil {
			return types.Datum{}, err
		}
		return types.IntDatum(t, int64(binary.BigEndian.Uint64(b))), nil
	case types.Oid:
		if err := wantLen(t, b, 4); err != nil {
			return types.Datum{}, err
		}
		return types.IntDatum(t, int64(binary.BigEndian.Uint32(b))), nil
	case types.Float32:
		if err := wantLen(t, b, 4); err != nil {
			return types.Datum{}, err
		}
		return types.FloatDatum(t, float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
	case types.Float64:
		if err := wantLen(t, b, 8); err != nil {
			return types.Datum{}, err
		}
		return types.FloatDatum(t, math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	case types.Text, types.Varchar, types.Name, types.Unknown:
		return DecodeText(t, b)
	case types.Bytea:
		return types.StringDatum(t, string(b)), nil
	case types.JSONB:
		if len(b) == 0 || b[0] != jsonbVersion {
			return types.Datum{}, decodeErr(CodeProtocolViolation, "unsupported jsonb version number")
		}
		return decodeJSONB(b[1:])
	case types.Date:
		if err := wantLen(t, b, 4); err != nil {
			return types.Datum{}, err
		}
		days := int32(binary.BigEndian.Uint32(b))
		switch {
		case days == math.MaxInt32 || days == math.MinInt32:
		case days > math.MaxInt32-pgEpochDays:
			return types.Datum{}, decodeErr(CodeDatetimeOverflow, "date out of range")
		default:
			days += pgEpochDays
		}
		return types.IntDatum(t, int64(days)), nil
	case types.Timestamp, types.TimestampTZ:
		if err := wantLen(t, b, 8); err != nil {
			return types.Datum{}, err
		}
		us := int64(binary.BigEndian.Uint64(b))
		switch {
		case us == math.MaxInt64 || us == math.MinInt64:
		case us > math.MaxInt64-pgEpochMicros:
			return types.Datum{}, decodeErr(CodeDatetimeOverflow, "timestamp out of range")
		default:
			us += pgEpochMicros
		}
		return types.IntDatum(t, us), nil
	case types.Interval:
		if err := wantLen(t, b, 16); err != nil {
			return types.Datum{}, err
		}
		return types.Datum{Type: t, Iv: types.IntervalValue{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}}, nil
	}
	return types.Datum{}, decodeErr(CodeFeatureNotSupported, "parameters of type %s are not supported", t)
}

// numeric's binary sign words.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
	// numericMaxDigits bounds ndigits as Postgres's NUMERIC_MAX_PRECISION
	// does for input (base-10000 digits of a 1000-digit-precision value,
	// plus slack for the scale).
	numericMaxDigits = 8192
)

// DecodeNumericBinary decodes Postgres's binary numeric (ndigits,
// weight, sign, dscale, then ndigits base-10000 digits, all big-endian
// int16) into the nearest float64, as Tocsin computes with numerics.
func DecodeNumericBinary(b []byte) (float64, error) {
	if len(b) < 8 {
		return 0, decodeErr(CodeProtocolViolation, "insufficient data left in message")
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if dscale > 0x3FFF {
		return 0, decodeErr(CodeProtocolViolation, "invalid scale in external \"numeric\" value")
	}
	if ndigits < 0 || ndigits > numericMaxDigits {
		return 0, decodeErr(CodeProtocolViolation, "invalid length in external \"numeric\" value")
	}
	if len(b) != 8+2*ndigits {
		return 0, decodeErr(CodeProtocolViolation, "incorrect binary data format in numeric value")
	}
	switch sign {
	case numericNaN:
		return math.NaN(), nil
	case numericPInf:
		return math.Inf(1), nil
	case numericNInf:
		return math.Inf(-1), nil
	case numericPos, numericNeg:
	default:
		return 0, decodeErr(CodeProtocolViolation, "invalid sign in external \"numeric\" value")
	}
	// Build the decimal text and let strconv round it once, exactly.
	buf := make([]byte, 0, 16+4*ndigits)
	if sign == numericNeg {
		buf = append(buf, '-')
	}
	buf = append(buf, '0', '.')
	for i := range ndigits {
		d := binary.BigEndian.Uint16(b[8+2*i:])
		if d > 9999 {
			return 0, decodeErr(CodeProtocolViolation, "invalid digit in external \"numeric\" value")
		}
		buf = append(buf, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	}
	// The value is 0.d1d2... × 10000^(weight+1). Digits beyond dscale
	// are truncated away, as numeric_recv does.
	intDigits := 4 * (weight + 1)
	keep := intDigits + dscale
	digitsStart := 2
	if sign == numericNeg {
		digitsStart = 3
	}
	switch {
	case keep <= 0:
		return 0, nil
	case keep < len(buf)-digitsStart:
		buf = buf[:digitsStart+keep]
	}
	buf = append(buf, 'e')
	buf = strconv.AppendInt(buf, int64(intDigits), 10)
	v, err := strconv.ParseFloat(string(buf), 64)
	if err != nil && !math.IsInf(v, 0) {
		return 0, decodeErr(CodeProtocolViolation, "invalid external \"numeric\" value")
	}
	if math.IsInf(v, 0) {
		return 0, decodeErr(CodeOutOfRange, "value out of range for type double precision")
	}
	return v, nil
}

func wantLen(t types.Type, b []byte, n int) error {
	if len(b) != n {
		return decodeErr(CodeProtocolViolation, "incorrect binary data format: %s value of %d bytes, want %d", t, len(b), n)
	}
	return nil
}

func intBits(k types.Kind) int {
	switch k {
	case types.Int16:
		return 16
	case types.Int32:
		return 32
	}
	return 64
}

func syntaxErr(t types.Type, s string) error {
	return decodeErr(CodeInvalidText, "invalid input syntax for type %s: %q", t, s)
}

func numErr(err error, t types.Type, s string) error {
	if errors.Is(err, strconv.ErrRange) {
		return decodeErr(CodeOutOfRange, "value %q is out of range for type %s", s, t)
	}
	return syntaxErr(t, s)
}

// parseBool accepts Postgres's boolean input: t/true/y/yes/on/1 and
// f/false/n/no/off/0 in any case, and unique prefixes of true, false,
// yes and no.
func parseBool(s string) (v, ok bool) {
	s = strings.ToLower(s)
	switch s {
	case "on", "1":
		return true, true
	case "off", "of", "0":
		return false, s != "of"
	case "":
		return false, false
	}
	for _, w := range [...]struct {
		word string
		v    bool
	}{{"true", true}, {"false", false}, {"yes", true}, {"no", false}} {
		if strings.HasPrefix(w.word, s) {
			return w.v, true
		}
	}
	return false, false
}

func parseFloatText(t types.Type, s string) (types.Datum, error) {
	trimmed := strings.TrimSpace(s)
	// strconv also accepts hex floats and underscores, Postgres does not.
	if strings.ContainsAny(trimmed, "_xXpP") {
		return types.Datum{}, syntaxErr(t, s)
	}
	bits := 64
	if t.Kind == types.Float32 {
		bits = 32
	}
	v, err := strconv.ParseFloat(trimmed, bits)
	if err != nil {
		return types.Datum{}, numErr(err, t, s)
	}
	return types.FloatDatum(t, v), nil
}

// checkText rejects what Postgres's UTF-8 text input rejects: invalid
// UTF-8 and NUL bytes.
func checkText(b []byte) error {
	for i, c := range b {
		if c == 0 {
			return decodeErr(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
		}
		if c >= utf8.RuneSelf {
			if !utf8.Valid(b[i:]) {
				return decodeErr(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
			}
			return nil
		}
	}
	return nil
}

// truncateName cuts s to Postgres's NAMEDATALEN-1 (63) bytes on a
// character boundary, as name input does.
func truncateName(s string) string {
	const maxName = 63
	if len(s) <= maxName {
		return s
	}
	n := maxName
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func decodeJSONB(b []byte) (types.Datum, error) {
	out, err := types.AppendJSONB(nil, b)
	if err != nil {
		var je *types.JSONError
		if errors.As(err, &je) {
			return types.Datum{}, &DecodeError{Code: je.Code, Msg: je.Msg}
		}
		return types.Datum{}, decodeErr(CodeInvalidText, "invalid input syntax for type json")
	}
	return types.StringDatum(types.JSONBType, string(out)), nil
}

// parseByteaText reads bytea input: "\x" followed by hex digit pairs
// (white space allowed between pairs), or the escape format, where "\\"
// is a backslash and "\ooo" an octal byte.
func parseByteaText(b []byte) (string, error) {
	bad := func() (string, error) {
		return "", decodeErr(CodeInvalidText, "invalid input syntax for type bytea")
	}
	if len(b) >= 2 && b[0] == '\\' && (b[1] == 'x' || b[1] == 'X') {
		out := make([]byte, 0, (len(b)-2)/2)
		for i := 2; i < len(b); {
			c := b[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			if i+1 >= len(b) {
				return bad()
			}
			hi, ok1 := hexDigit(c)
			lo, ok2 := hexDigit(b[i+1])
			if !ok1 || !ok2 {
				return bad()
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return string(out), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(b) && isOctal(b[i+1], '3') && isOctal(b[i+2], '7') && isOctal(b[i+3], '7'):
			out = append(out, (b[i+1]-'0')<<6|(b[i+2]-'0')<<3|(b[i+3]-'0'))
			i += 3
		default:
			return bad()
		}
	}
	return string(out), nil
}

func isOctal(c, maxDigit byte) bool { return c >= '0' && c <= maxDigit }

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func parseDateText(s string) (types.Datum, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "infinity", "+infinity":
		return types.IntDatum(types.DateType, math.MaxInt32), nil
	case "-infinity":
		return types.IntDatum(types.DateType, math.MinInt32), nil
	}
	days, err := types.ParseDate(s)
	if err != nil {
		// Postgres's date input also reads a timestamp and keeps its
		// date (clients send "1999-12-31 00:00:00Z" for a time.Time).
		ts, terr := parseTimestampText(types.TimestampType, s)
		if terr != nil || ts.I == math.MaxInt64 || ts.I == math.MinInt64 {
			return types.Datum{}, datetimeErr(err, types.DateType, s)
		}
		d := ts.I / types.MicrosPerDay
		if ts.I%types.MicrosPerDay < 0 {
			d--
		}
		if d < math.MinInt32 || d > math.MaxInt32 {
			return types.Datum{}, decodeErr(CodeDatetimeOverflow, "date out of range: %q", s)
		}
		days = int32(d)
	}
	return types.IntDatum(types.DateType, int64(days)), nil
}

// extraTimestampLayouts are the timestamp forms clients send that
// types.ParseTimestamp does not read: pgx's zone offsets with seconds.
var extraTimestampLayouts = [...]string{
	"2006-01-02 15:04:05.999999999Z07:00:00",
}

func parseTimestampText(t types.Type, s string) (types.Datum, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "infinity", "+infinity":
		return types.IntDatum(t, math.MaxInt64), nil
	case "-infinity":
		return types.IntDatum(t, math.MinInt64), nil
	}
	us, err := types.ParseTimestamp(s)
	if err == nil {
		return types.IntDatum(t, us), nil
	}
	for _, layout := range extraTimestampLayouts {
		if tm, perr := parseTime(layout, strings.TrimSpace(s)); perr == nil {
			return types.IntDatum(t, tm), nil
		}
	}
	return types.Datum{}, datetimeErr(err, t, s)
}

func datetimeErr(err error, t types.Type, s string) error {
	if errors.Is(err, types.ErrFieldRange) {
		return decodeErr(CodeDatetimeOverflow, "date/time field value out of range: %q", s)
	}
	return decodeErr(CodeDatetimeFormat, "invalid input syntax for type %s: %q", t, s)
}

// parseTime parses s with layout into microseconds since the epoch.
func parseTime(layout, s string) (int64, error) {
	tm, err := time.Parse(layout, s)
	if err != nil {
		return 0, err
	}
	return tm.Unix()*types.MicrosPerSecond + int64(tm.Nanosecond()/1000), nil
}
