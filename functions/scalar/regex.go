package scalar

import (
	"bytes"
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// POSIX regular expressions: the operators ~ ~* !~ !~*, regexp_like and
// regexp_replace. Patterns run on Go's RE2 engine, which covers the
// common subset of Postgres's ARE syntax; it has no backreferences or
// lookaround, and \m \M are not translated (they are rejected as
// invalid). To keep Postgres's defaults, '.' matches a newline (flag
// (?s)) and ^ $ anchor only at the ends of the string unless the 'n'
// flag asks for newline-sensitive matching; \y \Y \Z are translated to
// \b \B \z. A constant pattern is compiled once by Prepare; a pattern
// column is recompiled only when it changes from one row to the next.

func registerRegex(r *functions.Registry) {
	text, boolean := types.TextType, types.BoolType
	ops := []struct {
		name      string
		fold, neg bool
	}{{"~", false, false}, {"~*", true, false}, {"!~", false, true}, {"!~*", true, true}}
	for _, op := range ops {
		flags := ""
		if op.fold {
			flags = "i"
		}
		neg := op.neg
		r.AddScalar(&functions.Scalar{
			Name: op.name, Args: []types.Type{text, text}, Ret: boolean, Doc: "regular expression match",
			Kernel: strict(boolean, regexMatchKernel(flags, neg, nil)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				return prepareRegexMatch(consts, flags, neg)
			},
		})
	}
	for _, args := range [][]types.Type{{text, text}, {text, text, text}} {
		r.AddScalar(&functions.Scalar{
			Name: "regexp_like", Args: args, Ret: boolean, Doc: "whether a regular expression matches",
			Kernel: strict(boolean, regexMatchKernel("", false, nil)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				return prepareRegexMatch(consts, "", false)
			},
		})
	}
	for _, args := range [][]types.Type{{text, text, text}, {text, text, text, text}} {
		r.AddScalar(&functions.Scalar{
			Name: "regexp_replace", Args: args, Ret: text, Doc: "replace matches of a regular expression",
			Kernel:  strict(text, regexReplaceKernel(nil)),
			Prepare: prepareRegexReplace,
		})
	}
}

// regexOpts are the parsed flags of a regular-expression function.
type regexOpts struct {
	global bool
	prefix string // Go flag group, e.g. "(?is)"
	quote  bool
}

// parseRegexFlags interprets Postgres's flag letters. allowGlobal is
// false where 'g' is meaningless (regexp_like).
func parseRegexFlags(flags string, allowGlobal bool) (regexOpts, error) {
	var o regexOpts
	fold, dotNL, multiLine := false, true, false
	for _, c := range flags {
		switch c {
		case 'g':
			if !allowGlobal {
				return o, sqlerr.New(sqlerr.InvalidParameterValue, "%s does not support the \"global\" option", "regexp_like")
			}
			o.global = true
		case 'i':
			fold = true
		case 'c':
			fold = false
		case 'n', 'm':
			dotNL, multiLine = false, true
		case 's':
			dotNL, multiLine = true, false
		case 'p':
			dotNL, multiLine = false, false
		case 'w':
			dotNL, multiLine = true, true
		case 'q':
			o.quote = true
		case 't':
		case 'b', 'e', 'x':
			return o, sqlerr.New(sqlerr.FeatureNotSupported, "regular expression option %q is not supported", string(c))
		default:
			return o, sqlerr.New(sqlerr.InvalidParameterValue, "invalid regular expression option: %q", string(c))
		}
	}
	p := "(?"
	if fold {
		p += "i"
	}
	if dotNL {
		p += "s"
	}
	if multiLine {
		p += "m"
	}
	if p != "(?" {
		o.prefix = p + ")"
	}
	return o, nil
}

// translateARE rewrites the Postgres escapes RE2 spells differently.
func translateARE(pattern string) string {
	if !strings.Contains(pattern, `\`) {
		return pattern
	}
	out := make([]byte, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '\\' || i+1 == len(pattern) {
			out = append(out, c)
			continue
		}
		i++
		switch pattern[i] {
		case 'y':
			out = append(out, `\b`...)
		case 'Y':
			out = append(out, `\B`...)
		case 'Z':
			out = append(out, `\z`...)
		default:
			out = append(out, '\\', pattern[i])
		}
	}
	return string(out)
}

// compileRegex compiles a Postgres pattern with parsed options.
func compileRegex(pattern string, o regexOpts) (*regexp.Regexp, error) {
	src := translateARE(pattern)
	if o.quote {
		src = regexp.QuoteMeta(pattern)
	}
	re, err := regexp.Compile(o.prefix + src)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
			if se.Expr != "" {
				msg += ": " + se.Expr
			}
		}
		return nil, sqlerr.New(sqlerr.InvalidRegularExpression, "invalid regular expression: %s", msg)
	}
	return re, nil
}

// regexCache remembers the last compiled pattern and flags so that a
// pattern column is compiled once per distinct run of values.
type regexCache struct {
	pattern, flags []byte
	re             *regexp.Regexp
	opts           regexOpts
	valid          bool
}

func (c *regexCache) get(pattern, flags []byte, allowGlobal bool) (*regexp.Regexp, regexOpts, error) {
	if c.valid && bytes.Equal(pattern, c.pattern) && bytes.Equal(flags, c.flags) {
		return c.re, c.opts, nil
	}
	o, err := parseRegexFlags(string(flags), allowGlobal)
	if err != nil {
		return nil, o, err
	}
	re, err := compileRegex(string(pattern), o)
	if err != nil {
		return nil, o, err
	}
	*c = regexCache{pattern: bytes.Clone(pattern), flags: bytes.Clone(flags), re: re, opts: o, valid: true}
	return re, o, nil
}

func prepareRegexMatch(consts []*types.Datum, flags string, neg bool) (functions.Kernel, error) {
	generic := strict(types.BoolType, regexMatchKernel(flags, neg, nil))
	if consts[1] == nil || anyNullConst(consts) {
		return generic, nil
	}
	if len(consts) > 2 {
		if consts[2] == nil {
			return generic, nil
		}
		flags = consts[2].S
	}
	o, err := parseRegexFlags(flags, false)
	if err != nil {
		return nil, err
	}
	re, err := compileRegex(consts[1].S, o)
	if err != nil {
		return nil, err
	}
	return strict(types.BoolType, regexMatchKernel(flags, neg, re)), nil
}

// regexMatchKernel evaluates text ~ pattern (negated for !~) with a
// prepared expression re, or with the pattern (and flags) arguments.
func regexMatchKernel(flags string, neg bool, re *regexp.Regexp) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in := textArgOf(args[0])
		validity := validityOf(n, args)
		bits := vec.Bitmap(n)
		if re != nil {
			for i := 0; i < n; i++ {
				if valid(validity, i) && re.Match(in.at(i)) != neg {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
			return boolResult(n, bits, validity), nil
		}
		pat := textArgOf(args[1])
		fl := textArg{scalar: []byte(flags), isScalar: true}
		if len(args) > 2 {
			fl = textArgOf(args[2])
		}
		var cache regexCache
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			re, _, err := cache.get(pat.at(i), fl.at(i), false)
			if err != nil {
				return functions.Value{}, err
			}
			if re.Match(in.at(i)) != neg {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
		return boolResult(n, bits, validity), nil
	}
}

// preparedReplace is a regexp_replace pattern compiled at plan time.
type preparedReplace struct {
	re   *regexp.Regexp
	opts regexOpts
}

func prepareRegexReplace(consts []*types.Datum) (functions.Kernel, error) {
	generic := strict(types.TextType, regexReplaceKernel(nil))
	if consts[1] == nil || anyNullConst(consts) {
		return generic, nil
	}
	flags := ""
	if len(consts) > 3 {
		if consts[3] == nil {
			return generic, nil
		}
		flags = consts[3].S
	}
	o, err := parseRegexFlags(flags, true)
	if err != nil {
		return nil, err
	}
	re, err := compileRegex(consts[1].S, o)
	if err != nil {
		return nil, err
	}
	return strict(types.TextType, regexReplaceKernel(&preparedReplace{re: re, opts: o})), nil
}

// appendReplacement expands a Postgres replacement string for one match:
// \1 … \9 are groups, \& the whole match, \\ a backslash; any other
// backslash is copied.
func appendReplacement(dst, repl, s []byte, m []int) []byte {
	for len(repl) > 0 {
		j := bytes.IndexByte(repl, '\\')
		if j < 0 {
			return append(dst, repl...)
		}
		dst = append(dst, repl[:j]...)
		repl = repl[j+1:]
		if len(repl) == 0 {
			return append(dst, '\\')
		}
		g := -1
		switch c := repl[0]; {
		case c >= '1' && c <= '9':
			g = int(c - '0')
		case c == '&':
			g = 0
		case c == '\\':
			dst = append(dst, '\\')
			repl = repl[1:]
			continue
		default:
			dst = append(dst, '\\')
			continue
		}
		repl = repl[1:]
		if 2*g+1 < len(m) && m[2*g] >= 0 {
			dst = append(dst, s[m[2*g]:m[2*g+1]]...)
		}
	}
	return dst
}

// appendRegexReplaced appends s with the first (or, global, every)
// match of re replaced.
func appendRegexReplaced(dst, s, repl []byte, re *regexp.Regexp, global bool) []byte {
	var matches [][]int
	if global {
		matches = re.FindAllSubmatchIndex(s, -1)
	} else if m := re.FindSubmatchIndex(s); m != nil {
		matches = [][]int{m}
	}
	last := 0
	for _, m := range matches {
		dst = append(dst, s[last:m[0]]...)
		dst = appendReplacement(dst, repl, s, m)
		last = m[1]
	}
	return append(dst, s[last:]...)
}

func regexReplaceKernel(p *preparedReplace) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in, pat, repl := textArgOf(args[0]), textArgOf(args[1]), textArgOf(args[2])
		var fl textArg
		if len(args) > 3 {
			fl = textArgOf(args[3])
		} else {
			fl = textArg{isScalar: true}
		}
		validity := validityOf(n, args)
		offsets := make([]int32, n+1)
		data := make([]byte, 0, textCap(in, n))
		var cache regexCache
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if valid(validity, i) {
				re, global := (*regexp.Regexp)(nil), false
				if p != nil {
					re, global = p.re, p.opts.global
				} else {
					var o regexOpts
					var err error
					if re, o, err = cache.get(pat.at(i), fl.at(i), true); err != nil {
						return functions.Value{}, err
					}
					global = o.global
				}
				data = appendRegexReplaced(data, in.at(i), repl.at(i), re, global)
				if len(data) > maxTextBytes {
					return functions.Value{}, tooLarge()
				}
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, validity), nil
	}
}
