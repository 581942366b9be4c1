package parser

// insert rewrites INSERT INTO name [(cols)] {VALUES (...), ... | query}.
func (r *rewriter) insert(i int) (int, error) {
	if !r.at(i + 1).is("into") {
		return 0, r.errAt(i + 1)
	}
	r.emit("insert into", r.at(i).off)
	tn, j, err := r.tableName(i + 2)
	if err != nil {
		return 0, err
	}
	if a := r.at(j); a.is("as") {
		return 0, unsupported(a, "INSERT ... AS alias is not supported")
	}
	r.fromPlaceholder(tn, tn.Position())
	if r.at(j).isOp("(") && !r.s.isQuery(j+1, r.s.match[j]) {
		cols, k, err := r.s.nameList(j)
		if err != nil {
			return 0, err
		}
		r.emit("(", r.at(j).off)
		for c, name := range cols {
			if c > 0 {
				r.emit(",", r.at(j).off)
			}
			r.ident(name, r.at(j).off)
		}
		r.emit(")", r.at(k-1).off)
		j = k
	}
	switch t := r.at(j); {
	case t.is("default") && r.at(j+1).is("values"):
		return 0, unsupported(t, "INSERT ... DEFAULT VALUES is not supported")
	case t.is("overriding"):
		return 0, unsupported(t, "INSERT ... OVERRIDING is not supported")
	case t.is("values"):
		r.word(j)
		j++
		for {
			if !r.at(j).isOp("(") {
				return 0, r.errAt(j)
			}
			r.emit("(", r.at(j).off)
			k, err := r.group(j, r.exprList)
			if err != nil {
				return 0, err
			}
			r.emit(")", r.at(k-1).off)
			j = k
			if !r.at(j).isOp(",") {
				break
			}
			r.emit(",", r.at(j).off)
			j++
		}
	case r.s.isQuery(j, r.end):
		if j, err = r.query(j); err != nil {
			return 0, err
		}
	default:
		return 0, r.errAt(j)
	}
	return j, r.dmlTail(j)
}

// update rewrites UPDATE name SET col = expr, ... [WHERE cond]. Column
// names become placeholders that carry their positions.
func (r *rewriter) update(i int) (int, error) {
	r.word(i)
	tn, j, err := r.tableName(i + 1)
	if err != nil {
		return 0, err
	}
	if a := r.at(j); a.is("as") || a.kind == tQIdent || (a.kind == tIdent && !isReserved(a.val) && !a.is("set")) {
		return 0, unsupported(a, "a table alias in UPDATE is not supported")
	}
	r.fromPlaceholder(tn, tn.Position())
	if !r.at(j).is("set") {
		return 0, r.errAt(j)
	}
	r.word(j)
	j++
	for {
		c := r.at(j)
		if c.isOp("(") {
			return 0, unsupported(c, "multiple-column UPDATE SET is not supported")
		}
		if !c.isWord() || (c.kind == tIdent && isReserved(c.val)) {
			return 0, r.errAt(j)
		}
		if n := r.at(j + 1); n.isOp(".") || n.isOp("[") {
			return 0, unsupported(n, "assigning to a field or element in UPDATE is not supported")
		}
		if !r.at(j + 1).isOp("=") {
			return 0, r.errAt(j + 1)
		}
		name, _ := r.s.newMarker(marker{kind: mkColumn, name: c.val, pos: c.off})
		r.ident(name, c.off)
		r.emit("=", r.at(j+1).off)
		if j, err = r.expr(j+2, 0); err != nil {
			return 0, err
		}
		if !r.at(j).isOp(",") {
			break
		}
		r.emit(",", r.at(j).off)
		j++
	}
	if t := r.at(j); t.is("from") {
		return 0, unsupported(t, "UPDATE ... FROM is not supported")
	}
	if j, err = r.where(j); err != nil {
		return 0, err
	}
	return j, r.dmlTail(j)
}

// delete rewrites DELETE FROM name [WHERE cond].
func (r *rewriter) delete(i int) (int, error) {
	if !r.at(i + 1).is("from") {
		return 0, r.errAt(i + 1)
	}
	r.emit("delete from", r.at(i).off)
	tn, j, err := r.tableName(i + 2)
	if err != nil {
		return 0, err
	}
	if a := r.at(j); a.is("as") || a.kind == tQIdent || (a.kind == tIdent && !isReserved(a.val)) {
		return 0, unsupported(a, "a table alias in DELETE is not supported")
	}
	r.fromPlaceholder(tn, tn.Position())
	if t := r.at(j); t.is("using") {
		return 0, unsupported(t, "DELETE ... USING is not supported")
	}
	if j, err = r.where(j); err != nil {
		return 0, err
	}
	return j, r.dmlTail(j)
}

func (r *rewriter) where(j int) (int, error) {
	if !r.at(j).is("where") {
		return j, nil
	}
	if r.at(j+1).is("current") && r.at(j+2).is("of") {
		return 0, unsupported(r.at(j+1), "WHERE CURRENT OF is not supported")
	}
	r.word(j)
	return r.expr(j+1, 0)
}

// dmlTail rejects the clauses Tocsin's DML does not support.
func (r *rewriter) dmlTail(j int) error {
	switch t := r.at(j); {
	case t.is("returning"):
		return unsupported(t, "RETURNING is not supported")
	case t.is("on") && r.at(j+1).is("conflict"):
		return unsupported(t, "INSERT ... ON CONFLICT is not supported")
	}
	return nil
}
