package parser

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
)

// quoteIdent quotes name for the TiDB text (ANSI_QUOTES is on).
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func joinDots(parts []string) string { return strings.Join(parts, ".") }

// findTop returns the index of the first token in [i, end) outside any
// brackets for which pred holds, or -1.
func (s *session) findTop(i, end int, pred func(token) bool) int {
	for k := i; k < end; k++ {
		t := s.toks[k]
		if (t.isOp("(") || t.isOp("[")) && s.match[k] > k {
			k = s.match[k]
			continue
		}
		if pred(t) {
			return k
		}
	}
	return -1
}

// caseExpr rewrites CASE [operand] WHEN ... THEN ... [ELSE ...] END.
func (r *rewriter) caseExpr(i int) (int, error) {
	r.word(i)
	j := i + 1
	var err error
	if !r.at(j).is("when") {
		if j, err = r.expr(j, 0); err != nil {
			return 0, err
		}
		if !r.at(j).is("when") {
			return 0, r.errAt(j)
		}
	}
	for r.at(j).is("when") {
		r.word(j)
		if j, err = r.expr(j+1, 0); err != nil {
			return 0, err
		}
		if !r.at(j).is("then") {
			return 0, r.errAt(j)
		}
		r.word(j)
		if j, err = r.expr(j+1, 0); err != nil {
			return 0, err
		}
	}
	if r.at(j).is("else") {
		r.word(j)
		if j, err = r.expr(j+1, 0); err != nil {
			return 0, err
		}
	}
	if !r.at(j).is("end") {
		return 0, r.errAt(j)
	}
	r.word(j)
	return j + 1, nil
}

// cast rewrites CAST(x AS type) as castMarker(x).
func (r *rewriter) cast(i int) (int, error) {
	t := r.at(i)
	lp := i + 1
	closer := r.s.match[lp]
	name, n := r.s.newMarker(marker{kind: mkCast, pos: t.off})
	r.emit(quoteIdent(name)+"(", t.off)
	saved := r.end
	r.end = closer
	j, err := r.expr(lp+1, 0)
	r.end = saved
	if err != nil {
		return 0, err
	}
	if !r.at(j).is("as") {
		return 0, r.errAt(j)
	}
	typ, k, err := r.s.typeName(j+1, closer)
	if err != nil {
		return 0, err
	}
	if k != closer {
		return 0, r.errAt(k)
	}
	r.s.markers[n].typ = typ
	r.emit(")", r.at(closer).off)
	return closer + 1, nil
}

// extract rewrites EXTRACT(field FROM x) as extractMarker(x).
func (r *rewriter) extract(i int) (int, error) {
	t := r.at(i)
	lp := i + 1
	closer := r.s.match[lp]
	f := r.at(lp + 1)
	if !f.isWord() && f.kind != tString {
		return 0, r.errAt(lp + 1)
	}
	if !r.at(lp + 2).is("from") {
		return 0, r.errAt(lp + 2)
	}
	name, _ := r.s.newMarker(marker{kind: mkExtract, name: strings.ToLower(f.val), pos: t.off})
	r.emit(quoteIdent(name)+"(", t.off)
	saved := r.end
	r.end = closer
	j, err := r.expr(lp+3, 0)
	r.end = saved
	if err != nil {
		return 0, err
	}
	if j != closer {
		return 0, r.errAt(j)
	}
	r.emit(")", r.at(closer).off)
	return closer + 1, nil
}

// array rewrites ARRAY[...] and ARRAY(query).
func (r *rewriter) array(i int) (int, error) {
	t, n := r.at(i), r.at(i+1)
	switch {
	case n.isOp("["):
		return r.arrayLit(i+1, t.off)
	case n.isOp("(") && r.s.isQuery(i+2, r.s.match[i+1]):
		name, _ := r.s.newMarker(marker{kind: mkArraySub, pos: t.off})
		r.emit(quoteIdent(name)+"((", t.off)
		j, err := r.group(i+1, r.query)
		r.emit("))", n.off)
		return j, err
	}
	return 0, r.errAt(i + 1)
}

// arrayLit rewrites the bracket list at open; nested bare brackets are
// sub-arrays.
func (r *rewriter) arrayLit(open, off int) (int, error) {
	name, _ := r.s.newMarker(marker{kind: mkArray, pos: off})
	r.emit(quoteIdent(name)+"(", off)
	j, err := r.group(open, func(k int) (int, error) {
		if k >= r.end {
			return k, nil
		}
		for {
			var err error
			if r.at(k).isOp("[") {
				k, err = r.arrayLit(k, r.at(k).off)
			} else {
				k, err = r.expr(k, 0)
			}
			if err != nil || !r.at(k).isOp(",") {
				return k, err
			}
			r.emit(",", r.at(k).off)
			k++
		}
	})
	r.emit(")", off)
	return j, err
}

var intervalFields = wordSet(`year month day hour minute second`)

// interval turns INTERVAL 'value' [field [TO field]] into a hole.
func (r *rewriter) interval(i int) (int, error) {
	t, v := r.at(i), r.at(i+1)
	if v.isOp("(") {
		return 0, unsupported(v, "INTERVAL precision is not supported")
	}
	if v.kind != tString {
		return 0, r.errAt(i + 1)
	}
	j := i + 2
	unit := ""
	if f := r.at(j); f.kind == tIdent && intervalFields[f.val] {
		unit = f.val
		j++
		if r.at(j).is("to") {
			g := r.at(j + 1)
			if g.kind != tIdent || !intervalFields[g.val] {
				return 0, r.errAt(j + 1)
			}
			unit += " to " + g.val
			j += 2
		}
		if r.at(j).isOp("(") {
			return 0, unsupported(r.at(j), "INTERVAL precision is not supported")
		}
	}
	r.hole(&ast.IntervalLit{Pos: ast.At(t.off), Value: v.val, Unit: unit}, t.off)
	return j, nil
}

// typedLiteral turns `type 'string'` (TIMESTAMP '...', DATE '...',
// pg_catalog.text '...', ...) into a hole.
func (r *rewriter) typedLiteral(i int) (int, bool) {
	typ, j, err := r.s.typeName(i, r.end)
	if err != nil || r.at(j).kind != tString {
		return 0, false
	}
	t := r.at(i)
	r.hole(&ast.TypedLit{Pos: ast.At(t.off), Type: typ, Value: r.at(j).val}, t.off)
	return j + 1, true
}

// quantified rewrites ANY|SOME|ALL (array or query) as a marker call the
// converter expects as the right operand of a comparison.
func (r *rewriter) quantified(i int) (int, error) {
	t := r.at(i)
	q := ast.QuantAny
	if t.is("all") {
		q = ast.QuantAll
	}
	name, _ := r.s.newMarker(marker{kind: mkQuant, quant: q, pos: t.off})
	if r.s.isQuery(i+2, r.s.match[i+1]) {
		r.emit(quoteIdent(name)+"((", t.off)
		j, err := r.group(i+1, r.query)
		r.emit("))", t.off)
		return j, err
	}
	r.emit(quoteIdent(name)+"(", t.off)
	j, err := r.group(i+1, func(k int) (int, error) { return r.expr(k, 0) })
	r.emit(")", t.off)
	return j, err
}

// sqlValueFunc rewrites CURRENT_TIMESTAMP, CURRENT_USER, ... as a marker
// call that becomes a FuncCall.
func (r *rewriter) sqlValueFunc(i int) (int, error) {
	t := r.at(i)
	fn := t.val
	if fn == "user" {
		fn = "current_user"
	}
	name, _ := r.s.newMarker(marker{kind: mkSQLFunc, name: fn, pos: t.off})
	if precisionFuncs[t.val] && r.at(i+1).isOp("(") {
		r.emit(quoteIdent(name)+"(", t.off)
		j, err := r.group(i+1, r.exprList)
		r.emit(")", t.off)
		return j, err
	}
	r.emit(quoteIdent(name)+"()", t.off)
	return i + 1, nil
}

// specialCall rewrites the SQL-standard call syntaxes with keywords in
// the argument list into ordinary calls, as Postgres does:
// substring(x FROM a FOR b) → substring(x, a, b), trim(LEADING c FROM x)
// → ltrim(x, c), position(a IN b) → strpos(b, a). Without the keywords
// they are ordinary calls.
func (r *rewriter) specialCall(i int) (int, error) {
	t := r.at(i)
	lp := i + 1
	closer := r.s.match[lp]
	top := func(w string) int {
		return r.s.findTop(lp+1, closer, func(x token) bool { return x.is(w) })
	}
	switch t.val {
	case "substring":
		from, forK := top("from"), top("for")
		if top("similar") >= 0 {
			return 0, unsupported(t, "substring(... SIMILAR ...) is not supported")
		}
		if from < 0 && forK < 0 {
			break
		}
		if from >= 0 && forK >= 0 && forK < from {
			return 0, unsupported(r.at(forK), "substring(x FOR n FROM m) is not supported; write FROM before FOR")
		}
		r.ident("substring", t.off)
		r.emit("(", r.at(lp).off)
		first := from
		if first < 0 {
			first = forK
		}
		if err := r.exprRange(lp+1, first); err != nil {
			return 0, err
		}
		if from >= 0 {
			end := closer
			if forK >= 0 {
				end = forK
			}
			r.emit(",", r.at(from).off)
			if err := r.exprRange(from+1, end); err != nil {
				return 0, err
			}
		} else {
			r.emit(",", r.at(forK).off)
			r.hole(&ast.Literal{Pos: ast.NoPos, Kind: ast.LitInt, Value: "1"}, r.at(forK).off)
		}
		if forK >= 0 {
			r.emit(",", r.at(forK).off)
			if err := r.exprRange(forK+1, closer); err != nil {
				return 0, err
			}
		}
		r.emit(")", r.at(closer).off)
		return closer + 1, nil
	case "trim":
		fn, j := "btrim", lp+1
		switch d := r.at(j); {
		case d.is("both"):
			j++
		case d.is("leading"):
			fn, j = "ltrim", j+1
		case d.is("trailing"):
			fn, j = "rtrim", j+1
		}
		from := r.s.findTop(j, closer, func(x token) bool { return x.is("from") })
		r.ident(fn, t.off)
		r.emit("(", r.at(lp).off)
		if from < 0 {
			if err := r.listRange(j, closer); err != nil {
				return 0, err
			}
		} else {
			if err := r.listRange(from+1, closer); err != nil {
				return 0, err
			}
			if from > j {
				r.emit(",", r.at(from).off)
				if err := r.exprRange(j, from); err != nil {
					return 0, err
				}
			}
		}
		r.emit(")", r.at(closer).off)
		return closer + 1, nil
	case "position":
		in := top("in")
		if in < 0 {
			break
		}
		r.ident("strpos", t.off)
		r.emit("(", r.at(lp).off)
		if err := r.exprRange(in+1, closer); err != nil {
			return 0, err
		}
		r.emit(",", r.at(in).off)
		if err := r.exprRange(lp+1, in); err != nil {
			return 0, err
		}
		r.emit(")", r.at(closer).off)
		return closer + 1, nil
	case "overlay":
		if top("placing") >= 0 {
			return 0, unsupported(t, "overlay(... PLACING ...) is not supported")
		}
	}
	return r.nameOrCall(i)
}

// exprRange rewrites exactly one expression filling [i, end).
func (r *rewriter) exprRange(i, end int) error {
	saved := r.end
	r.end = end
	j, err := r.expr(i, 0)
	r.end = saved
	if err == nil && j != end {
		err = r.errAt(j)
	}
	return err
}

// listRange rewrites a comma-separated list filling [i, end).
func (r *rewriter) listRange(i, end int) error {
	saved := r.end
	r.end = end
	j, err := r.exprList(i)
	r.end = saved
	if err == nil && j != end {
		err = r.errAt(j)
	}
	return err
}
