package format

import (
	"encoding/binary"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// valueKind is the JSON type of a scanned value.
type valueKind uint8

const (
	kindAbsent valueKind = iota
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject
	kindArray
)

func (k valueKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindTrue, kindFalse:
		return "boolean"
	case kindNull:
		return "null"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "absent"
}

// syntaxErr says why a record is not valid JSON. The scanner records a
// code and a byte position rather than an error value so that the valid
// path never allocates.
type syntaxErr uint8

const (
	synOK syntaxErr = iota
	synEOF
	synUnexpected
	synControl
	synEscape
	synUTF8
	synDepth
	synNotObject
	synTrailing
	synNumber
)

// scanner validates JSON over a byte slice. Methods advance pos past what
// they accept and return false after recording the first error.
type scanner struct {
	buf      []byte
	pos      int
	err      syntaxErr
	errPos   int
	maxDepth int

	// The last number scanned: when numInt, it was an integer of at
	// most 18 digits (no fraction or exponent) whose magnitude is num,
	// negative if numNeg, so converting it needs no second parse.
	num    uint64
	numNeg bool
	numInt bool
}

func (s *scanner) reset(buf []byte) {
	s.buf = buf
	s.pos = 0
	s.err = synOK
	s.errPos = 0
}

// fail records e at the current position (the first error wins) and
// returns false so callers can `return s.fail(...)`.
func (s *scanner) fail(e syntaxErr) bool {
	if s.err == synOK {
		s.err = e
		s.errPos = s.pos
	}
	return false
}

// message describes the recorded error for a DecodeError.
func (s *scanner) message() string {
	what := ""
	switch s.err {
	case synEOF:
		what = "unexpected end of input"
	case synUnexpected:
		what = "unexpected " + describeByte(s.buf, s.errPos)
	case synControl:
		what = "unescaped control character in string"
	case synEscape:
		what = "invalid escape sequence in string"
	case synUTF8:
		what = "invalid UTF-8"
	case synDepth:
		what = fmt.Sprintf("nesting deeper than %d", s.maxDepth)
	case synTrailing:
		what = "unexpected data after the top-level object: " + describeByte(s.buf, s.errPos)
	case synNumber:
		what = "invalid number"
	case synNotObject:
		what = "not an object"
	}
	return fmt.Sprintf("invalid JSON at byte %d: %s", s.errPos, what)
}

func describeByte(b []byte, i int) string {
	if i >= len(b) {
		return "end of input"
	}
	c := b[i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *scanner) skipWS() {
	// Compact JSON has no whitespace between tokens: one compare.
	if s.pos < len(s.buf) && s.buf[s.pos] > ' ' {
		return
	}
	s.skipWSSlow()
}

func (s *scanner) skipWSSlow() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// expect consumes byte c or fails.
func (s *scanner) expect(c byte) bool {
	if s.pos >= len(s.buf) {
		return s.fail(synEOF)
	}
	if s.buf[s.pos] != c {
		return s.fail(synUnexpected)
	}
	s.pos++
	return true
}

// strSafe marks the bytes a string may contain without further checks:
// printable ASCII other than the quote and the backslash.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strSpecial reports whether any of the eight bytes of w (SWAR) is not
// strSafe: a quote, a backslash, a control character or a byte >= 0x80.
func strSpecial(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (ones * '"')
	bslash := w ^ (ones * '\\')
	// A byte is zero (x - 1 borrows into its high bit), below 0x20, or
	// has its high bit set.
	zeroQ := (quote - ones) &^ quote
	zeroB := (bslash - ones) &^ bslash
	ctl := (w - ones*0x20) &^ w
	return (zeroQ|zeroB|ctl|w)&highs != 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// str scans a string whose opening quote is at pos and leaves pos after
// the closing quote. It reports whether the string holds escapes.
func (s *scanner) str() (esc, ok bool) {
	b := s.buf
	i := s.pos + 1
	for {
		// Eight bytes at a time while none needs a look.
		for i+8 <= len(b) && !strSpecial(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		if i >= len(b) {
			s.pos = i
			return false, s.fail(synEOF)
		}
		c := b[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				s.pos = i + 1
				return false, s.fail(synEOF)
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						s.pos = k
						return false, s.fail(synEOF)
					}
					if !isHex(b[k]) {
						s.pos = k
						return false, s.fail(synEscape)
					}
				}
				i += 6
			default:
				s.pos = i
				return false, s.fail(synEscape)
			}
		case c < 0x20:
			s.pos = i
			return false, s.fail(synControl)
		default: // c >= 0x80
			_, size := utf8.DecodeRune(b[i:])
			if size == 1 {
				s.pos = i
				return false, s.fail(synUTF8)
			}
			i += size
		}
	}
}

// number scans a number starting at pos.
func (s *scanner) number() bool {
	b := s.buf
	i := s.pos
	s.numNeg = b[i] == '-'
	if s.numNeg {
		i++
	}
	if i >= len(b) {
		s.pos = i
		return s.fail(synEOF)
	}
	var v uint64
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		start := i
		v = uint64(c - '0')
		i++
		for i < len(b) && isDigit(b[i]) {
			v = v*10 + uint64(b[i]-'0')
			i++
		}
		s.numInt = i-start <= 18
	default:
		s.pos = i
		return s.fail(synNumber)
	}
	s.num = v
	if v == 0 {
		s.numInt = true
	}
	if i < len(b) && b[i] == '.' {
		s.numInt = false
		i++
		if i >= len(b) {
			s.pos = i
			return s.fail(synEOF)
		}
		if !isDigit(b[i]) {
			s.pos = i
			return s.fail(synNumber)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		s.numInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			s.pos = i
			return s.fail(synEOF)
		}
		if !isDigit(b[i]) {
			s.pos = i
			return s.fail(synNumber)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	s.pos = i
	return true
}

// literal scans one of true, false, null.
func (s *scanner) literal(w string) bool {
	rest := s.buf[s.pos:]
	if len(rest) < len(w) {
		if string(rest) == w[:len(rest)] {
			s.pos = len(s.buf)
			return s.fail(synEOF)
		}
		return s.fail(synUnexpected)
	}
	if string(rest[:len(w)]) != w {
		return s.fail(synUnexpected)
	}
	s.pos += len(w)
	return true
}

// value scans any value at pos; depth is the nesting depth of the
// container holding it (0 at the top level).
func (s *scanner) value(depth int) (valueKind, bool) {
	if s.pos >= len(s.buf) {
		return kindAbsent, s.fail(synEOF)
	}
	switch c := s.buf[s.pos]; c {
	case '"':
		_, ok := s.str()
		return kindString, ok
	case '{':
		return kindObject, s.object(depth + 1)
	case '[':
		return kindArray, s.array(depth + 1)
	case 't':
		return kindTrue, s.literal("true")
	case 'f':
		return kindFalse, s.literal("false")
	case 'n':
		return kindNull, s.literal("null")
	default:
		if c == '-' || isDigit(c) {
			return kindNumber, s.number()
		}
		return kindAbsent, s.fail(synUnexpected)
	}
}

// object scans an object whose '{' is at pos, at the given depth.
func (s *scanner) object(depth int) bool {
	if depth > s.maxDepth {
		return s.fail(synDepth)
	}
	s.pos++
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		if s.pos >= len(s.buf) {
			return s.fail(synEOF)
		}
		if s.buf[s.pos] != '"' {
			return s.fail(synUnexpected)
		}
		if _, ok := s.str(); !ok {
			return false
		}
		s.skipWS()
		if !s.expect(':') {
			return false
		}
		s.skipWS()
		if _, ok := s.value(depth); !ok {
			return false
		}
		s.skipWS()
		if s.pos >= len(s.buf) {
			return s.fail(synEOF)
		}
		switch s.buf[s.pos] {
		case ',':
			s.pos++
			s.skipWS()
		case '}':
			s.pos++
			return true
		default:
			return s.fail(synUnexpected)
		}
	}
}

// array scans an array whose '[' is at pos, at the given depth.
func (s *scanner) array(depth int) bool {
	if depth > s.maxDepth {
		return s.fail(synDepth)
	}
	s.pos++
	s.skipWS()
	if s.pos < len(s.buf) && s.buf[s.pos] == ']' {
		s.pos++
		return true
	}
	for {
		if _, ok := s.value(depth); !ok {
			return false
		}
		s.skipWS()
		if s.pos >= len(s.buf) {
			return s.fail(synEOF)
		}
		switch s.buf[s.pos] {
		case ',':
			s.pos++
			s.skipWS()
		case ']':
			s.pos++
			return true
		default:
			return s.fail(synUnexpected)
		}
	}
}

// appendUnescaped appends the decoded content of a validated JSON string
// (the bytes between the quotes) to dst. Unpaired UTF-16 surrogates become
// U+FFFD, as encoding/json does.
func appendUnescaped(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		if src[i] != '\\' {
			j := i + 1
			for j < len(src) && src[j] != '\\' {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
			continue
		}
		switch c := src[i+1]; c {
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
			r := hex4(src[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(src) && src[i] == '\\' && src[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(src[i+2:i+6])); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
