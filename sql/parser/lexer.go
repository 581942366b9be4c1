package parser

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tEOF tokKind = iota
	// tIdent is an unquoted word (identifier or keyword); val is folded to
	// lower case.
	tIdent
	// tQIdent is a "quoted" identifier; val is its content.
	tQIdent
	// tNumber is a numeric constant; val is its text, float tells whether
	// it has a fraction or exponent.
	tNumber
	// tString is a string constant of any spelling ('..', E'..', $$..$$);
	// val is the unescaped content.
	tString
	// tBitString is B'..' or X'..'; val is the digits, prefix the letter.
	tBitString
	// tParam is $n; val is the digits.
	tParam
	// tOp is an operator or punctuation; val is its text.
	tOp
)

// token is one lexical token. off and end are byte offsets into the full
// text (the whole Query message), so positions need no translation.
type token struct {
	kind   tokKind
	off    int
	end    int
	val    string
	prefix byte
	float  bool
}

// is reports whether t is the unquoted word w (w is lower case).
func (t token) is(w string) bool { return t.kind == tIdent && t.val == w }

// isOp reports whether t is the operator or punctuation s.
func (t token) isOp(s string) bool { return t.kind == tOp && t.val == s }

// isWord reports whether t is an identifier, quoted or not.
func (t token) isWord() bool { return t.kind == tIdent || t.kind == tQIdent }

// reservedPrefix starts every name the rewriter invents for the TiDB
// parser; user identifiers may not use it so they can never collide.
const reservedPrefix = "__tocsin_"

// opChars are the characters Postgres operators are made of.
const opChars = "~!@#^&|`?+-*/%<>="

func isOpChar(c byte) bool { return strings.IndexByte(opChars, c) >= 0 }

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// lexer turns text into tokens following Postgres's lexical rules with
// standard_conforming_strings on.
type lexer struct {
	text string
	pos  int
	toks []token
}

// lex tokenizes all of text. The result always ends with a tEOF token
// whose offset is len(text).
func lex(text string) ([]token, error) {
	l := &lexer{text: text, toks: make([]token, 0, len(text)/4+1)}
	for {
		if err := l.skipSpaceAndComments(); err != nil {
			return nil, err
		}
		if l.pos >= len(l.text) {
			l.toks = append(l.toks, token{kind: tEOF, off: len(text), end: len(text)})
			return l.toks, nil
		}
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		l.toks = append(l.toks, t)
	}
}

func (l *lexer) skipSpaceAndComments() error {
	for l.pos < len(l.text) {
		c := l.text[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '-' && l.peek(1) == '-':
			for l.pos < len(l.text) && l.text[l.pos] != '\n' {
				l.pos++
			}
		case c == '/' && l.peek(1) == '*':
			if err := l.blockComment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

func (l *lexer) peek(n int) byte {
	if l.pos+n < len(l.text) {
		return l.text[l.pos+n]
	}
	return 0
}

// blockComment skips a /* */ comment, which nests in Postgres.
func (l *lexer) blockComment() error {
	start := l.pos
	depth := 0
	for l.pos < len(l.text) {
		switch {
		case l.text[l.pos] == '/' && l.peek(1) == '*':
			depth++
			l.pos += 2
		case l.text[l.pos] == '*' && l.peek(1) == '/':
			depth--
			l.pos += 2
			if depth == 0 {
				return nil
			}
		default:
			l.pos++
		}
	}
	return l.errAt(start, "unterminated /* comment")
}

// errAt returns a 42601 error for the token starting at off, quoting the
// text from there as Postgres does ("at or near").
func (l *lexer) errAt(off int, msg string) error {
	near := l.text[off:]
	if i := strings.IndexAny(near, "\n"); i >= 0 {
		near = near[:i]
	}
	if len(near) > 40 {
		near = near[:40]
		for !utf8.ValidString(near) && len(near) > 0 {
			near = near[:len(near)-1]
		}
	}
	return sqlerr.At(sqlerr.SyntaxError, off, "%s at or near \"%s\"", msg, near)
}

func (l *lexer) next() (token, error) {
	start := l.pos
	c := l.text[start]
	switch {
	case c == '\'':
		return l.quoted(start, start, false)
	case (c == 'e' || c == 'E') && l.peek(1) == '\'':
		return l.quoted(start, start+1, true)
	case (c == 'n' || c == 'N') && l.peek(1) == '\'':
		return l.quoted(start, start+1, false)
	case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && l.peek(1) == '\'':
		return l.bitString(start)
	case (c == 'u' || c == 'U') && l.peek(1) == '&' && (l.peek(2) == '\'' || l.peek(2) == '"'):
		return token{}, sqlerr.At(sqlerr.FeatureNotSupported, start, "Unicode escape strings (U&'...') are not supported")
	case c == '"':
		return l.quotedIdent(start)
	case c == '$':
		return l.dollar(start)
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		return l.number(start)
	case isIdentStart(c):
		for l.pos < len(l.text) && isIdentChar(l.text[l.pos]) {
			l.pos++
		}
		word := l.text[start:l.pos]
		folded := foldIdent(word)
		if strings.HasPrefix(folded, reservedPrefix) {
			return token{}, sqlerr.At(sqlerr.SyntaxError, start, "identifier \"%s\" uses the reserved prefix \"%s\"", folded, reservedPrefix)
		}
		return token{kind: tIdent, off: start, end: l.pos, val: folded}, nil
	case c == ':' && l.peek(1) == ':':
		l.pos += 2
		return token{kind: tOp, off: start, end: l.pos, val: "::"}, nil
	case strings.IndexByte("(),;[].:", c) >= 0:
		l.pos++
		return token{kind: tOp, off: start, end: l.pos, val: string(c)}, nil
	case c == '`':
		return token{}, sqlerr.At(sqlerr.SyntaxError, start,
			"syntax error at or near \"`\"").WithHint("Backtick-quoted identifiers are MySQL syntax; use double quotes.")
	case isOpChar(c):
		return l.operator(start), nil
	}
	_, size := utf8.DecodeRuneInString(l.text[start:])
	return token{}, sqlerr.At(sqlerr.SyntaxError, start, "syntax error at or near \"%s\"", l.text[start:start+size])
}

// foldIdent lower-cases the ASCII letters of an unquoted identifier, as
// Postgres does for multibyte encodings.
func foldIdent(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// operator scans an operator with Postgres's rules: the longest run of
// operator characters, cut at an embedded comment start, and with a
// trailing + or - dropped unless the operator contains one of ~!@#%^&|`?
// (so that a=-1 is "=", "-", "1").
func (l *lexer) operator(start int) token {
	end := start
	for end < len(l.text) && isOpChar(l.text[end]) {
		end++
	}
	op := l.text[start:end]
	if i := strings.Index(op, "/*"); i > 0 {
		op = op[:i]
	}
	if i := strings.Index(op, "--"); i > 0 {
		op = op[:i]
	}
	if len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') && !strings.ContainsAny(op[:len(op)-1], "~!@#%^&|`?") {
		for len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') {
			op = op[:len(op)-1]
		}
	}
	l.pos = start + len(op)
	return token{kind: tOp, off: start, end: l.pos, val: op}
}

func (l *lexer) number(start int) (token, error) {
	float := false
	for l.pos < len(l.text) && isDigit(l.text[l.pos]) {
		l.pos++
	}
	if l.pos < len(l.text) && l.text[l.pos] == '.' && l.peek(1) != '.' {
		float = true
		l.pos++
		for l.pos < len(l.text) && isDigit(l.text[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.text) && (l.text[l.pos] == 'e' || l.text[l.pos] == 'E') {
		j := l.pos + 1
		if j < len(l.text) && (l.text[j] == '+' || l.text[j] == '-') {
			j++
		}
		if j < len(l.text) && isDigit(l.text[j]) {
			float = true
			l.pos = j
			for l.pos < len(l.text) && isDigit(l.text[l.pos]) {
				l.pos++
			}
		}
	}
	if l.pos < len(l.text) && isIdentStart(l.text[l.pos]) {
		end := l.pos
		for end < len(l.text) && isIdentChar(l.text[end]) {
			end++
		}
		return token{}, sqlerr.At(sqlerr.SyntaxError, start, "trailing junk after numeric literal at or near \"%s\"", l.text[start:end])
	}
	return token{kind: tNumber, off: start, end: l.pos, val: l.text[start:l.pos], float: float}, nil
}

// quoted scans a string literal whose opening quote is at q. E strings
// (escapes true) interpret backslash escapes. Segments separated only by
// whitespace that contains a newline are concatenated, as in Postgres.
func (l *lexer) quoted(start, q int, escapes bool) (token, error) {
	var sb strings.Builder
	l.pos = q
	for {
		if err := l.stringBody(start, escapes, &sb); err != nil {
			return token{}, err
		}
		// Continuation: whitespace including a newline, then another quote.
		j, newline := l.pos, false
		for j < len(l.text) && isSpace(l.text[j]) {
			if l.text[j] == '\n' || l.text[j] == '\r' {
				newline = true
			}
			j++
		}
		if !newline || j >= len(l.text) || l.text[j] != '\'' {
			break
		}
		l.pos = j
	}
	return token{kind: tString, off: start, end: l.pos, val: sb.String()}, nil
}

// stringBody scans from the opening quote at l.pos to after the closing
// one, appending the content to sb.
func (l *lexer) stringBody(start int, escapes bool, sb *strings.Builder) error {
	l.pos++ // opening quote
	for {
		if l.pos >= len(l.text) {
			return l.errAt(start, "unterminated quoted string")
		}
		c := l.text[l.pos]
		switch {
		case c == '\'':
			if l.peek(1) == '\'' {
				sb.WriteByte('\'')
				l.pos += 2
				continue
			}
			l.pos++
			return nil
		case c == '\\' && escapes:
			if err := l.escape(sb); err != nil {
				return err
			}
		default:
			sb.WriteByte(c)
			l.pos++
		}
	}
}

// escape decodes one backslash escape of an E'...' string at l.pos.
func (l *lexer) escape(sb *strings.Builder) error {
	at := l.pos
	if l.pos+1 >= len(l.text) {
		l.pos++
		return nil // the missing quote is reported by the caller
	}
	c := l.text[l.pos+1]
	l.pos += 2
	switch c {
	case 'b':
		sb.WriteByte('\b')
	case 'f':
		sb.WriteByte('\f')
	case 'n':
		sb.WriteByte('\n')
	case 'r':
		sb.WriteByte('\r')
	case 't':
		sb.WriteByte('\t')
	case 'x':
		n := l.digits(2, 16)
		if n == "" {
			sb.WriteByte('x')
			return nil
		}
		v, _ := strconv.ParseUint(n, 16, 8)
		sb.WriteByte(byte(v))
	case 'u', 'U':
		width := 4
		if c == 'U' {
			width = 8
		}
		n := l.digits(width, 16)
		if len(n) != width {
			return sqlerr.At(sqlerr.SyntaxError, at, "invalid Unicode escape").WithHint("Unicode escapes must be \\uXXXX or \\UXXXXXXXX.")
		}
		v, _ := strconv.ParseUint(n, 16, 32)
		if v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return sqlerr.At(sqlerr.SyntaxError, at, "invalid Unicode escape value")
		}
		sb.WriteRune(rune(v))
	default:
		if c >= '0' && c <= '7' {
			l.pos--
			n := l.digits(3, 8)
			v, _ := strconv.ParseUint(n, 8, 16)
			sb.WriteByte(byte(v))
			return nil
		}
		sb.WriteByte(c)
	}
	return nil
}

// digits consumes up to max digits of the given base.
func (l *lexer) digits(max, base int) string {
	s := l.pos
	for l.pos < len(l.text) && l.pos-s < max {
		c := l.text[l.pos]
		ok := (c >= '0' && c <= '7') || (base >= 10 && isDigit(c)) ||
			(base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
		if !ok {
			break
		}
		l.pos++
	}
	return l.text[s:l.pos]
}

func (l *lexer) bitString(start int) (token, error) {
	prefix := l.text[start] | 0x20
	var sb strings.Builder
	l.pos = start + 1
	if err := l.stringBody(start, false, &sb); err != nil {
		return token{}, err
	}
	v := sb.String()
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok := c == '0' || c == '1'
		if prefix == 'x' {
			ok = isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
		}
		if !ok {
			kind := "binary"
			if prefix == 'x' {
				kind = "hexadecimal"
			}
			return token{}, sqlerr.At(sqlerr.SyntaxError, start, "\"%s\" is not a valid %s digit", string(c), kind)
		}
	}
	return token{kind: tBitString, off: start, end: l.pos, val: v, prefix: prefix}, nil
}

func (l *lexer) quotedIdent(start int) (token, error) {
	var sb strings.Builder
	l.pos = start + 1
	for {
		if l.pos >= len(l.text) {
			return token{}, l.errAt(start, "unterminated quoted identifier")
		}
		c := l.text[l.pos]
		if c == '"' {
			if l.peek(1) == '"' {
				sb.WriteByte('"')
				l.pos += 2
				continue
			}
			l.pos++
			break
		}
		sb.WriteByte(c)
		l.pos++
	}
	name := sb.String()
	if name == "" {
		return token{}, sqlerr.At(sqlerr.SyntaxError, start, "zero-length delimited identifier at or near \"\"\"\"")
	}
	if strings.HasPrefix(name, reservedPrefix) {
		return token{}, sqlerr.At(sqlerr.SyntaxError, start, "identifier \"%s\" uses the reserved prefix \"%s\"", name, reservedPrefix)
	}
	return token{kind: tQIdent, off: start, end: l.pos, val: name}, nil
}

// dollar scans $n parameters and $tag$...$tag$ strings.
func (l *lexer) dollar(start int) (token, error) {
	j := start + 1
	if j < len(l.text) && isDigit(l.text[j]) {
		for j < len(l.text) && isDigit(l.text[j]) {
			j++
		}
		if j < len(l.text) && isIdentChar(l.text[j]) {
			return token{}, sqlerr.At(sqlerr.SyntaxError, start, "trailing junk after parameter at or near \"%s\"", l.text[start:j+1])
		}
		l.pos = j
		return token{kind: tParam, off: start, end: j, val: l.text[start+1 : j]}, nil
	}
	for j < len(l.text) && isIdentChar(l.text[j]) && l.text[j] != '$' {
		j++
	}
	if j >= len(l.text) || l.text[j] != '$' {
		return token{}, sqlerr.At(sqlerr.SyntaxError, start, "syntax error at or near \"$\"")
	}
	delim := l.text[start : j+1]
	body := j + 1
	k := strings.Index(l.text[body:], delim)
	if k < 0 {
		return token{}, l.errAt(start, "unterminated dollar-quoted string")
	}
	l.pos = body + k + len(delim)
	return token{kind: tString, off: start, end: l.pos, val: l.text[body : body+k]}, nil
}
