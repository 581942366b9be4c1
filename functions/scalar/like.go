package scalar

import (
	"bytes"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// LIKE and ILIKE, as the functions like(text, pattern [, escape]) and
// ilike(...) the binder calls (it wraps NOT LIKE in a NOT).
//
// A pattern compiles to pieces separated by '%': each piece is a run of
// literal bytes and '_' wildcards and so matches a fixed number of
// characters. Matching anchors the first piece at the start and the last
// at the end, and finds each middle piece at its leftmost position
// (bytes.Index on its leading literal), which is correct because a
// fixed-width piece found earlier never leaves less room for the rest.
// A constant pattern is compiled once by Prepare; a pattern column is
// recompiled only when it changes from one row to the next.
//
// '_' matches one character (a UTF-8 code point), as in Postgres. ILIKE
// lower-cases the text per row and the pattern's literals once (Unicode
// simple case mapping).

func registerLike(r *functions.Registry) {
	text := types.TextType
	for _, fold := range []bool{false, true} {
		name := "like"
		if fold {
			name = "ilike"
		}
		for _, args := range [][]types.Type{{text, text}, {text, text, text}} {
			fold := fold
			r.AddScalar(&functions.Scalar{
				Name: name, Args: args, Ret: types.BoolType, Doc: "pattern match (" + name + ")",
				Kernel: strict(types.BoolType, likeKernel(fold, nil)),
				Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
					return prepareLike(consts, fold)
				},
			})
		}
	}
}

// prepareLike compiles a constant pattern (and escape) once.
func prepareLike(consts []*types.Datum, fold bool) (functions.Kernel, error) {
	generic := strict(types.BoolType, likeKernel(fold, nil))
	pat := consts[1]
	if pat == nil || anyNullConst(consts) {
		return generic, nil
	}
	esc := []byte{'\\'}
	if len(consts) > 2 {
		if consts[2] == nil {
			return generic, nil
		}
		esc = []byte(consts[2].S)
	}
	p, err := compileLike([]byte(pat.S), esc, fold)
	if err != nil {
		return nil, err
	}
	return strict(types.BoolType, likeKernel(fold, p)), nil
}

// likeElem is a literal run (lit != nil) or a number of '_' wildcards.
type likeElem struct {
	lit []byte
	any int
}

// likePiece is the part of a pattern between two '%'.
type likePiece struct {
	elems []likeElem
	chars int // characters the piece matches
}

// likePattern is a compiled LIKE pattern: pieces[0] % pieces[1] % ...
type likePattern struct {
	pieces []likePiece
	fold   bool
	// src and esc identify the pattern for the recompile cache.
	src, esc []byte
}

func likeEscapeError() error {
	return sqlerr.New(sqlerr.InvalidEscapeSequence, "invalid escape string").
		WithHint("Escape string must be empty or one character.")
}

// compileLike parses pattern with escape character esc (empty: none).
func compileLike(pattern, esc []byte, fold bool) (*likePattern, error) {
	escRune := rune(-1)
	if len(esc) > 0 {
		r, size := utf8.DecodeRune(esc)
		if size != len(esc) {
			return nil, likeEscapeError()
		}
		escRune = r
	}
	p := &likePattern{fold: fold, src: pattern, esc: esc}
	var cur likePiece
	var lit []byte
	flush := func() {
		if lit != nil {
			if fold {
				lit = appendCase(nil, lit, false)
			}
			cur.elems = append(cur.elems, likeElem{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRune(pattern[i:])
		c := pattern[i : i+size]
		i += size
		switch {
		case r == escRune && !(r == utf8.RuneError && size == 1):
			if i >= len(pattern) {
				return nil, sqlerr.New(sqlerr.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			_, size = utf8.DecodeRune(pattern[i:])
			lit = append(lit, pattern[i:i+size]...)
			cur.chars++
			i += size
		case r == '%':
			flush()
			p.pieces = append(p.pieces, cur)
			cur = likePiece{}
			// Consecutive '%' are one.
			for i < len(pattern) && pattern[i] == '%' {
				i++
			}
		case r == '_':
			flush()
			if k := len(cur.elems); k > 0 && cur.elems[k-1].lit == nil {
				cur.elems[k-1].any++
			} else {
				cur.elems = append(cur.elems, likeElem{any: 1})
			}
			cur.chars++
		default:
			if lit == nil {
				lit = make([]byte, 0, 8)
			}
			lit = append(lit, c...)
			cur.chars++
		}
	}
	flush()
	p.pieces = append(p.pieces, cur)
	return p, nil
}

// matchAt matches the piece at byte offset pos of s and returns the
// offset just past it.
func (pc *likePiece) matchAt(s []byte, pos int) (int, bool) {
	for _, e := range pc.elems {
		if e.lit != nil {
			if !bytes.HasPrefix(s[pos:], e.lit) {
				return 0, false
			}
			pos += len(e.lit)
			continue
		}
		for k := e.any; k > 0; k-- {
			if pos >= len(s) {
				return 0, false
			}
			if s[pos] < utf8.RuneSelf {
				pos++
			} else {
				_, size := utf8.DecodeRune(s[pos:])
				pos += size
			}
		}
	}
	return pos, true
}

// find returns the end of the leftmost match of the piece in s at or
// after pos.
func (pc *likePiece) find(s []byte, pos int) (int, bool) {
	if len(pc.elems) == 0 {
		return pos, true
	}
	lead := pc.elems[0].lit
	for pos <= len(s) {
		if lead != nil {
			j := bytes.Index(s[pos:], lead)
			if j < 0 {
				return 0, false
			}
			pos += j
		}
		if end, ok := pc.matchAt(s, pos); ok {
			return end, true
		}
		if pos >= len(s) {
			return 0, false
		}
		_, size := utf8.DecodeRune(s[pos:])
		pos += size
	}
	return 0, false
}

// match reports whether s matches the pattern (s already folded for
// ILIKE).
func (p *likePattern) match(s []byte) bool {
	first := &p.pieces[0]
	if len(p.pieces) == 1 {
		end, ok := first.matchAt(s, 0)
		return ok && end == len(s)
	}
	pos, ok := first.matchAt(s, 0)
	if !ok {
		return false
	}
	// The last piece must cover exactly the last chars characters.
	last := &p.pieces[len(p.pieces)-1]
	lastStart := len(s)
	for k := last.chars; k > 0; k-- {
		if lastStart <= pos {
			return false
		}
		if s[lastStart-1] < utf8.RuneSelf {
			lastStart--
		} else {
			_, size := utf8.DecodeLastRune(s[:lastStart])
			lastStart -= size
		}
	}
	if end, ok := last.matchAt(s, lastStart); !ok || end != len(s) {
		return false
	}
	head := s[:lastStart]
	for k := 1; k < len(p.pieces)-1; k++ {
		if pos, ok = p.pieces[k].find(head, pos); !ok {
			return false
		}
	}
	return true
}

// likeMatcher evaluates one pattern against rows, folding their case
// for ILIKE into a reused buffer.
type likeMatcher struct {
	p       *likePattern
	scratch []byte
}

func (m *likeMatcher) match(s []byte) bool {
	if m.p.fold {
		m.scratch = foldInto(m.scratch[:0], s)
		s = m.scratch
	}
	return m.p.match(s)
}

// foldInto appends s lower-cased to dst.
func foldInto(dst, s []byte) []byte { return appendCase(dst, s, false) }

// likeKernel evaluates LIKE with a prepared pattern, or with the
// pattern (and escape) arguments when p is nil.
func likeKernel(fold bool, p *likePattern) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		in := textArgOf(args[0])
		validity := validityOf(n, args)
		bits := vec.Bitmap(n)
		m := likeMatcher{p: p}
		if p != nil {
			for i := 0; i < n; i++ {
				if valid(validity, i) && m.match(in.at(i)) {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
			return boolResult(n, bits, validity), nil
		}
		pat := textArgOf(args[1])
		esc := textArg{scalar: []byte{'\\'}, isScalar: true}
		if len(args) > 2 {
			esc = textArgOf(args[2])
		}
		for i := 0; i < n; i++ {
			if !valid(validity, i) {
				continue
			}
			ps, es := pat.at(i), esc.at(i)
			if m.p == nil || !bytes.Equal(ps, m.p.src) || !bytes.Equal(es, m.p.esc) {
				var err error
				if m.p, err = compileLike(bytes.Clone(ps), bytes.Clone(es), fold); err != nil {
					return functions.Value{}, err
				}
			}
			if m.match(in.at(i)) {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
		return boolResult(n, bits, validity), nil
	}
}
