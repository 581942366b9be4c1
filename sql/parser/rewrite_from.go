package parser

import (
	"github.com/tocsin-db/tocsin/sql/ast"
)

// The FROM clause. TiDB parses the join structure (commas, JOIN, ON,
// USING, NATURAL, parentheses), but each table reference becomes one
// placeholder table name whose marker holds the TableExpr this layer
// built: TiDB records no positions for tables and cannot parse window
// table functions, set-returning functions, LATERAL functions or column
// alias lists. FULL JOIN, which TiDB lacks, is written LEFT JOIN and
// flagged on the marker of the right operand's first placeholder.

// from rewrites FROM item, ....
func (r *rewriter) from(i int) (int, error) {
	r.word(i)
	j, _, err := r.fromItem(i + 1)
	if err != nil {
		return 0, err
	}
	for r.at(j).isOp(",") {
		comma := r.at(j).off
		r.emit(",", comma)
		k, first, err := r.fromItem(j + 1)
		if err != nil {
			return 0, err
		}
		r.s.markers[first].joinPos = comma
		j = k
	}
	return j, nil
}

// fromItem rewrites a table reference and the joins that follow it. It
// returns the marker index of its first placeholder.
func (r *rewriter) fromItem(i int) (int, int, error) {
	j, first, err := r.tableRef(i)
	if err != nil {
		return 0, 0, err
	}
	for {
		t := r.at(j)
		k := j
		natural := t.is("natural")
		if natural {
			k++
		}
		kind := ""
		switch w := r.at(k); {
		case w.is("cross") && r.at(k+1).is("join") && !natural:
			kind, k = "cross", k+2
		case w.is("join"):
			kind, k = "inner", k+1
		case w.is("inner") && r.at(k+1).is("join"):
			kind, k = "inner", k+2
		case w.is("left") || w.is("right") || w.is("full"):
			kind = w.val
			k++
			if r.at(k).is("outer") {
				k++
			}
			if !r.at(k).is("join") {
				return 0, 0, r.errAt(k)
			}
			k++
		default:
			if natural {
				return 0, 0, r.errAt(k)
			}
			return j, first, nil
		}
		text := map[string]string{"cross": "cross join", "inner": "join", "left": "left join",
			"full": "left join", "right": "right join"}[kind]
		if natural {
			text = "natural " + text
		}
		r.emit(text, t.off)
		next, right, err := r.tableRef(k)
		if err != nil {
			return 0, 0, err
		}
		r.s.markers[right].joinPos = t.off
		r.s.markers[right].full = kind == "full"
		j = next
		if kind == "cross" || natural {
			continue
		}
		switch u := r.at(j); {
		case u.is("on"):
			r.word(j)
			if j, err = r.expr(j+1, 0); err != nil {
				return 0, 0, err
			}
		case u.is("using") && r.at(j+1).isOp("("):
			cols, n, err := r.s.nameList(j + 1)
			if err != nil {
				return 0, 0, err
			}
			r.emit("using (", u.off)
			for c, name := range cols {
				if c > 0 {
					r.emit(",", u.off)
				}
				r.ident(name, u.off)
			}
			r.emit(")", u.off)
			j = n
			if r.at(j).is("as") {
				return 0, 0, unsupported(r.at(j), "an alias on a JOIN ... USING is not supported")
			}
		default:
			return 0, 0, r.errAt(j)
		}
	}
}

// tableRef rewrites one table reference: a table, a function call, a
// subquery (each as a placeholder) or a parenthesised join.
func (r *rewriter) tableRef(i int) (int, int, error) {
	t := r.at(i)
	lateral := t.is("lateral")
	if lateral {
		i++
		t = r.at(i)
	}
	switch {
	case t.isOp("("):
		closer := r.s.match[i]
		if r.s.isQuery(i+1, closer) {
			q, err := r.s.parseQuery(i+1, closer)
			if err != nil {
				return 0, 0, err
			}
			alias, cols, j, err := r.s.alias(closer+1, r.end, false)
			if err != nil {
				return 0, 0, err
			}
			if len(cols) > 0 {
				return 0, 0, unsupported(r.at(closer+1), "column aliases on a subquery in FROM are not supported")
			}
			sub := &ast.Subquery{Pos: ast.At(t.off), Query: q, Alias: alias, Lateral: lateral}
			return j, r.fromPlaceholder(sub, t.off), nil
		}
		if lateral {
			return 0, 0, r.errAt(i + 1)
		}
		r.emit("(", t.off)
		first := -1
		j, err := r.group(i, func(g int) (int, error) {
			g, f, err := r.fromItem(g)
			first = f
			return g, err
		})
		if err != nil {
			return 0, 0, err
		}
		r.emit(")", r.at(j-1).off)
		if a := r.at(j); a.is("as") || a.kind == tQIdent || (a.kind == tIdent && !isReserved(a.val)) {
			return 0, 0, unsupported(a, "an alias on a parenthesized join is not supported")
		}
		return j, first, nil
	case t.isWord():
		if t.is("only") {
			i++
			t = r.at(i)
		}
		if t.kind == tIdent && isReserved(t.val) {
			return 0, 0, r.errAt(i)
		}
		parts, _, j, err := r.s.qualifiedName(i, r.end)
		if err != nil {
			return 0, 0, err
		}
		if r.at(j).isOp("(") {
			return r.tableFunc(i, parts, j)
		}
		if lateral {
			return 0, 0, r.errAt(j)
		}
		if len(parts) > 3 {
			return 0, 0, unsupported(t, "improper qualified name (too many dotted names): %s", joinDots(parts))
		}
		if r.at(j).isOp("*") {
			j++
		}
		alias, cols, j, err := r.s.alias(j, r.end, false)
		if err != nil {
			return 0, 0, err
		}
		if len(cols) > 0 {
			return 0, 0, unsupported(t, "column aliases on a table in FROM are not supported")
		}
		tn := &ast.TableName{Pos: ast.At(t.off), Name: ast.Ident{Pos: ast.At(t.off), Parts: parts}, Alias: alias}
		return j, r.fromPlaceholder(tn, t.off), nil
	}
	return 0, 0, r.errAt(i)
}

// tableFunc handles name(args) [AS alias [(cols)]] in FROM; the
// arguments are parsed separately as an expression list.
func (r *rewriter) tableFunc(i int, parts []string, lp int) (int, int, error) {
	t := r.at(i)
	if len(parts) > 2 || (len(parts) == 2 && parts[0] != "pg_catalog") {
		return 0, 0, unsupported(t, "schema-qualified table functions are not supported: %s", joinDots(parts))
	}
	closer := r.s.match[lp]
	var args []ast.Expr
	if closer > lp+1 {
		var err error
		if args, err = r.s.parseExprList(lp+1, closer); err != nil {
			return 0, 0, err
		}
	}
	j := closer + 1
	if r.at(j).is("with") && r.at(j+1).is("ordinality") {
		return 0, 0, unsupported(r.at(j), "WITH ORDINALITY is not supported")
	}
	alias, cols, j, err := r.s.alias(j, r.end, false)
	if err != nil {
		return 0, 0, err
	}
	tf := &ast.TableFunc{Pos: ast.At(t.off), Name: parts[len(parts)-1], Args: args, Alias: alias, ColumnAliases: cols}
	return j, r.fromPlaceholder(tf, t.off), nil
}

// fromPlaceholder emits the placeholder table name for te and returns
// its marker index.
func (r *rewriter) fromPlaceholder(te ast.TableExpr, off int) int {
	name, n := r.s.newMarker(marker{kind: mkFrom, table: te, pos: off})
	r.ident(name, off)
	return n
}

// tableName reads a table name for TABLE, INSERT, UPDATE and DELETE.
func (r *rewriter) tableName(i int) (*ast.TableName, int, error) {
	t := r.at(i)
	if t.is("only") {
		i++
		t = r.at(i)
	}
	if t.kind == tIdent && isReserved(t.val) {
		return nil, 0, r.errAt(i)
	}
	parts, _, j, err := r.s.qualifiedName(i, r.end)
	if err != nil {
		return nil, 0, err
	}
	if len(parts) > 3 {
		return nil, 0, unsupported(t, "improper qualified name (too many dotted names): %s", joinDots(parts))
	}
	return &ast.TableName{Pos: ast.At(t.off), Name: ast.Ident{Pos: ast.At(t.off), Parts: parts}}, j, nil
}

// alias reads [AS] alias [(col, ...)] at i; in UPDATE (noSet) a bare SET
// is the keyword, not an alias.
func (s *session) alias(i, end int, noSet bool) (string, []string, int, error) {
	t := s.tokAt(i, end)
	var alias string
	j := i
	switch {
	case t.is("as"):
		n := s.tokAt(i+1, end)
		if !n.isWord() || (n.kind == tIdent && isReserved(n.val)) {
			return "", nil, 0, s.errIn(i+1, end)
		}
		alias, j = n.val, i+2
	case t.kind == tQIdent || (t.kind == tIdent && !isReserved(t.val) && !(noSet && t.is("set"))):
		alias, j = t.val, i+1
	default:
		return "", nil, i, nil
	}
	if s.tokAt(j, end).isOp("(") {
		cols, k, err := s.nameList(j)
		if err != nil {
			return "", nil, 0, err
		}
		return alias, cols, k, nil
	}
	return alias, nil, j, nil
}
