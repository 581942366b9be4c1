package types

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONError is invalid jsonb input. Code is the SQLSTATE Postgres
// reports for it (22P02 syntax, 22P05 \u0000, 54000 nesting); callers
// turn it into a client error.
type JSONError struct {
	Code   string
	Msg    string
	Detail string
}

func (e *JSONError) Error() string { return e.Msg }

// jsonbMaxDepth bounds the nesting of a jsonb value, as Postgres's stack
// depth limit does.
const jsonbMaxDepth = 1000

// AppendJSONB validates JSON text and appends it in Postgres's canonical
// jsonb form, which is what a jsonb column stores and prints: object
// keys sorted by length then bytes, the last of duplicate keys kept, ", "
// and ": " separators, strings re-escaped, numbers as numeric prints
// them. Invalid text is a *JSONError.
func AppendJSONB(dst, src []byte) ([]byte, error) {
	var c jsonbCanon
	i := skipJSONSpace(src, 0)
	out, i, err := c.value(dst, src, i, 0)
	if err != nil {
		return dst, err
	}
	if skipJSONSpace(src, i) != len(src) {
		return dst, errJSONSyntax()
	}
	return out, nil
}

func errJSONSyntax() error {
	return &JSONError{Code: "22P02", Msg: "invalid input syntax for type json"}
}

func skipJSONSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// jsonbCanon holds scratch buffers reused across the objects of one value.
type jsonbCanon struct {
	key []byte
}

// jsonbMember locates one object member's key and canonical value in a
// scratch buffer.
type jsonbMember struct {
	k0, k1, v0, v1 int
}

func (c *jsonbCanon) value(dst, d []byte, i, depth int) ([]byte, int, error) {
	if depth > jsonbMaxDepth {
		return dst, i, &JSONError{Code: "54000", Msg: "jsonb value nested too deeply (limit " + strconv.Itoa(jsonbMaxDepth) + ")"}
	}
	if i >= len(d) {
		return dst, i, errJSONSyntax()
	}
	switch b := d[i]; {
	case b == '{':
		return c.object(dst, d, i, depth)
	case b == '[':
		dst = append(dst, '[')
		i = skipJSONSpace(d, i+1)
		if i < len(d) && d[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for n := 0; ; n++ {
			if n > 0 {
				dst = append(dst, ", "...)
			}
			var err error
			if dst, i, err = c.value(dst, d, skipJSONSpace(d, i), depth+1); err != nil {
				return dst, i, err
			}
			i = skipJSONSpace(d, i)
			if i >= len(d) {
				return dst, i, errJSONSyntax()
			}
			if d[i] == ']' {
				return append(dst, ']'), i + 1, nil
			}
			if d[i] != ',' {
				return dst, i, errJSONSyntax()
			}
			i++
		}
	case b == '"':
		end, err := jsonStringEnd(d, i)
		if err != nil {
			return dst, i, err
		}
		start := len(c.key)
		c.key, err = UnescapeJSON(c.key, d[i+1:end-1])
		if err != nil {
			return dst, i, err
		}
		dst = AppendJSONString(dst, c.key[start:])
		c.key = c.key[:start]
		return dst, end, nil
	case b == '-' || (b >= '0' && b <= '9'):
		end, ok := jsonNumberEnd(d, i)
		if !ok {
			return dst, i, errJSONSyntax()
		}
		return AppendJSONNumber(dst, d[i:end]), end, nil
	default:
		for _, w := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(d[i:], []byte(w)) {
				return append(dst, w...), i + len(w), nil
			}
		}
		return dst, i, errJSONSyntax()
	}
}

// object canonicalises the object at d[i]: members go to a scratch
// buffer, are sorted as jsonb sorts keys, and the last of each duplicate
// key is written.
func (c *jsonbCanon) object(dst, d []byte, i, depth int) ([]byte, int, error) {
	i = skipJSONSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return append(dst, "{}"...), i + 1, nil
	}
	var scratch []byte
	var ms []jsonbMember
	for {
		if i >= len(d) || d[i] != '"' {
			return dst, i, errJSONSyntax()
		}
		end, err := jsonStringEnd(d, i)
		if err != nil {
			return dst, i, err
		}
		m := jsonbMember{k0: len(scratch)}
		if scratch, err = UnescapeJSON(scratch, d[i+1:end-1]); err != nil {
			return dst, i, err
		}
		m.k1 = len(scratch)
		i = skipJSONSpace(d, end)
		if i >= len(d) || d[i] != ':' {
			return dst, i, errJSONSyntax()
		}
		m.v0 = len(scratch)
		if scratch, i, err = c.value(scratch, d, skipJSONSpace(d, i+1), depth+1); err != nil {
			return dst, i, err
		}
		m.v1 = len(scratch)
		ms = append(ms, m)
		i = skipJSONSpace(d, i)
		if i >= len(d) {
			return dst, i, errJSONSyntax()
		}
		if d[i] == '}' {
			i++
			break
		}
		if d[i] != ',' {
			return dst, i, errJSONSyntax()
		}
		i = skipJSONSpace(d, i+1)
	}
	key := func(m jsonbMember) []byte { return scratch[m.k0:m.k1] }
	// A stable sort keeps duplicates in input order; the last one wins.
	slices.SortStableFunc(ms, func(a, b jsonbMember) int {
		ka, kb := key(a), key(b)
		if len(ka) != len(kb) {
			return len(ka) - len(kb)
		}
		return bytes.Compare(ka, kb)
	})
	dst = append(dst, '{')
	first := true
	for n, m := range ms {
		if n+1 < len(ms) && bytes.Equal(key(m), key(ms[n+1])) {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = AppendJSONString(dst, key(m))
		dst = append(dst, ": "...)
		dst = append(dst, scratch[m.v0:m.v1]...)
	}
	return append(dst, '}'), i, nil
}

// jsonStringEnd returns the index after the closing quote of the string
// that starts at d[i], checking it holds no raw control characters and
// valid UTF-8.
func jsonStringEnd(d []byte, i int) (int, error) {
	for j := i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '"':
			if !utf8.Valid(d[i+1 : j]) {
				return 0, errJSONSyntax()
			}
			return j + 1, nil
		case c == '\\':
			j++
		case c < 0x20:
			return 0, errJSONSyntax()
		}
	}
	return 0, errJSONSyntax()
}

// jsonNumberEnd returns the end of the JSON number at d[i] and whether
// it is well formed (-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?).
func jsonNumberEnd(d []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		return j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(i)
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

// AppendJSONString appends s as a JSON string with Postgres's escapes.
func AppendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	r := rune(0)
	for _, c := range s[:4] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// UnescapeJSON appends the contents of a JSON string (without its
// quotes) with escapes decoded. A lone surrogate becomes U+FFFD; \u0000
// is refused (a *JSONError 22P05) as Postgres refuses it in text.
func UnescapeJSON(dst, s []byte) ([]byte, error) {
	for len(s) > 0 {
		j := bytes.IndexByte(s, '\\')
		if j < 0 {
			return append(dst, s...), nil
		}
		dst = append(dst, s[:j]...)
		s = s[j:]
		if len(s) < 2 {
			return nil, errJSONSyntax()
		}
		switch s[1] {
		case '"', '\\', '/':
			dst = append(dst, s[1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[2:])
			if r < 0 {
				return nil, errJSONSyntax()
			}
			s = s[6:]
			if r == 0 {
				return nil, &JSONError{Code: "22P05", Msg: "unsupported Unicode escape sequence",
					Detail: `\u0000 cannot be converted to text.`}
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s[2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return nil, errJSONSyntax()
		}
		s = s[2:]
	}
	return dst, nil
}

// AppendJSONNumber appends a JSON number as jsonb's numeric output
// prints it: exponents expanded (1.5e2 → 150, 1e-2 → 0.01, keeping the
// digits' scale as numeric does) and negative zero as zero. Other
// numbers are copied.
func AppendJSONNumber(dst, num []byte) []byte {
	if !bytes.ContainsAny(num, "eE") && !(len(num) > 1 && num[0] == '-' && allZeroDigits(num[1:])) {
		return append(dst, num...)
	}
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	mant, exp := num, 0
	if k := bytes.IndexAny(num, "eE"); k >= 0 {
		mant = num[:k]
		e, sign := 0, 1
		rest := num[k+1:]
		if len(rest) > 0 && (rest[0] == '+' || rest[0] == '-') {
			if rest[0] == '-' {
				sign = -1
			}
			rest = rest[1:]
		}
		for _, c := range rest {
			if c < '0' || c > '9' || e > 1000 {
				return append(dst, num...)
			}
			e = e*10 + int(c-'0')
		}
		if e > 1000 {
			return append(dst, num...)
		}
		exp = sign * e
	}
	intPart, frac := mant, []byte(nil)
	if k := bytes.IndexByte(mant, '.'); k >= 0 {
		intPart, frac = mant[:k], mant[k+1:]
	}
	// digits × 10^(exp - len(frac)), with scale max(0, len(frac) - exp).
	digits := append(append([]byte{}, intPart...), frac...)
	point := len(intPart) + exp // position of the decimal point in digits
	scale := len(frac) - exp
	if scale < 0 {
		scale = 0
	}
	var out []byte
	switch {
	case point <= 0:
		out = append(out, '0')
		out = append(out, '.')
		for k := point; k < 0; k++ {
			out = append(out, '0')
		}
		out = append(out, digits...)
	case point >= len(digits):
		out = append(out, digits...)
		for k := len(digits); k < point; k++ {
			out = append(out, '0')
		}
	default:
		out = append(out, digits[:point]...)
		out = append(out, '.')
		out = append(out, digits[point:]...)
	}
	// Trim the integer part's leading zeros and fit the scale.
	dot := bytes.IndexByte(out, '.')
	ip := out
	var fp []byte
	if dot >= 0 {
		ip, fp = out[:dot], out[dot+1:]
	}
	for len(ip) > 1 && ip[0] == '0' {
		ip = ip[1:]
	}
	for len(fp) > scale && fp[len(fp)-1] == '0' {
		fp = fp[:len(fp)-1]
	}
	for len(fp) < scale {
		fp = append(fp, '0')
	}
	if neg && !(allZeroDigits(ip) && allZeroDigits(fp)) {
		dst = append(dst, '-')
	}
	dst = append(dst, ip...)
	if len(fp) > 0 {
		dst = append(dst, '.')
		dst = append(dst, fp...)
	}
	return dst
}

func allZeroDigits(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}
