package scalar

import (
	"crypto/md5"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestStringTable(t *testing.T) {
	runTable(t, []tableCase{
		{name: "lower", args: []types.Datum{textD("ÀBC déF")}, want: "àbc déf"},
		{name: "upper", args: []types.Datum{textD("àbc straße")}, want: "ÀBC STRAßE"},
		{name: "length", args: []types.Datum{textD("日本語abc")}, want: "6"},
		{name: "char_length", args: []types.Datum{textD("")}, want: "0"},
		{name: "octet_length", args: []types.Datum{textD("日本")}, want: "6"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(2), i32D(3)}, want: "hom"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(0), i32D(3)}, want: "Th"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(-2), i32D(3)}, want: ""},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(-2), i32D(5)}, want: "Th"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(3)}, want: "omas"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(-5)}, want: "Thomas"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(10)}, want: ""},
		{name: "substring", args: []types.Datum{textD("日本語"), i32D(2), i32D(1)}, want: "本"},
		{name: "substring", args: []types.Datum{textD("Thomas"), i32D(2), i32D(-1)}, code: sqlerr.SubstringError},
		{name: "substr", args: []types.Datum{textD("alphabet"), i32D(3), i32D(2)}, want: "ph"},
		{name: "btrim", args: []types.Datum{textD("  xx  ")}, want: "xx"},
		{name: "btrim", args: []types.Datum{textD("xyxtrimyyx"), textD("xy")}, want: "trim"},
		{name: "ltrim", args: []types.Datum{textD("zzzytest"), textD("xyz")}, want: "test"},
		{name: "rtrim", args: []types.Datum{textD("testxxzx"), textD("xyz")}, want: "test"},
		{name: "btrim", args: []types.Datum{textD("éaé"), textD("é")}, want: "a"},
		{name: "btrim", args: []types.Datum{textD("abc"), textD("")}, want: "abc"},
		{name: "replace", args: []types.Datum{textD("abcdefabcdef"), textD("cd"), textD("XX")}, want: "abXXefabXXef"},
		{name: "replace", args: []types.Datum{textD("abc"), textD(""), textD("X")}, want: "abc"},
		{name: "split_part", args: []types.Datum{textD("abc~@~def~@~ghi"), textD("~@~"), i32D(2)}, want: "def"},
		{name: "split_part", args: []types.Datum{textD("abc,def,ghi,jkl"), textD(","), i32D(-2)}, want: "ghi"},
		{name: "split_part", args: []types.Datum{textD("abc,def"), textD(","), i32D(3)}, want: ""},
		{name: "split_part", args: []types.Datum{textD("abc,def"), textD(","), i32D(-3)}, want: ""},
		{name: "split_part", args: []types.Datum{textD("abc"), textD(""), i32D(1)}, want: "abc"},
		{name: "split_part", args: []types.Datum{textD("abc"), textD(""), i32D(2)}, want: ""},
		{name: "split_part", args: []types.Datum{textD(""), textD(","), i32D(1)}, want: ""},
		{name: "split_part", args: []types.Datum{textD("a,b"), textD(","), i32D(0)}, code: sqlerr.InvalidParameterValue},
		{name: "strpos", args: []types.Datum{textD("high"), textD("ig")}, want: "2"},
		{name: "strpos", args: []types.Datum{textD("日本語"), textD("語")}, want: "3"},
		{name: "strpos", args: []types.Datum{textD("abc"), textD("")}, want: "1"},
		{name: "strpos", args: []types.Datum{textD("abc"), textD("x")}, want: "0"},
		{name: "left", args: []types.Datum{textD("abcde"), i32D(2)}, want: "ab"},
		{name: "left", args: []types.Datum{textD("abcde"), i32D(-2)}, want: "abc"},
		{name: "left", args: []types.Datum{textD("abcde"), i32D(-9)}, want: ""},
		{name: "right", args: []types.Datum{textD("abcde"), i32D(2)}, want: "de"},
		{name: "right", args: []types.Datum{textD("abcde"), i32D(-2)}, want: "cde"},
		{name: "right", args: []types.Datum{textD("日本語"), i32D(1)}, want: "語"},
		{name: "repeat", args: []types.Datum{textD("Pg"), i32D(4)}, want: "PgPgPgPg"},
		{name: "repeat", args: []types.Datum{textD("Pg"), i32D(-1)}, want: ""},
		{name: "repeat", args: []types.Datum{textD("ab"), i32D(1 << 30)}, code: sqlerr.ProgramLimitExceeded},
		{name: "reverse", args: []types.Datum{textD("abc日本")}, want: "本日cba"},
		{name: "initcap", args: []types.Datum{textD("hi THOMAS o'neil x2y")}, want: "Hi Thomas O'Neil X2y"},
		{name: "md5", args: []types.Datum{textD("abc")}, want: "900150983cd24fb0d6963f7d28e17f72"},
		{name: "lpad", args: []types.Datum{textD("hi"), i32D(5), textD("xy")}, want: "xyxhi"},
		{name: "lpad", args: []types.Datum{textD("hello"), i32D(3)}, want: "hel"},
		{name: "lpad", args: []types.Datum{textD("hi"), i32D(4)}, want: "  hi"},
		{name: "lpad", args: []types.Datum{textD("hi"), i32D(5), textD("")}, want: "hi"},
		{name: "lpad", args: []types.Datum{textD("hi"), i32D(-1)}, want: ""},
		{name: "rpad", args: []types.Datum{textD("hi"), i32D(5), textD("xy")}, want: "hixyx"},
		{name: "rpad", args: []types.Datum{textD("日"), i32D(3), textD("本")}, want: "日本本"},
		{name: "rpad", args: []types.Datum{textD("x"), i32D(1 << 29)}, code: sqlerr.ProgramLimitExceeded},
		{name: "starts_with", args: []types.Datum{textD("alphabet"), textD("alph")}, want: "t"},
		{name: "starts_with", args: []types.Datum{textD("alphabet"), textD("b")}, want: "f"},
		{name: "||", args: []types.Datum{textD("a"), textD("b")}, want: "ab"},
		{name: "||", args: []types.Datum{textD("n="), i32D(42)}, want: "n=42"},
		{name: "||", args: []types.Datum{f64D(1.5), textD("!")}, want: "1.5!"},
		{name: "||", args: []types.Datum{boolD(true), textD("")}, want: "true"},
		{name: "||", args: []types.Datum{textD("at "), tsD(t, "2024-01-02 03:04:05")}, want: "at 2024-01-02 03:04:05"},
		{name: "||", args: []types.Datum{textD("at "), tstzD(t, "2024-01-02 03:04:05")}, want: "at 2024-01-02 03:04:05+00"},
		{name: "||", args: []types.Datum{dateD(t, "2024-01-02"), textD("!")}, want: "2024-01-02!"},
		{name: "||", args: []types.Datum{ivD(t, "1 day 2 hours"), textD("!")}, want: "1 day 02:00:00!"},
		{name: "||", args: []types.Datum{textD("x"), nullD(types.Int32Type)}, want: "NULL"},
		{name: "concat", args: []types.Datum{textD("abcde"), textD("2"), nullD(types.TextType), textD("22")}, want: "abcde222"},
		{name: "concat", args: []types.Datum{nullD(types.TextType)}, want: ""},
		{name: "concat_ws", args: []types.Datum{textD(","), textD("abcde"), textD("2"), nullD(types.TextType), textD("22")}, want: "abcde,2,22"},
		{name: "concat_ws", args: []types.Datum{nullD(types.TextType), textD("a")}, want: "NULL"},
	})
}

// Independent per-row references.
func refSubstr(s string, start, count int64, hasCount bool) (string, error) {
	rs := []rune(s)
	if !hasCount {
		if start < 1 {
			start = 1
		}
		count = max(0, int64(len(rs))+1-start)
	}
	if count < 0 {
		return "", sqlerr.New(sqlerr.SubstringError, "negative")
	}
	lo, hi := start, start+count // 1-based, [lo, hi)
	if lo < 1 {
		lo = 1
	}
	if hi > int64(len(rs))+1 {
		hi = int64(len(rs)) + 1
	}
	if hi <= lo {
		return "", nil
	}
	return string(rs[lo-1 : hi-1]), nil
}

func refPad(s string, width int64, fill string, left bool) string {
	rs, fr := []rune(s), []rune(fill)
	if width < 0 {
		width = 0
	}
	if int64(len(rs)) >= width {
		return string(rs[:width])
	}
	if len(fr) == 0 {
		return s
	}
	pad := make([]rune, 0, width)
	for k := 0; int64(len(pad)) < width-int64(len(rs)); k++ {
		pad = append(pad, fr[k%len(fr)])
	}
	if left {
		return string(pad) + s
	}
	return s + string(pad)
}

func refSplitPart(s, d string, k int64) (string, error) {
	if k == 0 {
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "zero")
	}
	if s == "" {
		return "", nil
	}
	var fields []string
	if d == "" {
		fields = []string{s}
	} else {
		fields = strings.Split(s, d)
	}
	if k < 0 {
		k += int64(len(fields)) + 1
	}
	if k < 1 || k > int64(len(fields)) {
		return "", nil
	}
	return fields[k-1], nil
}

func TestStringsAgainstReference(t *testing.T) {
	r := testRegistry()
	alpha := []string{"a", "b", "A", "Z", "é", "É", "日", " ", ",", "ß", "1", "\xff"}
	text := genText(alpha, 8)
	short := genText([]string{"a", "é", " ", ",", "b"}, 2)
	small := genInt(types.Int32Type, -5, 10)
	tt, ti := types.TextType, types.Int32Type
	gens := func(g ...func(*rand.Rand) types.Datum) []func(*rand.Rand) types.Datum { return g }
	str := func(s string) (types.Datum, error) { return textD(s), nil }
	cases := []refCase{
		{name: "lower", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) { return str(strings.ToLower(a[0].S)) }},
		{name: "upper", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) { return str(strings.ToUpper(a[0].S)) }},
		{name: "length", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			return i32D(int64(len([]rune(a[0].S)))), nil
		}},
		{name: "octet_length", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			return i32D(int64(len(a[0].S))), nil
		}},
		{name: "substring", args: []types.Type{tt, ti, ti}, gens: gens(text, small, small), ref: func(a []types.Datum) (types.Datum, error) {
			s, err := refSubstr(a[0].S, a[1].I, a[2].I, true)
			return textD(s), err
		}},
		{name: "substr", args: []types.Type{tt, ti}, gens: gens(text, small), ref: func(a []types.Datum) (types.Datum, error) {
			s, err := refSubstr(a[0].S, a[1].I, 0, false)
			return textD(s), err
		}},
		{name: "btrim", args: []types.Type{tt, tt}, gens: gens(text, short), ref: func(a []types.Datum) (types.Datum, error) {
			return str(strings.Trim(a[0].S, a[1].S))
		}},
		{name: "ltrim", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			return str(strings.TrimLeft(a[0].S, " "))
		}},
		{name: "rtrim", args: []types.Type{tt, tt}, gens: gens(text, short), ref: func(a []types.Datum) (types.Datum, error) {
			return str(strings.TrimRight(a[0].S, a[1].S))
		}},
		{name: "replace", args: []types.Type{tt, tt, tt}, gens: gens(text, short, short), ref: func(a []types.Datum) (types.Datum, error) {
			if a[1].S == "" {
				return str(a[0].S)
			}
			return str(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
		}},
		{name: "split_part", args: []types.Type{tt, tt, ti}, gens: gens(text, short, small), ref: func(a []types.Datum) (types.Datum, error) {
			s, err := refSplitPart(a[0].S, a[1].S, a[2].I)
			return textD(s), err
		}},
		{name: "strpos", args: []types.Type{tt, tt}, gens: gens(text, short), ref: func(a []types.Datum) (types.Datum, error) {
			j := strings.Index(a[0].S, a[1].S)
			if j < 0 {
				return i32D(0), nil
			}
			return i32D(int64(len([]rune(a[0].S[:j]))) + 1), nil
		}},
		{name: "left", args: []types.Type{tt, ti}, gens: gens(text, small), ref: func(a []types.Datum) (types.Datum, error) {
			rs, k := []rune(a[0].S), a[1].I
			if k < 0 {
				k = max(0, int64(len(rs))+k)
			}
			return str(string(rs[:min(k, int64(len(rs)))]))
		}},
		{name: "right", args: []types.Type{tt, ti}, gens: gens(text, small), ref: func(a []types.Datum) (types.Datum, error) {
			rs, k := []rune(a[0].S), a[1].I
			if k < 0 {
				k = max(0, int64(len(rs))+k)
			}
			k = min(k, int64(len(rs)))
			return str(string(rs[int64(len(rs))-k:]))
		}},
		{name: "repeat", args: []types.Type{tt, ti}, gens: gens(short, small), ref: func(a []types.Datum) (types.Datum, error) {
			return str(strings.Repeat(a[0].S, int(max(0, a[1].I))))
		}},
		{name: "reverse", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			rs := []rune(a[0].S)
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return str(string(rs))
		}},
		{name: "initcap", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			var b strings.Builder
			prev := false
			for _, c := range a[0].S {
				if prev {
					b.WriteRune(unicode.ToLower(c))
				} else {
					b.WriteRune(unicode.ToUpper(c))
				}
				prev = unicode.IsLetter(c) || unicode.IsDigit(c)
			}
			return str(b.String())
		}},
		{name: "md5", args: []types.Type{tt}, gens: gens(text), ref: func(a []types.Datum) (types.Datum, error) {
			return str(fmt.Sprintf("%x", md5.Sum([]byte(a[0].S))))
		}},
		{name: "lpad", args: []types.Type{tt, ti, tt}, gens: gens(text, small, short), ref: func(a []types.Datum) (types.Datum, error) {
			return str(refPad(a[0].S, a[1].I, a[2].S, true))
		}},
		{name: "rpad", args: []types.Type{tt, ti}, gens: gens(text, small), ref: func(a []types.Datum) (types.Datum, error) {
			return str(refPad(a[0].S, a[1].I, " ", false))
		}},
		{name: "starts_with", args: []types.Type{tt, tt}, gens: gens(text, short), ref: func(a []types.Datum) (types.Datum, error) {
			return boolD(strings.HasPrefix(a[0].S, a[1].S)), nil
		}},
		{name: "||", args: []types.Type{tt, ti}, gens: gens(text, small), ref: func(a []types.Datum) (types.Datum, error) {
			return str(a[0].S + fmt.Sprint(a[1].I))
		}},
		{name: "concat", args: []types.Type{tt, tt, tt}, gens: gens(text, short, text), ref: func(a []types.Datum) (types.Datum, error) {
			var b strings.Builder
			for _, d := range a {
				if !d.Null {
					b.WriteString(d.S)
				}
			}
			return str(b.String())
		}},
		{name: "concat_ws", args: []types.Type{tt, tt, tt}, gens: gens(short, text, text), ref: func(a []types.Datum) (types.Datum, error) {
			if a[0].Null {
				return nullD(tt), nil
			}
			var parts []string
			for _, d := range a[1:] {
				if !d.Null {
					parts = append(parts, d.S)
				}
			}
			return str(strings.Join(parts, a[0].S))
		}},
	}
	for _, c := range cases {
		// The references use Go's rune decoding, which maps invalid
		// bytes to U+FFFD; keep the generated text valid for those that
		// transform characters.
		switch c.name {
		case "lower", "upper", "reverse", "initcap", "substring", "substr", "left", "right", "lpad", "rpad":
			c.gens[0] = genText(alpha[:len(alpha)-1], 8)
		}
		checkRef(t, r, c)
	}
}

func TestConcatAnyTypes(t *testing.T) {
	// concat takes VARIADIC "any" and renders each value as its output
	// function does (booleans as t/f, unlike the text cast).
	k := concatAnyKernel(false)
	ints := functions.ArrayValue(functions.BuildArray(types.Int32Type, []types.Datum{i32D(1), nullD(types.Int32Type), i32D(-3)}))
	v, err := k(nil, []functions.Value{functions.ScalarValue(textD("x")), ints, functions.ScalarValue(boolD(false))}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, functions.ValueDatum(v, types.TextType, i).S)
	}
	if strings.Join(got, "|") != "x1f|xf|x-3f" {
		t.Fatalf("concat = %v", got)
	}
}
