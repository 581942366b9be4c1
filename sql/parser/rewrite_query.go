package parser

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// query rewrites a query: [WITH ...] term {UNION|INTERSECT|EXCEPT term}
// [ORDER BY ...] [LIMIT/OFFSET/FETCH].
func (r *rewriter) query(i int) (int, error) {
	if err := r.s.enter(r.at(i)); err != nil {
		return 0, err
	}
	defer r.s.leave()
	var err error
	if r.at(i).is("with") {
		if i, err = r.with(i); err != nil {
			return 0, err
		}
	}
	if i, err = r.term(i); err != nil {
		return 0, err
	}
	for t := r.at(i); t.is("union") || t.is("intersect") || t.is("except"); t = r.at(i) {
		r.word(i)
		i++
		if r.at(i).is("all") || r.at(i).is("distinct") {
			r.word(i)
			i++
		}
		if i, err = r.term(i); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("order") && r.at(i+1).is("by") {
		if i, err = r.orderItems(i); err != nil {
			return 0, err
		}
	}
	if i, err = r.limits(i); err != nil {
		return 0, err
	}
	if t := r.at(i); t.is("for") {
		return 0, unsupported(t, "SELECT ... FOR UPDATE/SHARE is not supported")
	}
	return i, nil
}

// term rewrites one operand of a set operation.
func (r *rewriter) term(i int) (int, error) {
	t := r.at(i)
	switch {
	case t.is("select"):
		return r.selectCore(i)
	case t.is("values"):
		return r.values(i)
	case t.is("table"):
		tn, j, err := r.tableName(i + 1)
		if err != nil {
			return 0, err
		}
		r.emit("select", t.off)
		r.emit("*", t.off)
		r.emit("from", t.off)
		r.fromPlaceholder(tn, t.off)
		return j, nil
	case t.isOp("(") && r.s.isQuery(i+1, r.s.match[i]):
		r.emit("(", t.off)
		j, err := r.group(i, r.query)
		r.emit(")", r.at(j-1).off)
		return j, err
	}
	return 0, r.errAt(i)
}

// values rewrites VALUES (..), (..) as TiDB's VALUES ROW(..), ROW(..).
func (r *rewriter) values(i int) (int, error) {
	r.word(i)
	i++
	for {
		t := r.at(i)
		if !t.isOp("(") {
			return 0, r.errAt(i)
		}
		r.emit("row(", t.off)
		j, err := r.group(i, r.exprList)
		if err != nil {
			return 0, err
		}
		r.emit(")", t.off)
		if !r.at(j).isOp(",") {
			return j, nil
		}
		r.emit(",", r.at(j).off)
		i = j + 1
	}
}

// selectCore rewrites SELECT [DISTINCT] items [FROM] [WHERE] [GROUP BY]
// [HAVING] [WINDOW].
func (r *rewriter) selectCore(i int) (int, error) {
	r.word(i)
	i++
	switch t := r.at(i); {
	case t.is("distinct"):
		if r.at(i + 1).is("on") {
			return 0, unsupported(t, "SELECT DISTINCT ON is not supported")
		}
		r.word(i)
		i++
	case t.is("all"):
		i++
	}
	t := r.at(i)
	if t.kind == tEOF || t.is("from") || t.is("where") || t.is("into") || t.isOp(")") {
		return 0, unsupported(t, "a SELECT with an empty target list is not supported")
	}
	var err error
	if i, err = r.selectList(i); err != nil {
		return 0, err
	}
	if t := r.at(i); t.is("into") {
		return 0, unsupported(t, "SELECT ... INTO is not supported")
	}
	if r.at(i).is("from") {
		if i, err = r.from(i); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("where") {
		r.word(i)
		if i, err = r.expr(i+1, 0); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("group") && r.at(i+1).is("by") {
		if i, err = r.groupBy(i); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("having") {
		r.word(i)
		if i, err = r.expr(i+1, 0); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("window") {
		if i, err = r.windowClause(i); err != nil {
			return 0, err
		}
	}
	return i, nil
}

// selectList rewrites the items of a SELECT: *, expr [[AS] alias].
func (r *rewriter) selectList(i int) (int, error) {
	for {
		t := r.at(i)
		if t.isOp("*") {
			r.emit("*", t.off)
			i++
		} else {
			j, err := r.expr(i, 0)
			if err != nil {
				return 0, err
			}
			i = j
			switch a := r.at(i); {
			case a.is("as"):
				n := r.at(i + 1)
				if !n.isWord() {
					return 0, r.errAt(i + 1)
				}
				r.emit("as", a.off)
				r.ident(n.val, n.off)
				i += 2
			case a.kind == tQIdent || (a.kind == tIdent && !isReserved(a.val)):
				r.ident(a.val, a.off)
				i++
			}
		}
		if !r.at(i).isOp(",") {
			return i, nil
		}
		r.emit(",", r.at(i).off)
		i++
	}
}

func (r *rewriter) groupBy(i int) (int, error) {
	r.emit("group by", r.at(i).off)
	i += 2
	switch t := r.at(i); {
	case t.is("all") || t.is("distinct"):
		return 0, unsupported(t, "GROUP BY %s is not supported", t.val)
	case (t.is("rollup") || t.is("cube")) && r.at(i+1).isOp("("),
		t.is("grouping") && r.at(i+1).is("sets"):
		return 0, unsupported(t, "grouping sets (ROLLUP, CUBE, GROUPING SETS) are not supported")
	case t.isOp("(") && r.at(i+1).isOp(")"):
		return 0, unsupported(t, "GROUP BY () is not supported")
	}
	return r.exprList(i)
}

// windowClause rewrites WINDOW w AS (spec), ...; the names become
// placeholders that carry their positions.
func (r *rewriter) windowClause(i int) (int, error) {
	r.word(i)
	i++
	for {
		n := r.at(i)
		if !n.isWord() || (n.kind == tIdent && isReserved(n.val)) {
			return 0, r.errAt(i)
		}
		if !r.at(i+1).is("as") || !r.at(i+2).isOp("(") {
			return 0, r.errAt(i + 1)
		}
		name, _ := r.s.newMarker(marker{kind: mkWindow, name: n.val, pos: n.off})
		r.ident(name, n.off)
		r.emit("as (", r.at(i+1).off)
		j, err := r.group(i+2, r.windowSpec)
		if err != nil {
			return 0, err
		}
		r.emit(")", r.at(j-1).off)
		if !r.at(j).isOp(",") {
			return j, nil
		}
		r.emit(",", r.at(j).off)
		i = j + 1
	}
}

// with rewrites WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED]
// (query), ...; the names become placeholders that carry positions.
func (r *rewriter) with(i int) (int, error) {
	r.word(i)
	i++
	if r.at(i).is("recursive") {
		r.word(i)
		i++
	}
	for {
		n := r.at(i)
		if !n.isWord() || (n.kind == tIdent && isReserved(n.val)) {
			return 0, r.errAt(i)
		}
		name, _ := r.s.newMarker(marker{kind: mkCTE, name: n.val, pos: n.off})
		r.ident(name, n.off)
		i++
		if r.at(i).isOp("(") {
			cols, j, err := r.s.nameList(i)
			if err != nil {
				return 0, err
			}
			r.emit("(", r.at(i).off)
			for k, c := range cols {
				if k > 0 {
					r.emit(",", r.at(i).off)
				}
				r.ident(c, r.at(i).off)
			}
			r.emit(")", r.at(j-1).off)
			i = j
		}
		if !r.at(i).is("as") {
			return 0, r.errAt(i)
		}
		r.word(i)
		i++
		if r.at(i).is("not") && r.at(i+1).is("materialized") {
			i += 2
		} else if r.at(i).is("materialized") {
			i++
		}
		if !r.at(i).isOp("(") {
			return 0, r.errAt(i)
		}
		if !r.s.isQuery(i+1, r.s.match[i]) {
			return 0, unsupported(r.at(i+1), "data-modifying statements in WITH are not supported")
		}
		r.emit("(", r.at(i).off)
		j, err := r.group(i, r.query)
		if err != nil {
			return 0, err
		}
		r.emit(")", r.at(j-1).off)
		if t := r.at(j); t.is("search") || t.is("cycle") {
			return 0, unsupported(t, "WITH ... %s is not supported", t.val)
		}
		if !r.at(j).isOp(",") {
			return j, nil
		}
		r.emit(",", r.at(j).off)
		i = j + 1
	}
}

// nameList reads ( name, ... ) at the parenthesis i and returns the
// names and the index after the closing parenthesis.
func (s *session) nameList(i int) ([]string, int, error) {
	closer := s.match[i]
	var names []string
	j := i + 1
	for {
		t := s.tokAt(j, closer)
		if !t.isWord() || (t.kind == tIdent && isReserved(t.val)) {
			return nil, 0, s.errIn(j, closer)
		}
		names = append(names, t.val)
		j++
		if !s.tokAt(j, closer).isOp(",") {
			break
		}
		j++
	}
	if j != closer {
		return nil, 0, s.errIn(j, closer)
	}
	return names, closer + 1, nil
}

// limits rewrites LIMIT / OFFSET / FETCH in any order into TiDB's LIMIT
// ? OFFSET ?, with the values as holes (TiDB accepts only numbers and
// placeholders there; Postgres accepts expressions).
func (r *rewriter) limits(i int) (int, error) {
	var count, offset ast.Expr
	haveCount, haveOffset := false, false
	off := r.at(i).off
	for {
		t := r.at(i)
		var err error
		switch {
		case t.is("limit"):
			if haveCount {
				return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "multiple LIMIT clauses not allowed")
			}
			haveCount = true
			if r.at(i + 1).is("all") {
				i += 2
				continue
			}
			if count, i, err = r.s.subExpr(i+1, r.end); err != nil {
				return 0, err
			}
			if r.at(i).isOp(",") {
				return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "LIMIT #,# syntax is not supported").WithHint("Use separate LIMIT and OFFSET clauses.")
			}
		case t.is("offset"):
			if haveOffset {
				return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "multiple OFFSET clauses not allowed")
			}
			haveOffset = true
			if offset, i, err = r.s.subExpr(i+1, r.end); err != nil {
				return 0, err
			}
			if r.at(i).is("row") || r.at(i).is("rows") {
				i++
			}
		case t.is("fetch"):
			if haveCount {
				return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "multiple LIMIT clauses not allowed")
			}
			haveCount = true
			if !r.at(i+1).is("first") && !r.at(i+1).is("next") {
				return 0, r.errAt(i + 1)
			}
			i += 2
			count = &ast.Literal{Pos: ast.NoPos, Kind: ast.LitInt, Value: "1"}
			if !r.at(i).is("row") && !r.at(i).is("rows") {
				if count, i, err = r.s.subExpr(i, r.end); err != nil {
					return 0, err
				}
			}
			if !r.at(i).is("row") && !r.at(i).is("rows") {
				return 0, r.errAt(i)
			}
			i++
			if r.at(i).is("with") && r.at(i+1).is("ties") {
				return 0, unsupported(r.at(i), "FETCH ... WITH TIES is not supported")
			}
			if !r.at(i).is("only") {
				return 0, r.errAt(i)
			}
			i++
		default:
			if haveCount || haveOffset {
				r.emit("limit", off)
				r.out = append(r.out, piece{text: "?", orig: off, hole: count, isHole: true})
				if offset != nil {
					r.emit("offset", off)
					r.hole(offset, offset.Position())
				}
			}
			return i, nil
		}
	}
}
