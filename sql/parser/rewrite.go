package parser

import (
	"slices"
	"sort"
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// piece is one token of the text handed to TiDB.
type piece struct {
	text string
	// orig is the byte offset in the user's text this piece stands for;
	// errors and node positions found at the piece map back to it.
	orig int
	// hole is the constant (or placeholder) a "?" piece stands for; nil
	// with isHole set means "no value" (LIMIT ALL).
	hole   ast.Expr
	isHole bool
}

// rewriter turns a range of the user's tokens into text the TiDB parser
// accepts. It walks the Postgres syntax coarsely (clauses, operands,
// operators) and emits pieces; constructs TiDB lacks become markers
// (generic function calls named by session.newMarker) or "?" holes.
type rewriter struct {
	s *session
	// end bounds the range being rewritten: tokens at end and after read
	// as end of input.
	end int
	out []piece
}

func (s *session) newRewriter(end int) *rewriter { return &rewriter{s: s, end: end} }

// at returns token i of the range, or an EOF token positioned at the
// range's end.
func (r *rewriter) at(i int) token {
	if i >= r.end {
		return token{kind: tEOF, off: r.s.at(r.end).off}
	}
	return r.s.toks[i]
}

// errAt is a syntax error at token i (the token after the range when i
// is past its end, so the message names what the user wrote there).
func (r *rewriter) errAt(i int) error {
	if i >= r.end {
		return r.s.syntaxErr(r.s.at(r.end))
	}
	return r.s.syntaxErr(r.s.toks[i])
}

func (r *rewriter) emit(text string, orig int) {
	r.out = append(r.out, piece{text: text, orig: orig})
}

// word emits the keyword of token i.
func (r *rewriter) word(i int) { r.emit(r.s.toks[i].val, r.s.toks[i].off) }

// ident emits name as a quoted identifier, so TiDB never mistakes it for
// one of its keywords.
func (r *rewriter) ident(name string, orig int) {
	r.emit(`"`+strings.ReplaceAll(name, `"`, `""`)+`"`, orig)
}

// hole emits a "?" that stands for e.
func (r *rewriter) hole(e ast.Expr, orig int) {
	r.out = append(r.out, piece{text: "?", orig: orig, hole: e, isHole: true})
}

// insertAt puts a piece before out[mark]; used to open a wrapper around an
// operand that has already been emitted. The operand is the tail of out,
// so the cost is its length.
func (r *rewriter) insertAt(mark int, text string, orig int) {
	r.out = slices.Insert(r.out, mark, piece{text: text, orig: orig})
}

// group rewrites the inside of the bracket pair opened at token open
// with fn, which must consume everything up to the closing bracket. It
// returns the index after the closing bracket, even with an error, so
// callers may emit the closing piece before checking.
func (r *rewriter) group(open int, fn func(i int) (int, error)) (int, error) {
	closer := r.s.match[open]
	saved := r.end
	r.end = closer
	j, err := fn(open + 1)
	r.end = saved
	if err == nil && j != closer {
		err = r.s.syntaxErr(r.s.toks[j])
	}
	return closer + 1, err
}

// rewritten is the finished text with what is needed to map TiDB's
// results back: where each piece starts, the holes by offset, and the
// token after the range (for "end of input" errors).
type rewritten struct {
	text   string
	starts []int
	pieces []piece
	holes  map[int]*piece
	endTok token
}

// finish joins the pieces with single spaces (so no two pieces can merge
// into one TiDB token). stop is the index of the first token not
// rewritten; TiDB errors at the end of the text are reported there.
func (r *rewriter) finish(stop int) *rewritten {
	var sb strings.Builder
	rw := &rewritten{
		pieces: r.out,
		starts: make([]int, len(r.out)),
		holes:  map[int]*piece{},
		endTok: r.s.at(stop),
	}
	for i := range r.out {
		if i > 0 {
			sb.WriteByte(' ')
		}
		rw.starts[i] = sb.Len()
		sb.WriteString(r.out[i].text)
		if r.out[i].isHole {
			rw.holes[rw.starts[i]] = &r.out[i]
		}
	}
	rw.text = sb.String()
	return rw
}

// pieceAt returns the index of the piece containing rewritten offset
// off, or -1 for offsets past the text.
func (rw *rewritten) pieceAt(off int) int {
	if off >= len(rw.text) || len(rw.starts) == 0 {
		return -1
	}
	return sort.Search(len(rw.starts), func(i int) bool { return rw.starts[i] > off }) - 1
}

// orig maps a rewritten offset to the user's text.
func (rw *rewritten) orig(off int) int {
	p := rw.pieceAt(off)
	if p < 0 {
		if len(rw.pieces) == 0 {
			return rw.endTok.off
		}
		return rw.pieces[len(rw.pieces)-1].orig
	}
	return rw.pieces[p].orig
}

// origBefore maps to the piece just before the one at off: for a binary
// operation whose right operand starts at off, that is its operator.
func (rw *rewritten) origBefore(off int) int {
	p := rw.pieceAt(off)
	if p <= 0 {
		return rw.orig(off)
	}
	return rw.pieces[p-1].orig
}
