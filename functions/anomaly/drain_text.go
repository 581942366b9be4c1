package anomaly

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Text rules Drain shares with logparser, the Python implementation the
// published Loghub accuracies come from. Python's str.split() and
// str.strip() cut on str.isspace() characters and its hasNumbers rule
// uses str.isdigit(); both are wider than ASCII and differ from Go's
// unicode.IsSpace / unicode.IsDigit by the few characters listed here.

// drainSpaceASCII marks the ASCII characters str.isspace() accepts: \t \n
// \v \f \r, the separators \x1c-\x1f, and space. Above ASCII the set is
// exactly unicode.IsSpace (U+0085, U+00A0 and the White_Space property).
var drainSpaceASCII = [utf8.RuneSelf]bool{
	'\t': true, '\n': true, '\v': true, '\f': true, '\r': true,
	0x1c: true, 0x1d: true, 0x1e: true, 0x1f: true, ' ': true,
}

// drainDigitExtra holds the characters str.isdigit() accepts that are not
// in Unicode category Nd (Numeric_Type=Digit: superscripts, circled
// digits, ...), as of Python 3.11's Unicode 14 database.
var drainDigitExtra = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x00b2, Hi: 0x00b3, Stride: 1},
		{Lo: 0x00b9, Hi: 0x00b9, Stride: 1},
		{Lo: 0x1369, Hi: 0x1371, Stride: 1},
		{Lo: 0x19da, Hi: 0x19da, Stride: 1},
		{Lo: 0x2070, Hi: 0x2070, Stride: 1},
		{Lo: 0x2074, Hi: 0x2079, Stride: 1},
		{Lo: 0x2080, Hi: 0x2089, Stride: 1},
		{Lo: 0x2460, Hi: 0x2468, Stride: 1},
		{Lo: 0x2474, Hi: 0x247c, Stride: 1},
		{Lo: 0x2488, Hi: 0x2490, Stride: 1},
		{Lo: 0x24ea, Hi: 0x24ea, Stride: 1},
		{Lo: 0x24f5, Hi: 0x24fd, Stride: 1},
		{Lo: 0x24ff, Hi: 0x24ff, Stride: 1},
		{Lo: 0x2776, Hi: 0x277e, Stride: 1},
		{Lo: 0x2780, Hi: 0x2788, Stride: 1},
		{Lo: 0x278a, Hi: 0x2792, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x10a40, Hi: 0x10a43, Stride: 1},
		{Lo: 0x10e60, Hi: 0x10e68, Stride: 1},
		{Lo: 0x11052, Hi: 0x1105a, Stride: 1},
		{Lo: 0x1f100, Hi: 0x1f10a, Stride: 1},
	},
}

// drainIsSpace reports whether Python's str.isspace() accepts r.
func drainIsSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return drainSpaceASCII[r]
	}
	return unicode.IsSpace(r)
}

// drainHasDigit is logparser's hasNumbers: whether any character of s is a
// digit by Python's str.isdigit().
func drainHasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r >= '0' && r <= '9' || r >= utf8.RuneSelf && (unicode.Is(unicode.Nd, r) || unicode.Is(drainDigitExtra, r)) {
					return true
				}
			}
			return false
		}
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// drainFields appends the whitespace-separated tokens of s to dst, as
// Python's s.split() does. The tokens are substrings of s.
func drainFields(dst []string, s string) []string {
	start := -1
	for i := 0; i < len(s); {
		c := s[i]
		var space bool
		w := 1
		if c < utf8.RuneSelf {
			space = drainSpaceASCII[c]
		} else {
			var r rune
			r, w = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += w
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// drainTrim is Python's s.strip().
func drainTrim(s string) string {
	return strings.TrimFunc(s, drainIsSpace)
}

// drainHeaderSpace is what a run of spaces in a log format's literal text
// becomes: logparser writes `\s+`, and its regex engine's \s is the
// Unicode White_Space set, which RE2's \s (ASCII, without \v) is not.
const drainHeaderSpace = `[[:space:]\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+`

// drainPlaceholderRE finds the <Name> fields of a log format.
var drainPlaceholderRE = regexp.MustCompile(`<[^<>]+>`)

// LogFormat extracts a log line's message (its Content field) from the
// header around it, as logparser does before parsing: the format text
// is a regular expression in which each <Name> stands for a lazily
// matched field and each run of spaces matches a run of whitespace, and
// the whole line (trimmed of surrounding whitespace) must match it. A
// LogFormat is immutable and safe for concurrent use.
type LogFormat struct {
	text    string
	re      *regexp.Regexp
	content int // submatch index of the Content field
}

// ParseLogFormat compiles a log format such as
// `<Date> <Time> <Pid> <Level> <Component>: <Content>`. Text outside the
// <Name> fields is RE2 regular-expression syntax (so `\[` is a literal
// bracket and `(\[<PID>\])?` an optional field), except that every run
// of spaces matches one or more whitespace characters. The format must
// have a <Content> field; field names are letters, digits and
// underscores, each used once. An empty format is an error: a model
// without header extraction has a nil *LogFormat.
func ParseLogFormat(format string) (*LogFormat, error) {
	if format == "" {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "log format must not be empty")
	}
	var b strings.Builder
	b.WriteByte('^')
	literal := func(s string) {
		for len(s) > 0 {
			i := strings.IndexByte(s, ' ')
			if i < 0 {
				b.WriteString(s)
				return
			}
			b.WriteString(s[:i])
			b.WriteString(drainHeaderSpace)
			s = strings.TrimLeft(s[i:], " ")
		}
	}
	prev := 0
	hasContent := false
	seen := make(map[string]bool)
	for _, loc := range drainPlaceholderRE.FindAllStringIndex(format, -1) {
		literal(format[prev:loc[0]])
		// logparser strips every leading '<' and trailing '>'; the
		// match [^<>]+ leaves exactly one of each.
		name := format[loc[0]+1 : loc[1]-1]
		if !drainIsFieldName(name) {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue,
				"log format field <%s> at byte %d: a field name is letters, digits and underscores", name, loc[0])
		}
		if seen[name] {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "log format field <%s> appears twice", name)
		}
		seen[name] = true
		hasContent = hasContent || name == "Content"
		b.WriteString("(?P<")
		b.WriteString(name)
		b.WriteString(">.*?)")
		prev = loc[1]
	}
	literal(format[prev:])
	b.WriteByte('$')
	if !hasContent {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "log format %q has no <Content> field", format)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, sqlerr.Wrap(err, sqlerr.InvalidRegularExpression, "log format %q", format)
	}
	return &LogFormat{text: format, re: re, content: re.SubexpIndex("Content")}, nil
}

func drainIsFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// String returns the format text ParseLogFormat was given.
func (f *LogFormat) String() string { return f.text }

// Content returns the Content field of line (a substring of it), or
// false when the trimmed line does not match the format, a line
// logparser skips.
func (f *LogFormat) Content(line string) (string, bool) {
	line = drainTrim(line)
	m := f.re.FindStringSubmatchIndex(line)
	if m == nil || m[2*f.content] < 0 {
		return "", false
	}
	return line[m[2*f.content]:m[2*f.content+1]], true
}
