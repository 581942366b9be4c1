package scalar

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestRegexTable(t *testing.T) {
	bad := sqlerr.InvalidRegularExpression
	runTable(t, []tableCase{
		{name: "~", args: []types.Datum{textD("abc"), textD("b")}, want: "t"},
		{name: "~", args: []types.Datum{textD("abc"), textD("^b")}, want: "f"},
		{name: "~", args: []types.Datum{textD("a\nb"), textD("a.b")}, want: "t"},
		{name: "~", args: []types.Datum{textD("a\nb"), textD("^b")}, want: "f"},
		{name: "~", args: []types.Datum{textD("ABC"), textD("b")}, want: "f"},
		{name: "~", args: []types.Datum{textD("abc"), textD("(")}, code: bad},
		{name: "~", args: []types.Datum{textD("an abc."), textD(`\yabc\y`)}, want: "t"},
		{name: "~", args: []types.Datum{textD("xabcx"), textD(`\yabc\y`)}, want: "f"},
		{name: "~", args: []types.Datum{textD("abc"), textD(`c\Z`)}, want: "t"},
		{name: "~", args: []types.Datum{textD("a b"), textD(`a\sb`)}, want: "t"},
		{name: "~", args: []types.Datum{nullD(types.TextType), textD("(")}, want: "NULL"},
		{name: "~*", args: []types.Datum{textD("ABC"), textD("b")}, want: "t"},
		{name: "!~", args: []types.Datum{textD("abc"), textD("b")}, want: "f"},
		{name: "!~", args: []types.Datum{textD("abc"), textD("x")}, want: "t"},
		{name: "!~*", args: []types.Datum{textD("ABC"), textD("b")}, want: "f"},
		{name: "regexp_like", args: []types.Datum{textD("ABC"), textD("b"), textD("i")}, want: "t"},
		{name: "regexp_like", args: []types.Datum{textD("ABC"), textD("b")}, want: "f"},
		{name: "regexp_like", args: []types.Datum{textD("ABC"), textD("b"), textD("g")}, code: sqlerr.InvalidParameterValue},
		{name: "regexp_replace", args: []types.Datum{textD("foobarbaz"), textD("b.."), textD("X")}, want: "fooXbaz"},
		{name: "regexp_replace", args: []types.Datum{textD("foobarbaz"), textD("b.."), textD("X"), textD("g")}, want: "fooXX"},
		{name: "regexp_replace", args: []types.Datum{textD("Thomas"), textD(".[mN]a."), textD("M")}, want: "ThM"},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("(b)"), textD(`[\1]`)}, want: "a[b]c"},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD(`\&\&`)}, want: "abbc"},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD(`\\`)}, want: `a\c`},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD(`\q$1`)}, want: `a\q$1c`},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD(`\`)}, want: `a\c`},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD(`\2`)}, want: "ac"},
		{name: "regexp_replace", args: []types.Datum{textD("aBcb"), textD("b"), textD("x"), textD("gi")}, want: "axcx"},
		{name: "regexp_replace", args: []types.Datum{textD("a\nb"), textD("^b"), textD("x"), textD("n")}, want: "a\nx"},
		{name: "regexp_replace", args: []types.Datum{textD("a.b.c"), textD("."), textD("-"), textD("gq")}, want: "a-b-c"},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("x*"), textD("-"), textD("g")}, want: "-a-b-c-"},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("b"), textD("x"), textD("z")}, code: sqlerr.InvalidParameterValue},
		{name: "regexp_replace", args: []types.Datum{textD("abc"), textD("[b"), textD("x")}, code: bad},
	})
}

// pgToGoTemplate converts a Postgres replacement string to a Go
// regexp template, for the reference.
func pgToGoTemplate(repl string) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(repl) && repl[i+1] >= '1' && repl[i+1] <= '9':
			b.WriteString("${" + string(repl[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(repl) && repl[i+1] == '&':
			b.WriteString("${0}")
			i++
		case c == '\\' && i+1 < len(repl) && repl[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func refRegexFlags(flags string) (string, bool, error) {
	prefix, global := "(?s)", false
	for _, c := range flags {
		switch c {
		case 'g':
			global = true
		case 'i':
			prefix += "(?i)"
		case 'n':
			prefix += "(?-s)(?m)"
		default:
			return "", false, sqlerr.New(sqlerr.InvalidParameterValue, "flag")
		}
	}
	return prefix, global, nil
}

func TestRegexAgainstReference(t *testing.T) {
	r := testRegistry()
	text := genText([]string{"a", "b", "c", "1", "\n", " ", "é"}, 8)
	pat := genText([]string{"a", "b", "c", ".", "*", "?", "+", "|", "(", ")", "[ab]", "^", "$", `\d`, "é", "x{2}"}, 5)
	repl := genText([]string{"x", `\1`, `\&`, `\\`, `\`, "$1", "y", `\9`}, 3)
	flags := func(rng *rand.Rand) types.Datum { return textD(genPick("", "g", "i", "gi", "n", "gn")(rng)) }
	compile := func(p, prefix string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(prefix + p)
		if err != nil {
			return nil, sqlerr.New(sqlerr.InvalidRegularExpression, "bad")
		}
		return re, nil
	}
	for _, op := range []struct {
		name      string
		fold, neg bool
	}{{"~", false, false}, {"~*", true, false}, {"!~", false, true}, {"!~*", true, true}} {
		op := op
		checkRef(t, r, refCase{name: op.name, args: []types.Type{types.TextType, types.TextType},
			gens: []func(*rand.Rand) types.Datum{text, pat},
			ref: func(a []types.Datum) (types.Datum, error) {
				prefix := "(?s)"
				if op.fold {
					prefix += "(?i)"
				}
				re, err := compile(a[1].S, prefix)
				if err != nil {
					return types.Datum{}, err
				}
				return boolD(re.MatchString(a[0].S) != op.neg), nil
			}})
	}
	replace := func(a []types.Datum) (types.Datum, error) {
		fl := ""
		if len(a) > 3 {
			fl = a[3].S
		}
		prefix, global, err := refRegexFlags(fl)
		if err != nil {
			return types.Datum{}, err
		}
		re, err := compile(a[1].S, prefix)
		if err != nil {
			return types.Datum{}, err
		}
		tmpl := pgToGoTemplate(a[2].S)
		if global {
			return textD(re.ReplaceAllString(a[0].S, tmpl)), nil
		}
		m := re.FindStringSubmatchIndex(a[0].S)
		if m == nil {
			return textD(a[0].S), nil
		}
		out := a[0].S[:m[0]] + string(re.ExpandString(nil, tmpl, a[0].S, m)) + a[0].S[m[1]:]
		return textD(out), nil
	}
	checkRef(t, r, refCase{name: "regexp_replace", args: []types.Type{types.TextType, types.TextType, types.TextType},
		gens: []func(*rand.Rand) types.Datum{text, pat, repl}, ref: replace})
	checkRef(t, r, refCase{name: "regexp_replace", args: []types.Type{types.TextType, types.TextType, types.TextType, types.TextType},
		gens: []func(*rand.Rand) types.Datum{text, pat, repl, flags}, ref: replace})
}
