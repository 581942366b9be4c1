package parser

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// create dispatches CREATE statements. Kinds without a node become
// *ast.Generic ("create index", "create function", ...).
func (p *stmtParser) create() (ast.Statement, error) {
	p.i++
	orReplace := p.accept("or", "replace")
	switch {
	case p.accept("materialized", "view"):
		return p.createView(true, orReplace)
	case p.accept("view"):
		return p.createView(false, orReplace)
	case orReplace:
		if p.tok().kind == tIdent {
			return p.generic(4)
		}
		return nil, p.err()
	case p.accept("source"):
		return p.createSource()
	case p.accept("table"):
		return p.createTable()
	case p.accept("sink"):
		return p.createSink()
	case p.accept("silence"):
		return p.createSilence()
	case p.accept("inhibition"):
		return p.createInhibition()
	case p.tok().kind == tIdent:
		return p.generic(2)
	}
	return nil, p.err()
}

// createSource parses CREATE SOURCE [IF NOT EXISTS] name (columns
// [, WATERMARK FOR col AS expr]) followed, in either order, by WITH
// (options) and FORMAT f [ENCODE e].
func (p *stmtParser) createSource() (ast.Statement, error) {
	cs := &ast.CreateSource{Pos: p.pos(), IfNotExists: p.accept("if", "not", "exists"), Text: p.text()}
	var err error
	if cs.Name, err = p.qualified(); err != nil {
		return nil, err
	}
	if !p.tok().isOp("(") {
		return nil, p.err()
	}
	closer := p.s.match[p.i]
	p.i++
	for {
		if t := p.tok(); t.is("watermark") && p.peek(1).is("for") {
			if cs.Watermark != nil {
				return nil, sqlerr.At(sqlerr.SyntaxError, t.off, "multiple WATERMARK clauses are not allowed")
			}
			if cs.Watermark, err = p.watermark(closer); err != nil {
				return nil, err
			}
		} else {
			col, err := p.columnDef(closer)
			if err != nil {
				return nil, err
			}
			cs.Columns = append(cs.Columns, col)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.i != closer {
		return nil, p.err()
	}
	p.i++
	haveWith, haveFormat := false, false
	for !p.atEnd() {
		t := p.tok()
		switch {
		case t.is("with") && !haveWith:
			p.i++
			haveWith = true
			if cs.With, err = p.options(); err != nil {
				return nil, err
			}
		case t.is("format") && !haveFormat:
			p.i++
			haveFormat = true
			if cs.Format, cs.Encode, err = p.format(); err != nil {
				return nil, err
			}
		default:
			return nil, p.err()
		}
	}
	return cs, nil
}

func (p *stmtParser) watermark(closer int) (*ast.Watermark, error) {
	t := p.tok()
	p.i += 2
	col, _, err := p.name()
	if err != nil {
		return nil, err
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	e, j, err := p.s.subExpr(p.i, closer)
	if err != nil {
		return nil, err
	}
	p.i = j
	return &ast.Watermark{Pos: ast.At(t.off), Column: col, Expr: e}, nil
}

// streamFormats may be written alone after FORMAT, meaning FORMAT PLAIN
// ENCODE f.
var streamFormats = wordSet(`json csv avro protobuf bytes`)

// format parses the words after FORMAT: f ENCODE e, or just an encoding.
func (p *stmtParser) format() (string, string, error) {
	f := p.tok()
	if !f.isWord() {
		return "", "", p.err()
	}
	p.i++
	if p.accept("encode") {
		e := p.tok()
		if !e.isWord() {
			return "", "", p.err()
		}
		p.i++
		return lower(f.val), lower(e.val), nil
	}
	if !streamFormats[lower(f.val)] {
		return "", "", p.err()
	}
	return "plain", lower(f.val), nil
}

// columnDef parses name type [NOT NULL | NULL | PRIMARY KEY]... inside
// the column list that closes at closer.
func (p *stmtParser) columnDef(closer int) (ast.ColumnDef, error) {
	name, t, err := p.name()
	if err != nil {
		return ast.ColumnDef{}, err
	}
	typ, j, err := p.s.typeName(p.i, closer)
	if err != nil {
		return ast.ColumnDef{}, err
	}
	p.i = j
	col := ast.ColumnDef{Pos: ast.At(t.off), Name: name, Type: typ}
	for {
		switch c := p.tok(); {
		case p.accept("not", "null"):
			col.NotNull = true
		case p.accept("null"):
		case p.accept("primary", "key"):
			col.PrimaryKey = true
		case c.is("default") || c.is("check") || c.is("references") || c.is("unique") ||
			c.is("constraint") || c.is("generated") || c.is("collate"):
			return ast.ColumnDef{}, unsupported(c, "column constraint %s is not supported", upper(c.val))
		default:
			return col, nil
		}
	}
}

// createTable parses CREATE TABLE [IF NOT EXISTS] name (columns
// [, PRIMARY KEY (a, ...)]) [WITH (options)].
func (p *stmtParser) createTable() (ast.Statement, error) {
	ct := &ast.CreateTable{Pos: p.pos(), IfNotExists: p.accept("if", "not", "exists"), Text: p.text()}
	var err error
	if ct.Name, err = p.qualified(); err != nil {
		return nil, err
	}
	if t := p.tok(); t.is("as") {
		return nil, unsupported(t, "CREATE TABLE ... AS is not supported; use CREATE MATERIALIZED VIEW")
	}
	if !p.tok().isOp("(") {
		return nil, p.err()
	}
	closer := p.s.match[p.i]
	p.i++
	for {
		if t := p.tok(); t.is("primary") && p.peek(1).is("key") {
			if ct.PrimaryKey != nil {
				return nil, sqlerr.At(sqlerr.InvalidObjectDefinition, t.off, "multiple primary keys for table \"%s\" are not allowed", ct.Name.String())
			}
			p.i += 2
			if ct.PrimaryKey, err = p.nameList(); err != nil {
				return nil, err
			}
		} else if t.is("constraint") || t.is("unique") || t.is("check") || t.is("foreign") {
			return nil, unsupported(t, "table constraint %s is not supported", upper(t.val))
		} else {
			col, err := p.columnDef(closer)
			if err != nil {
				return nil, err
			}
			ct.Columns = append(ct.Columns, col)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.i != closer {
		return nil, p.err()
	}
	p.i++
	if p.accept("with") {
		if ct.With, err = p.options(); err != nil {
			return nil, err
		}
	}
	return ct, p.done()
}

// createView parses CREATE [OR REPLACE] [MATERIALIZED] VIEW [IF NOT
// EXISTS] name [(cols)] [WITH (...)] AS query [EMIT ON WINDOW CLOSE]
// [WITH (...)].
func (p *stmtParser) createView(materialized, orReplace bool) (ast.Statement, error) {
	cv := &ast.CreateView{Pos: p.pos(), Materialized: materialized, OrReplace: orReplace,
		IfNotExists: p.accept("if", "not", "exists"), Text: p.text()}
	var err error
	if cv.Name, err = p.qualified(); err != nil {
		return nil, err
	}
	if p.tok().isOp("(") {
		if cv.Columns, err = p.nameList(); err != nil {
			return nil, err
		}
	}
	if p.accept("with") {
		if cv.With, err = p.options(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("as"); err != nil {
		return nil, err
	}
	if cv.Query, cv.QueryText, err = p.embeddedQuery(); err != nil {
		return nil, err
	}
	for !p.atEnd() {
		t := p.tok()
		switch {
		case p.accept("emit", "on", "window", "close"):
			cv.Emit = ast.EmitOnWindowClose
		case p.accept("emit", "on", "update"):
			cv.Emit = ast.EmitOnUpdate
		case t.is("with") && cv.With == nil:
			p.i++
			if cv.With, err = p.options(); err != nil {
				return nil, err
			}
		default:
			return nil, p.err()
		}
	}
	return cv, nil
}

// embeddedQuery parses the query of CREATE VIEW / CREATE SINK, which
// ends at EMIT ON, at WITH ( or at the end of the statement.
func (p *stmtParser) embeddedQuery() (ast.Query, string, error) {
	if !p.s.isQuery(p.i, p.end) {
		return nil, "", p.err()
	}
	end := p.queryEnd(p.i)
	q, err := p.s.parseQuery(p.i, end)
	if err != nil {
		return nil, "", err
	}
	text := p.s.text[p.s.toks[p.i].off:p.s.toks[end-1].end]
	p.i = end
	return q, text, nil
}

// createSink parses CREATE SINK [IF NOT EXISTS] name FROM rel [WHERE
// cond] WITH (...) and CREATE SINK name [WITH (...)] AS query [WITH
// (...)].
func (p *stmtParser) createSink() (ast.Statement, error) {
	cs := &ast.CreateSink{Pos: p.pos(), IfNotExists: p.accept("if", "not", "exists"), Text: p.text()}
	var err error
	if cs.Name, err = p.qualified(); err != nil {
		return nil, err
	}
	if p.accept("from") {
		from, err := p.qualified()
		if err != nil {
			return nil, err
		}
		cs.From = &from
		if p.accept("where") {
			if cs.Where, err = p.expr(); err != nil {
				return nil, err
			}
		}
	} else {
		if p.accept("with") {
			if cs.With, err = p.options(); err != nil {
				return nil, err
			}
		}
		if err := p.expect("as"); err != nil {
			return nil, err
		}
		if cs.Query, _, err = p.embeddedQuery(); err != nil {
			return nil, err
		}
	}
	if p.tok().is("with") && cs.With == nil {
		p.i++
		if cs.With, err = p.options(); err != nil {
			return nil, err
		}
	}
	if t := p.tok(); t.is("format") {
		return nil, unsupported(t, "FORMAT on a sink is not supported; use WITH options")
	}
	return cs, p.done()
}

// dropKinds maps the words after DROP to object kinds.
var dropKinds = map[string]ast.ObjectKind{
	"source": ast.ObjSource, "table": ast.ObjTable, "view": ast.ObjView, "sink": ast.ObjSink,
	"index": ast.ObjIndex, "silence": ast.ObjSilence, "inhibition": ast.ObjInhibition, "user": ast.ObjUser,
}

// drop parses DROP kind [IF EXISTS] name [, ...] [CASCADE | RESTRICT].
func (p *stmtParser) drop() (ast.Statement, error) {
	p.i++
	d := &ast.Drop{Pos: p.pos()}
	switch t := p.tok(); {
	case p.accept("materialized", "view"):
		d.Kind = ast.ObjMaterializedView
	case t.kind == tIdent && dropKinds[t.val] != 0:
		d.Kind = dropKinds[t.val]
		p.i++
	case t.kind == tIdent:
		return p.generic(2)
	default:
		return nil, p.err()
	}
	d.IfExists = p.accept("if", "exists")
	for {
		if t := p.tok(); d.Kind == ast.ObjSilence && t.kind == tNumber {
			// Silences are dropped by name or by the id CREATE SILENCE
			// returned.
			d.Names = append(d.Names, ast.Ident{Pos: ast.At(t.off), Parts: []string{t.val}})
			p.i++
			if !p.acceptOp(",") {
				break
			}
			continue
		}
		name, err := p.qualified()
		if err != nil {
			return nil, err
		}
		d.Names = append(d.Names, name)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.accept("cascade") {
		d.Cascade = true
	} else {
		p.accept("restrict")
	}
	return d, p.done()
}
