package scalar

import (
	"math/rand"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestLikeTable(t *testing.T) {
	esc := sqlerr.InvalidEscapeSequence
	runTable(t, []tableCase{
		{name: "like", args: []types.Datum{textD("abc"), textD("abc")}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD("ab")}, want: "f"},
		{name: "like", args: []types.Datum{textD("abc"), textD("a%")}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD("%c")}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD("%b%")}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD("_b_")}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD("__")}, want: "f"},
		{name: "like", args: []types.Datum{textD(""), textD("%")}, want: "t"},
		{name: "like", args: []types.Datum{textD(""), textD("_")}, want: "f"},
		{name: "like", args: []types.Datum{textD(""), textD("")}, want: "t"},
		{name: "like", args: []types.Datum{textD("ab"), textD("%b%b")}, want: "f"},
		{name: "like", args: []types.Datum{textD("abab"), textD("%b%b")}, want: "t"},
		{name: "like", args: []types.Datum{textD("aaa"), textD("a%a%a")}, want: "t"},
		{name: "like", args: []types.Datum{textD("aa"), textD("a%a%a")}, want: "f"},
		{name: "like", args: []types.Datum{textD("abc"), textD("a%%%c")}, want: "t"},
		{name: "like", args: []types.Datum{textD("xabcabd"), textD("%ab_")}, want: "t"},
		{name: "like", args: []types.Datum{textD("a%b"), textD(`a\%b`)}, want: "t"},
		{name: "like", args: []types.Datum{textD("axb"), textD(`a\%b`)}, want: "f"},
		{name: "like", args: []types.Datum{textD("a_b"), textD(`a\_b`)}, want: "t"},
		{name: "like", args: []types.Datum{textD(`a\b`), textD(`a\\b`)}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD(`ab\c`)}, want: "t"},
		{name: "like", args: []types.Datum{textD("abc"), textD(`abc\`)}, code: esc},
		{name: "like", args: []types.Datum{textD("é"), textD("_")}, want: "t"},
		{name: "like", args: []types.Datum{textD("日本語"), textD("%本%")}, want: "t"},
		{name: "like", args: []types.Datum{textD("日本語"), textD("__語")}, want: "t"},
		{name: "like", args: []types.Datum{textD("日本語"), textD("_語")}, want: "f"},
		{name: "like", args: []types.Datum{textD("ABC"), textD("a%")}, want: "f"},
		{name: "like", args: []types.Datum{nullD(types.TextType), textD("a%")}, want: "NULL"},
		{name: "like", args: []types.Datum{textD("a"), nullD(types.TextType)}, want: "NULL"},
		// Explicit escapes.
		{name: "like", args: []types.Datum{textD("a%"), textD("a#%"), textD("#")}, want: "t"},
		{name: "like", args: []types.Datum{textD("ab"), textD("a#%"), textD("#")}, want: "f"},
		{name: "like", args: []types.Datum{textD(`a\b`), textD(`a\b`), textD("")}, want: "t"},
		{name: "like", args: []types.Datum{textD("a%"), textD("a%%"), textD("%")}, want: "t"},
		{name: "like", args: []types.Datum{textD("a"), textD("a"), textD("ab")}, code: esc},
		{name: "like", args: []types.Datum{textD("a"), textD("a#"), textD("#")}, code: esc},
		{name: "like", args: []types.Datum{textD("a"), textD("a"), nullD(types.TextType)}, want: "NULL"},
		// ILIKE.
		{name: "ilike", args: []types.Datum{textD("ABC"), textD("a%c")}, want: "t"},
		{name: "ilike", args: []types.Datum{textD("Ébc"), textD("é%")}, want: "t"},
		{name: "ilike", args: []types.Datum{textD("abc"), textD("A_C")}, want: "t"},
		{name: "ilike", args: []types.Datum{textD("abd"), textD("A_C")}, want: "f"},
		{name: "ilike", args: []types.Datum{textD("X%Y"), textD(`x\%y`)}, want: "t"},
	})
}

// refLike is an independent LIKE: a dynamic program over code points.
func refLike(s, p, esc string, fold bool) (bool, error) {
	type tok struct {
		kind int // 0 literal, 1 '_', 2 '%'
		r    rune
	}
	er := rune(-1)
	if esc != "" {
		rs := []rune(esc)
		if len(rs) != 1 {
			return false, sqlerr.New(sqlerr.InvalidEscapeSequence, "invalid escape string")
		}
		er = rs[0]
	}
	var toks []tok
	pr := []rune(p)
	for i := 0; i < len(pr); i++ {
		switch {
		case pr[i] == er:
			if i+1 == len(pr) {
				return false, sqlerr.New(sqlerr.InvalidEscapeSequence, "trailing escape")
			}
			i++
			toks = append(toks, tok{0, pr[i]})
		case pr[i] == '%':
			toks = append(toks, tok{kind: 2})
		case pr[i] == '_':
			toks = append(toks, tok{kind: 1})
		default:
			toks = append(toks, tok{0, pr[i]})
		}
	}
	sr := []rune(s)
	if fold {
		for i := range sr {
			sr[i] = unicode.ToLower(sr[i])
		}
		for i := range toks {
			toks[i].r = unicode.ToLower(toks[i].r)
		}
	}
	// m[j] = pattern prefix of length j matches the text prefix so far.
	m := make([]bool, len(toks)+1)
	m[0] = true
	for j := 1; j <= len(toks) && toks[j-1].kind == 2; j++ {
		m[j] = true
	}
	for _, c := range sr {
		next := make([]bool, len(toks)+1)
		for j := 1; j <= len(toks); j++ {
			switch tk := toks[j-1]; tk.kind {
			case 2:
				next[j] = next[j-1] || m[j]
			case 1:
				next[j] = m[j-1]
			default:
				next[j] = m[j-1] && tk.r == c
			}
		}
		m = next
	}
	return m[len(toks)], nil
}

func TestLikeAgainstReference(t *testing.T) {
	r := testRegistry()
	alpha := []string{"a", "b", "A", "é", "É", "日", "%", "_", `\`, "#"}
	text := genText(alpha, 8)
	pat := genText(append(alpha, "%", "_", "%", "_"), 5)
	escs := func(rng *rand.Rand) types.Datum { return textD(genPick("", "#", `\`, "a", "é")(rng)) }
	for _, fold := range []bool{false, true} {
		name := "like"
		if fold {
			name = "ilike"
		}
		fold := fold
		checkRef(t, r, refCase{name: name, args: []types.Type{types.TextType, types.TextType},
			gens: []func(*rand.Rand) types.Datum{text, pat},
			ref: func(a []types.Datum) (types.Datum, error) {
				ok, err := refLike(a[0].S, a[1].S, `\`, fold)
				return boolD(ok), err
			}, trials: 150})
		checkRef(t, r, refCase{name: name, args: []types.Type{types.TextType, types.TextType, types.TextType},
			gens: []func(*rand.Rand) types.Datum{text, pat, escs},
			ref: func(a []types.Datum) (types.Datum, error) {
				ok, err := refLike(a[0].S, a[1].S, a[2].S, fold)
				return boolD(ok), err
			}, trials: 150})
	}
}

// FuzzLike checks the compiled matcher against refLike on valid UTF-8
// and that nothing panics on anything else.
func FuzzLike(f *testing.F) {
	f.Add("abc", "a%c", `\`, false)
	f.Add("日本語", "_本%", `\`, false)
	f.Add("a%b", `a\%b`, `\`, false)
	f.Add("ABC", "a_c", "", true)
	f.Add("xabcabd", "%ab_%d", "#", false)
	f.Add("aaaa", "%a%a%a%", `\`, false)
	f.Add("abc", `abc\`, `\`, false)
	f.Add("\xff\xfe", "%\xff_", `\`, true)
	f.Fuzz(func(t *testing.T, s, p, esc string, fold bool) {
		got, err := compileLike([]byte(p), []byte(esc), fold)
		var ok bool
		if err == nil {
			m := likeMatcher{p: got}
			ok = m.match([]byte(s))
		}
		if !utf8.ValidString(s) || !utf8.ValidString(p) || !utf8.ValidString(esc) {
			return
		}
		want, werr := refLike(s, p, esc, fold)
		if (err == nil) != (werr == nil) {
			t.Fatalf("like(%q, %q, %q): error %v, reference %v", s, p, esc, err, werr)
		}
		if err == nil && ok != want {
			t.Fatalf("like(%q, %q, %q, fold=%v) = %v, want %v", s, p, esc, fold, ok, want)
		}
	})
}

func TestLikePreparedOnce(t *testing.T) {
	r := testRegistry()
	s := overload(t, r, "like", []types.Type{types.TextType, types.TextType})
	bad := textD(`ab\`)
	if _, err := s.Prepare([]*types.Datum{nil, &bad}); sqlerr.CodeOf(err) != sqlerr.InvalidEscapeSequence {
		t.Fatalf("constant pattern with trailing escape: %v", err)
	}
	// A NULL row never reaches the pattern: no error.
	k := s.Kernel
	v, err := k(nil, []functions.Value{
		functions.ArrayValue(functions.BuildArray(types.TextType, []types.Datum{nullD(types.TextType)})),
		functions.ArrayValue(functions.BuildArray(types.TextType, []types.Datum{bad})),
	}, 1)
	if err != nil || !functions.ValueDatum(v, types.BoolType, 0).Null {
		t.Fatalf("NULL row with bad pattern: %v %v", v, err)
	}
}
