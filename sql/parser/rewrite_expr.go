package parser

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Postgres's operator precedence levels, loosest first. The rewriter
// uses them only to know how far an operand reaches (the right side of
// LIKE, the bounds of BETWEEN); TiDB's grammar builds the tree, and the
// levels are arranged so that its precedence matches Postgres's (see
// binaryOps).
const (
	lvlOr = iota + 1
	lvlAnd
	lvlNot
	lvlIs
	lvlCmp
	lvlLike
	lvlOther
	lvlAdd
	lvlMul
	lvlPow
)

// binOp describes an infix operator. tidb is its TiDB spelling when TiDB
// has the same operator at the same precedence; otherwise it is written
// `| marker() |`: TiDB's `|` sits exactly where Postgres puts its "any
// other operator" class (between comparison and + -, left associative),
// and the marker names the real operator. The user's `|` itself is such
// an operator, so TiDB's bit-or only ever appears in that pattern.
type binOp struct {
	level int
	op    ast.BinaryOp
	tidb  string
}

var binaryOps = map[string]binOp{
	"+": {lvlAdd, ast.OpAdd, "+"}, "-": {lvlAdd, ast.OpSub, "-"},
	"*": {lvlMul, ast.OpMul, "*"}, "/": {lvlMul, ast.OpDiv, "/"}, "%": {lvlMul, ast.OpMod, "%"},
	// TiDB's ^ is XOR, but it has the precedence and associativity of
	// Postgres's ^ (power); the converter maps it back.
	"^": {lvlPow, ast.OpPow, "^"},
	"=": {lvlCmp, ast.OpEq, "="}, "<>": {lvlCmp, ast.OpNe, "<>"}, "!=": {lvlCmp, ast.OpNe, "<>"},
	"<": {lvlCmp, ast.OpLt, "<"}, ">": {lvlCmp, ast.OpGt, ">"},
	"<=": {lvlCmp, ast.OpLe, "<="}, ">=": {lvlCmp, ast.OpGe, ">="},
	"||": {lvlOther, ast.OpConcat, ""},
	"~":  {lvlOther, ast.OpRegexMatch, ""}, "~*": {lvlOther, ast.OpRegexIMatch, ""},
	"!~": {lvlOther, ast.OpNotRegexMatch, ""}, "!~*": {lvlOther, ast.OpNotRegexIMatch, ""},
	"->": {lvlOther, ast.OpJSONGet, ""}, "->>": {lvlOther, ast.OpJSONGetText, ""},
	"#>": {lvlOther, ast.OpJSONPath, ""}, "#>>": {lvlOther, ast.OpJSONPathText, ""},
	"&": {lvlOther, ast.OpBitAnd, ""}, "|": {lvlOther, ast.OpBitOr, ""}, "#": {lvlOther, ast.OpBitXor, ""},
	"<<": {lvlOther, ast.OpShiftLeft, ""}, ">>": {lvlOther, ast.OpShiftRight, ""},
}

// punctuation are the operator-class tokens that end an expression
// rather than being unknown operators.
var punctuation = wordSet(`( ) [ ] , ; . : ::`)

// expr rewrites one expression starting at token i, consuming only
// binary operators whose level is at least min, and returns the index
// of the first token after it.
func (r *rewriter) expr(i, min int) (int, error) {
	if err := r.s.enter(r.at(i)); err != nil {
		return 0, err
	}
	defer r.s.leave()
	for {
		j, err := r.operand(i)
		if err != nil {
			return 0, err
		}
		next, more, err := r.operators(j, min)
		if err != nil || !more {
			return next, err
		}
		i = next
	}
}

// exprList rewrites expressions separated by commas.
func (r *rewriter) exprList(i int) (int, error) {
	for {
		j, err := r.expr(i, 0)
		if err != nil {
			return 0, err
		}
		if !r.at(j).isOp(",") {
			return j, nil
		}
		r.emit(",", r.at(j).off)
		i = j + 1
	}
}

// exprListOpt is exprList that also accepts an empty range.
func (r *rewriter) exprListOpt(i int) (int, error) {
	if i >= r.end {
		return i, nil
	}
	return r.exprList(i)
}

// operators handles what may follow an operand. It consumes postfix
// predicates (IS NULL, LIKE ..., IN (...), BETWEEN ...) itself; on a
// binary operator it emits it and reports that an operand must follow
// (more); on anything else it stops.
func (r *rewriter) operators(i, min int) (next int, more bool, err error) {
	for {
		t := r.at(i)
		if t.kind == tOp {
			info, ok := binaryOps[t.val]
			switch {
			case ok && info.level >= min:
				r.binary(info.op, info.tidb, t.off)
				return i + 1, true, nil
			case ok || punctuation[t.val]:
				return i, false, nil
			case t.val == "?":
				return 0, false, sqlerr.At(sqlerr.SyntaxError, t.off, "syntax error at or near \"?\"").
					WithHint("Query parameters are written $1, $2, ...")
			case t.val == "=>" || t.val == ":=":
				return 0, false, unsupported(t, "named function arguments are not supported")
			default:
				return 0, false, sqlerr.At(sqlerr.UndefinedFunction, t.off, "operator is not supported: %s", t.val)
			}
		}
		if t.kind != tIdent {
			return i, false, nil
		}
		k := i
		if t.is("not") {
			k++
		}
		w := r.at(k)
		switch {
		case t.is("and") && min <= lvlAnd, t.is("or") && min <= lvlOr:
			r.word(i)
			return i + 1, true, nil
		case t.is("is") && min <= lvlIs:
			j, operand, err := r.isPredicate(i)
			if err != nil || operand {
				return j, operand, err
			}
			i = j
		case (t.is("isnull") || t.is("notnull")) && min <= lvlIs:
			if t.is("isnull") {
				r.emit("is null", t.off)
			} else {
				r.emit("is not null", t.off)
			}
			i++
		case t.is("operator") && r.at(i+1).isOp("(") && min <= lvlOther:
			j, err := r.operatorCall(i)
			return j, err == nil, err
		case min > lvlLike:
			return i, false, nil
		case w.is("like") || w.is("ilike"):
			if i, err = r.like(i, k); err != nil {
				return 0, false, err
			}
		case w.is("in"):
			if i, err = r.in(i, k); err != nil {
				return 0, false, err
			}
		case w.is("between"):
			if i, err = r.between(i, k); err != nil {
				return 0, false, err
			}
		case w.is("similar"):
			return 0, false, unsupported(w, "SIMILAR TO is not supported; use ~ (regular expression match)")
		default:
			return i, false, nil
		}
	}
}

// binary emits an infix operator, natively or as `| marker() |`.
func (r *rewriter) binary(op ast.BinaryOp, native string, off int) {
	if native != "" {
		r.emit(native, off)
		return
	}
	name, _ := r.s.newMarker(marker{kind: mkOp, op: op, pos: off})
	r.emit("|", off)
	r.emit(quoteIdent(name)+"()", off)
	r.emit("|", off)
}

// isPredicate handles IS [NOT] NULL|TRUE|FALSE|UNKNOWN and IS [NOT]
// DISTINCT FROM; operand reports that an operand must follow.
func (r *rewriter) isPredicate(i int) (next int, operand bool, err error) {
	j := i + 1
	not := r.at(j).is("not")
	if not {
		j++
	}
	w := r.at(j)
	switch {
	case w.is("null") || w.is("true") || w.is("false") || w.is("unknown"):
		r.word(i)
		if not {
			r.word(i + 1)
		}
		r.word(j)
		return j + 1, false, nil
	case w.is("distinct") && r.at(j+1).is("from"):
		// IS NOT DISTINCT FROM is TiDB's <=>, at comparison level just
		// above Postgres's IS; IS DISTINCT FROM is `<=> marker() <=>`.
		off := r.at(i).off
		r.emit("<=>", off)
		if !not {
			name, _ := r.s.newMarker(marker{kind: mkDistinct, pos: off})
			r.emit(quoteIdent(name)+"()", off)
			r.emit("<=>", off)
		}
		return j + 2, true, nil
	case w.is("document") || w.is("normalized") || w.is("json") || w.is("of"):
		return 0, false, unsupported(w, "IS %s is not supported", strings.ToUpper(w.val))
	}
	return 0, false, r.errAt(j)
}

// operatorCall handles OPERATOR(schema.op), which has the precedence of
// the "any other operator" class whatever the operator is.
func (r *rewriter) operatorCall(i int) (int, error) {
	lp := i + 1
	closer := r.s.match[lp]
	j := lp + 1
	for r.at(j).isWord() && r.at(j+1).isOp(".") {
		j += 2
	}
	op := r.at(j)
	if op.kind != tOp || j+1 != closer {
		return 0, r.errAt(j)
	}
	info, ok := binaryOps[op.val]
	if !ok {
		return 0, sqlerr.At(sqlerr.UndefinedFunction, op.off, "operator is not supported: %s", op.val)
	}
	off := r.at(i).off
	name, _ := r.s.newMarker(marker{kind: mkOp, op: info.op, pos: off})
	r.emit("|", off)
	r.emit(quoteIdent(name)+"()", off)
	r.emit("|", off)
	return closer + 1, nil
}

// like handles [NOT] LIKE|ILIKE pattern [ESCAPE e]. i is the NOT or the
// LIKE, k the LIKE. The pattern (and escape) go into a marker call so
// that the pattern may be any expression and the escape any string.
func (r *rewriter) like(i, k int) (int, error) {
	if i != k {
		r.word(i)
	}
	r.word(k)
	off := r.at(k).off
	if q := r.at(k + 1); (q.is("any") || q.is("some") || q.is("all")) && r.at(k+2).isOp("(") {
		return 0, unsupported(q, "LIKE %s (...) is not supported", upper(q.val))
	}
	name, n := r.s.newMarker(marker{kind: mkLike, pos: off})
	r.emit(quoteIdent(name)+"(", off)
	j, err := r.expr(k+1, lvlOther)
	if err != nil {
		return 0, err
	}
	if r.at(j).is("escape") {
		r.s.markers[n].escape = true
		r.emit(",", r.at(j).off)
		if j, err = r.expr(j+1, lvlOther); err != nil {
			return 0, err
		}
	}
	r.emit(")", off)
	return j, nil
}

// in handles [NOT] IN (list) and [NOT] IN (query).
func (r *rewriter) in(i, k int) (int, error) {
	if i != k {
		r.word(i)
	}
	r.word(k)
	lp := k + 1
	if !r.at(lp).isOp("(") {
		return 0, r.errAt(lp)
	}
	r.emit("(", r.at(lp).off)
	fn := r.exprList
	if r.s.isQuery(lp+1, r.s.match[lp]) {
		fn = r.query
	}
	j, err := r.group(lp, fn)
	if err != nil {
		return 0, err
	}
	r.emit(")", r.at(j-1).off)
	return j, nil
}

// between handles [NOT] BETWEEN [SYMMETRIC] lo AND hi. TiDB has no
// SYMMETRIC; the low bound is then wrapped in a marker.
func (r *rewriter) between(i, k int) (int, error) {
	if i != k {
		r.word(i)
	}
	r.word(k)
	j := k + 1
	sym := r.at(j).is("symmetric")
	if sym || r.at(j).is("asymmetric") {
		j++
	}
	if sym {
		name, _ := r.s.newMarker(marker{kind: mkSymmetric, pos: r.at(k).off})
		r.emit(quoteIdent(name)+"(", r.at(k).off)
	}
	j, err := r.expr(j, lvlOther)
	if err != nil {
		return 0, err
	}
	if sym {
		r.emit(")", r.at(k).off)
	}
	if !r.at(j).is("and") {
		return 0, r.errAt(j)
	}
	r.word(j)
	return r.expr(j+1, lvlOther)
}

// operand rewrites prefix operators, a primary and its postfix
// operators (::, [], COLLATE, AT TIME ZONE).
func (r *rewriter) operand(i int) (int, error) {
	for {
		t := r.at(i)
		if t.kind == tOp && (t.val == "-" || t.val == "+" || t.val == "~") {
			r.emit(t.val, t.off)
			i++
			continue
		}
		if t.is("not") {
			r.word(i)
			i++
			continue
		}
		break
	}
	mark, start := len(r.out), r.at(i).off
	j, err := r.primary(i)
	if err != nil {
		return 0, err
	}
	return r.postfix(j, mark, start, true)
}

// postfix applies the postfix operators after the operand emitted from
// out[mark]: each wraps everything emitted so far in a marker call. AT
// TIME ZONE is allowed only when allowAT (its own right operand binds
// tighter).
func (r *rewriter) postfix(i, mark, start int, allowAT bool) (int, error) {
	for {
		t := r.at(i)
		switch {
		case t.isOp("::"):
			typ, j, err := r.s.typeName(i+1, r.end)
			if err != nil {
				return 0, err
			}
			name, _ := r.s.newMarker(marker{kind: mkCast, typ: typ, pos: t.off})
			r.insertAt(mark, quoteIdent(name)+"(", start)
			r.emit(")", t.off)
			i = j
		case t.isOp("["):
			name, _ := r.s.newMarker(marker{kind: mkSubscript, pos: t.off})
			r.insertAt(mark, quoteIdent(name)+"(", start)
			r.emit(",", t.off)
			j, err := r.group(i, func(k int) (int, error) {
				k, err := r.expr(k, 0)
				if err == nil && r.at(k).isOp(":") {
					err = unsupported(r.at(k), "array slices are not supported")
				}
				return k, err
			})
			if err != nil {
				return 0, err
			}
			r.emit(")", t.off)
			i = j
		case t.is("collate"):
			parts, _, j, err := r.s.qualifiedName(i+1, r.end)
			if err != nil {
				return 0, err
			}
			name, _ := r.s.newMarker(marker{kind: mkCollate, name: strings.Join(parts, "."), pos: t.off})
			r.insertAt(mark, quoteIdent(name)+"(", start)
			r.emit(")", t.off)
			i = j
		case allowAT && t.is("at") && r.at(i+1).is("time") && r.at(i+2).is("zone"):
			name, _ := r.s.newMarker(marker{kind: mkAtTimeZone, pos: t.off})
			r.insertAt(mark, quoteIdent(name)+"(", start)
			r.emit(",", t.off)
			j, err := r.zoneOperand(i + 3)
			if err != nil {
				return 0, err
			}
			r.emit(")", t.off)
			i = j
		case t.isOp(".") && i > 0 && (r.s.toks[i-1].isOp(")") || r.s.toks[i-1].isOp("]")):
			// (x).field, see FieldSelectFunc.
			f := r.at(i + 1)
			if f.kind != tIdent && f.kind != tQIdent {
				return 0, unsupported(t, "only a named field can be selected from a composite value")
			}
			name, _ := r.s.newMarker(marker{kind: mkField, name: f.val, pos: t.off})
			r.insertAt(mark, quoteIdent(name)+"(", start)
			r.emit(")", t.off)
			i += 2
		default:
			return i, nil
		}
	}
}

// zoneOperand is the right operand of AT TIME ZONE: signs, a primary and
// postfix operators other than AT TIME ZONE.
func (r *rewriter) zoneOperand(i int) (int, error) {
	for t := r.at(i); t.kind == tOp && (t.val == "-" || t.val == "+"); t = r.at(i) {
		r.emit(t.val, t.off)
		i++
	}
	mark, start := len(r.out), r.at(i).off
	j, err := r.primary(i)
	if err != nil {
		return 0, err
	}
	return r.postfix(j, mark, start, false)
}
