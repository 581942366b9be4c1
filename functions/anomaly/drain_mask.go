package anomaly

import (
	"regexp"
	"strings"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// DrainWildcard is the template token that stands for a variable part of a
// message: Drain writes it where a cluster's messages differ, and the
// default mask replaces every masking-pattern match with it.
const DrainWildcard = "<*>"

// DrainMask is one preprocessing step: every non-overlapping leftmost
// match of Pattern in a message's content is replaced by Mask before the
// content is tokenised (logparser's regex preprocessing). Rules apply in
// list order, each to the previous one's output.
type DrainMask struct {
	Pattern *regexp.Regexp
	// Mask is the literal replacement text: DrainWildcard, or a named mask
	// such as "<IP>", which Drain treats as an ordinary token.
	Mask string
}

// drainMaskSuffixRE matches an entry's optional ":<mask>" suffix.
var drainMaskSuffixRE = regexp.MustCompile(`:<(\*|[A-Za-z_][A-Za-z0-9_]*)>$`)

// ParseDrainMasking parses the masking option of DRAIN_TEMPLATE.
//
// The option is either the name of a preset (case-insensitive: 'hdfs',
// 'linux', ...; see DrainPresets), which selects the regular expressions
// the published Loghub benchmark used for that dataset, or a list of
// entries separated by ';':
//
//	'\d+(\.\d+){3}:<IP>;blk_-?\d+'
//
// Each entry is an RE2 regular expression, optionally followed by
// ":<NAME>" or ":<*>" to choose the text that replaces its matches (the
// default is <*>). A ';' inside a pattern must be drainEscaped as `\;` (also
// inside a character class); a pattern that must end with a literal
// ":<x>" writes `:\<x>`. An empty option means no masking. An empty
// entry, a pattern that does not compile and a pattern that matches the
// empty string (it would insert a mask between every two characters) are
// errors.
func ParseDrainMasking(opt string) ([]DrainMask, error) {
	if opt == "" {
		return nil, nil
	}
	if p, ok := LookupDrainPreset(opt); ok {
		return drainCompileMasks(p.Masking)
	}
	var rules []DrainMask
	for i, e := range drainSplitMasks(opt) {
		src, mask := e.text, DrainWildcard
		if m := drainMaskSuffixRE.FindStringIndex(src); m != nil && !drainEscaped(src, m[0]) {
			src, mask = src[:m[0]], src[m[0]+1:]
		}
		if src == "" {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue,
				"masking entry %d (at byte %d) has an empty pattern", i+1, e.off).
				WithHint(`Separate patterns with ';' and write a literal ';' as \;.`)
		}
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, sqlerr.Wrap(err, sqlerr.InvalidRegularExpression,
				"masking entry %d (at byte %d)", i+1, e.off)
		}
		if drainMatchesEmpty(re) {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue,
				"masking entry %d (at byte %d): pattern %q can match the empty string", i+1, e.off, src)
		}
		rules = append(rules, DrainMask{Pattern: re, Mask: mask})
	}
	return rules, nil
}

// FormatDrainMasking renders rules in the syntax ParseDrainMasking
// reads, every entry with its explicit mask suffix.
func FormatDrainMasking(rules []DrainMask) string {
	var b strings.Builder
	for i, r := range rules {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(drainEscapeSemicolons(r.Pattern.String()))
		b.WriteByte(':')
		b.WriteString(r.Mask)
	}
	return b.String()
}

type drainMaskEntry struct {
	text string
	off  int // byte offset in the option
}

// drainSplitMasks splits opt at every ';' not preceded by an escaping
// backslash. The escape stays in the entry: `\;` is RE2 for ';'.
func drainSplitMasks(opt string) []drainMaskEntry {
	var out []drainMaskEntry
	start := 0
	for i := 0; i < len(opt); i++ {
		switch opt[i] {
		case '\\':
			i++
		case ';':
			out = append(out, drainMaskEntry{opt[start:i], start})
			start = i + 1
		}
	}
	return append(out, drainMaskEntry{opt[start:], start})
}

// drainEscaped reports whether s[i] is preceded by an odd run of backslashes.
func drainEscaped(s string, i int) bool {
	n := 0
	for i > 0 && s[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

// drainEscapeSemicolons writes every unescaped ';' of a pattern as `\;`.
func drainEscapeSemicolons(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == ';' && !drainEscaped(p, i) {
			b.WriteByte('\\')
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// drainCompileMasks compiles preset patterns, each masked with DrainWildcard.
func drainCompileMasks(patterns []string) ([]DrainMask, error) {
	rules := make([]DrainMask, 0, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, sqlerr.Wrap(err, sqlerr.InvalidRegularExpression, "masking pattern %d", i+1)
		}
		rules = append(rules, DrainMask{Pattern: re, Mask: DrainWildcard})
	}
	return rules, nil
}

// drainEmptyProbe is a text with word, digit, punctuation and space
// boundaries for drainMatchesEmpty.
const drainEmptyProbe = "a0 b_1.c-d:/e\t=F,"

// drainMatchesEmpty reports whether re has an empty match in "" or in a
// probe text (patterns such as `x*` or `\b`): replacing empty matches
// would insert a mask between characters. The probe cannot catch every
// such pattern, only the plausible mistakes.
func drainMatchesEmpty(re *regexp.Regexp) bool {
	if re.MatchString("") {
		return true
	}
	for _, m := range re.FindAllStringIndex(drainEmptyProbe, -1) {
		if m[0] == m[1] {
			return true
		}
	}
	return false
}

// drainApplyMasks applies rules to s in order.
func drainApplyMasks(rules []DrainMask, s string) string {
	for i := range rules {
		s = rules[i].Pattern.ReplaceAllLiteralString(s, rules[i].Mask)
	}
	return s
}
