package parser

import (
	"sort"
	"strconv"
	"strings"

	tidb "github.com/pingcap/tidb/pkg/parser"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// maxDepth bounds the nesting of parentheses and expressions, so hostile
// input fails with an error instead of exhausting the stack.
const maxDepth = 500

// maxConvertDepth bounds the depth of the converted tree: long operator
// chains (a OR b OR ...) nest one level per operator.
const maxConvertDepth = 20000

// session is the state of one Parse call: the text, its tokens, the
// bracket matching, the side tables that give the rewriter's markers
// their meaning, and the TiDB parser it borrowed. It is used by one
// goroutine only.
type session struct {
	text string
	toks []token
	// match maps the index of a bracket token to the index of its
	// partner; -1 for other tokens.
	match   []int
	markers []marker
	tidb    *tidb.Parser
	// depth counts the rewriter's recursion, cdepth the converter's.
	depth  int
	cdepth int
}

// at returns token i, or the final EOF token when i is past the end.
func (s *session) at(i int) token {
	if i >= len(s.toks) {
		return s.toks[len(s.toks)-1]
	}
	return s.toks[i]
}

// raw returns the source text of token t.
func (s *session) raw(t token) string { return s.text[t.off:t.end] }

// tokenAt returns the token starting at byte offset off (or the one
// containing it).
func (s *session) tokenAt(off int) token {
	i := sort.Search(len(s.toks), func(i int) bool { return s.toks[i].off > off })
	if i == 0 {
		return s.toks[0]
	}
	return s.toks[i-1]
}

// syntaxErr is Postgres's generic error for an unexpected token.
func (s *session) syntaxErr(t token) error {
	if t.kind == tEOF {
		return sqlerr.At(sqlerr.SyntaxError, t.off, "syntax error at end of input")
	}
	return sqlerr.At(sqlerr.SyntaxError, t.off, "syntax error at or near \"%s\"", s.raw(t))
}

// unsupported reports valid Postgres syntax Tocsin does not implement.
func unsupported(t token, format string, args ...any) error {
	return sqlerr.At(sqlerr.FeatureNotSupported, t.off, format, args...)
}

// enter guards recursion depth; pair every successful call with leave.
func (s *session) enter(t token) error {
	s.depth++
	if s.depth > maxDepth {
		return sqlerr.At(sqlerr.ProgramLimitExceeded, t.off, "statement is too deeply nested")
	}
	return nil
}

func (s *session) leave() { s.depth-- }

// matchBrackets fills s.match for tokens [start, end): ( with ) and [
// with ]. A closing bracket without an opener, or a mismatched pair, is
// a syntax error at it; an unclosed opener is one at toks[end].
func (s *session) matchBrackets(start, end int) error {
	var stack []int
	for i := start; i < end; i++ {
		s.match[i] = -1
		switch t := s.toks[i]; {
		case t.isOp("(") || t.isOp("["):
			stack = append(stack, i)
			if len(stack) > maxDepth {
				return sqlerr.At(sqlerr.ProgramLimitExceeded, t.off, "statement is too deeply nested")
			}
		case t.isOp(")") || t.isOp("]"):
			want := "("
			if t.val == "]" {
				want = "["
			}
			if len(stack) == 0 || !s.toks[stack[len(stack)-1]].isOp(want) {
				return s.syntaxErr(t)
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s.match[o], s.match[i] = i, o
		}
	}
	if len(stack) > 0 {
		return s.syntaxErr(s.at(end))
	}
	return nil
}

// isQuery reports whether tokens [i, end) start a query: SELECT, WITH,
// VALUES, TABLE, or a parenthesised query followed by the end or by a
// set operation or trailing clause.
func (s *session) isQuery(i, end int) bool {
	if i >= end {
		return false
	}
	t := s.toks[i]
	if t.is("select") || t.is("with") || t.is("values") || t.is("table") {
		return true
	}
	if !t.isOp("(") {
		return false
	}
	k := s.match[i]
	if !s.isQuery(i+1, k) {
		return false
	}
	if k+1 >= end {
		return true
	}
	n := s.toks[k+1]
	for _, w := range []string{"union", "intersect", "except", "order", "limit", "offset", "fetch", "for"} {
		if n.is(w) {
			return true
		}
	}
	return false
}

// markerKind says what a marker name in the rewritten text stands for.
type markerKind uint8

const (
	mkCast markerKind = iota + 1
	mkSubscript
	mkCollate
	mkAtTimeZone
	mkExtract
	mkArray
	mkArraySub
	mkRow
	mkSQLFunc
	mkQuant
	mkOp
	mkDistinct
	mkSymmetric
	mkNulls
	mkCall
	mkFilter
	mkLike
	mkFrom
	mkCTE
	mkWindow
	mkColumn
	mkField
)

var markerNames = [...]string{
	mkCast: "cast", mkSubscript: "sub", mkCollate: "collate", mkAtTimeZone: "attz",
	mkExtract: "extract", mkArray: "array", mkArraySub: "arraysub", mkRow: "row",
	mkSQLFunc: "sqlfn", mkQuant: "quant", mkOp: "op", mkDistinct: "distinct",
	mkSymmetric: "symmetric", mkNulls: "nulls", mkCall: "fn", mkFilter: "filter",
	mkLike: "like", mkFrom: "from", mkCTE: "cte", mkWindow: "win", mkColumn: "col",
	mkField: "field",
}

// marker is the side-table entry behind one invented name. Only the
// fields its kind needs are set.
type marker struct {
	kind markerKind
	// pos is the original offset of the construct.
	pos          int
	typ          ast.TypeName
	schema, name string
	op           ast.BinaryOp
	quant        ast.Quantifier
	nulls        ast.NullsOrder
	star         bool
	distinct     bool
	within       bool
	escape       bool
	table        ast.TableExpr
	// full and joinPos describe the join whose right operand starts with
	// this FROM placeholder.
	full    bool
	joinPos int
	// overPos is the position of a call's OVER.
	overPos int
}

// newMarker records m and returns its name.
func (s *session) newMarker(m marker) (string, int) {
	n := len(s.markers)
	s.markers = append(s.markers, m)
	return reservedPrefix + markerNames[m.kind] + "_" + strconv.Itoa(n), n
}

// lookupMarker decodes a name made by newMarker; ok is false for any
// other name.
func (s *session) lookupMarker(name string) (*marker, bool) {
	rest, ok := strings.CutPrefix(name, reservedPrefix)
	if !ok {
		return nil, false
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return nil, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 || n >= len(s.markers) || markerNames[s.markers[n].kind] != rest[:i] {
		return nil, false
	}
	return &s.markers[n], true
}
