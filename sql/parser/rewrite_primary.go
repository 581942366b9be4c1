package parser

import (
	"strconv"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// primary rewrites a primary expression: a constant, a parenthesised
// expression or subquery, a column reference, a function call or one of
// the keyword forms (CASE, CAST, ARRAY, INTERVAL '...', ...).
func (r *rewriter) primary(i int) (int, error) {
	t := r.at(i)
	switch t.kind {
	case tNumber:
		kind := ast.LitInt
		if t.float {
			kind = ast.LitFloat
		}
		r.hole(&ast.Literal{Pos: ast.At(t.off), Kind: kind, Value: t.val}, t.off)
		return i + 1, nil
	case tString:
		r.hole(&ast.Literal{Pos: ast.At(t.off), Kind: ast.LitString, Value: t.val}, t.off)
		return i + 1, nil
	case tBitString:
		r.hole(&ast.Literal{Pos: ast.At(t.off), Kind: ast.LitBitString, Value: t.val, Prefix: t.prefix}, t.off)
		return i + 1, nil
	case tParam:
		n, err := strconv.Atoi(t.val)
		if err != nil || n > 65535 {
			return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "parameter number too large at or near \"%s\"", r.s.raw(t))
		}
		r.hole(&ast.Param{Pos: ast.At(t.off), Index: n}, t.off)
		return i + 1, nil
	case tQIdent:
		return r.nameOrCall(i)
	case tIdent:
		return r.keywordPrimary(i)
	case tOp:
		if t.isOp("(") {
			r.emit("(", t.off)
			fn := r.exprList
			if r.s.isQuery(i+1, r.s.match[i]) {
				fn = r.query
			}
			j, err := r.group(i, fn)
			if err != nil {
				return 0, err
			}
			r.emit(")", r.at(j-1).off)
			return j, nil
		}
	}
	return 0, r.errAt(i)
}

// keywordPrimary handles a primary that starts with an unquoted word.
func (r *rewriter) keywordPrimary(i int) (int, error) {
	t := r.at(i)
	next := r.at(i + 1)
	call := next.isOp("(")
	switch t.val {
	case "true", "false", "null":
		r.word(i)
		return i + 1, nil
	case "case":
		return r.caseExpr(i)
	case "cast":
		if call {
			return r.cast(i)
		}
	case "extract":
		if call {
			return r.extract(i)
		}
	case "exists":
		if call && r.s.isQuery(i+2, r.s.match[i+1]) {
			r.word(i)
			r.emit("(", next.off)
			j, err := r.group(i+1, r.query)
			r.emit(")", next.off)
			return j, err
		}
	case "array":
		return r.array(i)
	case "row":
		if call {
			name, _ := r.s.newMarker(marker{kind: mkRow, pos: t.off})
			r.emit(quoteIdent(name)+"(", t.off)
			j, err := r.group(i+1, r.exprListOpt)
			r.emit(")", t.off)
			return j, err
		}
	case "interval":
		return r.interval(i)
	case "any", "some", "all":
		if call {
			return r.quantified(i)
		}
	case "default":
		return 0, unsupported(t, "DEFAULT is not supported here")
	case "substring", "trim", "position", "overlay":
		if call {
			return r.specialCall(i)
		}
	}
	if sqlValueFuncs[t.val] && !(t.val == "current_schema" && call) {
		return r.sqlValueFunc(i)
	}
	if j, ok := r.typedLiteral(i); ok {
		return j, nil
	}
	switch {
	case reservedWords[t.val]:
		return 0, r.errAt(i)
	case typeFuncWords[t.val] && !call:
		return 0, r.errAt(i)
	case colNameWords[t.val] && call && !callableColNames[t.val]:
		return 0, r.errAt(i + 1)
	}
	return r.nameOrCall(i)
}

// nameOrCall rewrites a column reference (a, t.a, s.t.a, t.*) or a
// function call.
func (r *rewriter) nameOrCall(i int) (int, error) {
	t := r.at(i)
	parts := []string{t.val}
	j := i + 1
	star := false
	for r.at(j).isOp(".") {
		n := r.at(j + 1)
		if n.isOp("*") {
			star = true
			j += 2
			break
		}
		if !n.isWord() {
			return 0, r.errAt(j + 1)
		}
		parts = append(parts, n.val)
		j += 2
	}
	if !star && r.at(j).isOp("(") {
		return r.call(i, parts, j)
	}
	if len(parts) > 3 || (star && len(parts) > 2) {
		return 0, sqlerr.At(sqlerr.SyntaxError, t.off, "improper qualified name (too many dotted names)")
	}
	text := ""
	for k, p := range parts {
		if k > 0 {
			text += "."
		}
		text += quoteIdent(p)
	}
	if star {
		text += ".*"
	}
	r.emit(text, t.off)
	return j, nil
}

// call rewrites name(args) with its optional WITHIN GROUP, FILTER and
// OVER clauses. A plain call becomes a TiDB generic call with a quoted
// name. A call with DISTINCT, *, ORDER BY in the arguments or any of the
// trailing clauses becomes
//
//	group_concat([DISTINCT] fnMarker(), args..., filterMarker(cond) ORDER BY ...) OVER (...)
//
// because GROUP_CONCAT is the one TiDB aggregate that accepts a list of
// arguments, DISTINCT, ORDER BY and a window; the marker carries the
// real name.
func (r *rewriter) call(i int, parts []string, lp int) (int, error) {
	nameTok := r.at(i)
	if len(parts) > 2 {
		return 0, unsupported(nameTok, "cross-database references are not implemented: %s", joinDots(parts))
	}
	rp := r.s.match[lp]
	a := lp + 1
	distinct := r.at(a).is("distinct")
	if distinct || r.at(a).is("all") {
		a++
	}
	star := r.at(a).isOp("*") && a+1 == rp
	if r.at(a).is("variadic") {
		return 0, unsupported(r.at(a), "VARIADIC is not supported")
	}
	order := r.s.findTop(a, rp, func(t token) bool { return t.is("order") })
	if order >= 0 && !r.s.at(order+1).is("by") {
		order = -1
	}
	k := rp + 1
	within, filter, over := -1, -1, -1
	if r.at(k).is("within") && r.at(k+1).is("group") && r.at(k+2).isOp("(") {
		within = k + 2
		k = r.s.match[within] + 1
	}
	if r.at(k).is("filter") && r.at(k+1).isOp("(") {
		filter = k + 1
		k = r.s.match[filter] + 1
	}
	if r.at(k).is("over") {
		switch w := r.at(k + 1); {
		case w.isOp("("):
			over, k = k, r.s.match[k+1]+1
		case w.kind == tQIdent || (w.kind == tIdent && !isReserved(w.val)):
			over, k = k, k+2
		}
	}
	schema, name := "", parts[len(parts)-1]
	if len(parts) == 2 {
		schema = parts[0]
	}
	if !distinct && !star && order < 0 && within < 0 && filter < 0 && over < 0 {
		text := quoteIdent(name)
		if schema != "" {
			text = quoteIdent(schema) + "." + text
		}
		r.emit(text, nameTok.off)
		r.emit("(", r.at(lp).off)
		j, err := r.group(lp, r.exprListOpt)
		r.emit(")", r.at(rp).off)
		return j, err
	}
	switch {
	case over >= 0 && (order >= 0 || within >= 0):
		return 0, unsupported(r.at(over), "aggregate ORDER BY is not implemented for window functions")
	case over >= 0 && distinct:
		return 0, unsupported(r.at(over), "DISTINCT is not implemented for window functions")
	case within >= 0 && order >= 0:
		return 0, sqlerr.At(sqlerr.SyntaxError, r.at(within).off, "cannot use multiple ORDER BY clauses with WITHIN GROUP")
	case star && (distinct || within >= 0):
		return 0, r.errAt(a)
	}
	m := marker{kind: mkCall, schema: schema, name: name, star: star, distinct: distinct,
		within: within >= 0, pos: nameTok.off}
	if over >= 0 {
		m.overPos = r.at(over).off
	}
	mname, _ := r.s.newMarker(m)
	r.emit("group_concat(", nameTok.off)
	if distinct {
		r.emit("distinct", r.at(lp+1).off)
	}
	r.emit(quoteIdent(mname)+"()", nameTok.off)
	argsEnd := rp
	if order >= 0 {
		argsEnd = order
	}
	saved := r.end
	r.end = argsEnd
	var err error
	j := a
	if !star && a < argsEnd {
		r.emit(",", r.at(a).off)
		j, err = r.exprList(a)
	} else if star {
		j = a + 1
	}
	r.end = saved
	if err != nil {
		return 0, err
	}
	if j != argsEnd {
		return 0, r.errAt(j)
	}
	if filter >= 0 {
		if err := r.filterArg(filter); err != nil {
			return 0, err
		}
	}
	switch {
	case order >= 0:
		r.end = rp
		j, err = r.orderItems(order)
		r.end = saved
		if err == nil && j != rp {
			err = r.errAt(j)
		}
	case within >= 0:
		_, err = r.group(within, func(g int) (int, error) {
			if !r.at(g).is("order") || !r.at(g+1).is("by") {
				return 0, r.errAt(g)
			}
			return r.orderItems(g)
		})
	}
	if err != nil {
		return 0, err
	}
	r.emit(")", r.at(rp).off)
	if over >= 0 {
		r.word(over)
		if r.at(over + 1).isOp("(") {
			r.emit("(", r.at(over+1).off)
			if _, err := r.group(over+1, r.windowSpec); err != nil {
				return 0, err
			}
			r.emit(")", r.at(k-1).off)
		} else {
			r.ident(r.at(over+1).val, r.at(over+1).off)
		}
	}
	return k, nil
}

// filterArg emits `, filterMarker(cond)` for FILTER (WHERE cond) at the
// parenthesis open.
func (r *rewriter) filterArg(open int) error {
	name, _ := r.s.newMarker(marker{kind: mkFilter, pos: r.at(open - 1).off})
	r.emit(",", r.at(open-1).off)
	r.emit(quoteIdent(name)+"(", r.at(open-1).off)
	_, err := r.group(open, func(g int) (int, error) {
		if !r.at(g).is("where") {
			return 0, r.errAt(g)
		}
		return r.expr(g+1, 0)
	})
	r.emit(")", r.at(open).off)
	return err
}

// windowSpec rewrites the inside of a window specification: [existing
// window] [PARTITION BY ...] [ORDER BY ...] [frame]. Frame offsets
// become holes because TiDB accepts only numbers there.
func (r *rewriter) windowSpec(i int) (int, error) {
	if t := r.at(i); t.isWord() && !(t.is("partition") || t.is("order") || t.is("rows") || t.is("range") || t.is("groups")) {
		r.ident(t.val, t.off)
		i++
	}
	var err error
	if r.at(i).is("partition") && r.at(i+1).is("by") {
		r.emit("partition by", r.at(i).off)
		if i, err = r.exprList(i + 2); err != nil {
			return 0, err
		}
	}
	if r.at(i).is("order") && r.at(i+1).is("by") {
		if i, err = r.orderItems(i); err != nil {
			return 0, err
		}
	}
	if t := r.at(i); t.is("rows") || t.is("range") || t.is("groups") {
		r.word(i)
		i++
		if r.at(i).is("between") {
			r.word(i)
			if i, err = r.frameBound(i + 1); err != nil {
				return 0, err
			}
			if !r.at(i).is("and") {
				return 0, r.errAt(i)
			}
			r.word(i)
			i++
		}
		if i, err = r.frameBound(i); err != nil {
			return 0, err
		}
		if r.at(i).is("exclude") {
			return 0, unsupported(r.at(i), "frame EXCLUDE is not supported")
		}
	}
	return i, nil
}

func (r *rewriter) frameBound(i int) (int, error) {
	t := r.at(i)
	switch n := r.at(i + 1); {
	case t.is("unbounded") && (n.is("preceding") || n.is("following")):
		r.word(i)
		r.word(i + 1)
		return i + 2, nil
	case t.is("current") && n.is("row"):
		r.emit("current row", t.off)
		return i + 2, nil
	}
	e, j, err := r.s.subExpr(i, r.end)
	if err != nil {
		return 0, err
	}
	if !r.at(j).is("preceding") && !r.at(j).is("following") {
		return 0, r.errAt(j)
	}
	r.hole(e, t.off)
	r.word(j)
	return j + 1, nil
}

// orderItems rewrites ORDER BY items starting at the ORDER token.
// NULLS FIRST/LAST, which TiDB lacks, becomes an extra item
// nullsMarker() right after the one it modifies.
func (r *rewriter) orderItems(i int) (int, error) {
	r.emit("order by", r.at(i).off)
	i += 2
	for {
		j, err := r.expr(i, 0)
		if err != nil {
			return 0, err
		}
		if t := r.at(j); t.is("asc") || t.is("desc") {
			r.word(j)
			j++
		}
		if r.at(j).is("using") {
			return 0, unsupported(r.at(j), "ORDER BY ... USING is not supported")
		}
		if t := r.at(j); t.is("nulls") {
			nulls := ast.NullsFirst
			switch {
			case r.at(j + 1).is("last"):
				nulls = ast.NullsLast
			case !r.at(j + 1).is("first"):
				return 0, r.errAt(j + 1)
			}
			name, _ := r.s.newMarker(marker{kind: mkNulls, nulls: nulls, pos: t.off})
			r.emit(",", t.off)
			r.emit(quoteIdent(name)+"()", t.off)
			j += 2
		}
		if !r.at(j).isOp(",") {
			return j, nil
		}
		r.emit(",", r.at(j).off)
		i = j + 1
	}
}
