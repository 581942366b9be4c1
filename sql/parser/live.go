package parser

import (
	"strconv"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// subscribe parses SUBSCRIBE [TO] name [WITH (options)].
func (p *stmtParser) subscribe() (ast.Statement, error) {
	p.i++
	p.accept("to")
	name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	st := &ast.Subscribe{Pos: p.pos(), Name: name}
	if p.accept("with") {
		if st.With, err = p.options(); err != nil {
			return nil, err
		}
	}
	return st, p.done()
}

// declare parses DECLARE name [NO SCROLL] CURSOR [WITH | WITHOUT HOLD]
// FOR query, where query is SUBSCRIBE or a SELECT.
func (p *stmtParser) declare() (ast.Statement, error) {
	p.i++
	name, _, err := p.name()
	if err != nil {
		return nil, err
	}
	st := &ast.DeclareCursor{Pos: p.pos(), Name: name}
	switch t := p.tok(); {
	case p.accept("no", "scroll"):
	case t.is("binary"), t.is("insensitive"), t.is("asensitive"), t.is("scroll"):
		return nil, unsupported(t, "DECLARE ... %s CURSOR is not supported", upper(t.val))
	}
	if err := p.expect("cursor"); err != nil {
		return nil, err
	}
	switch {
	case p.accept("with", "hold"):
		st.Hold = true
	case p.accept("without", "hold"):
	}
	if err := p.expect("for"); err != nil {
		return nil, err
	}
	if p.atEnd() {
		return nil, p.err()
	}
	q, err := p.s.statement(p.i, p.end)
	if err != nil {
		return nil, err
	}
	switch q.(type) {
	case *ast.Subscribe, *ast.SelectStmt:
	default:
		return nil, unsupported(p.tok(), "a cursor can read SUBSCRIBE or SELECT only")
	}
	st.Query = q
	return st, nil
}

// fetch parses FETCH [NEXT | n | ALL | FORWARD [n | ALL]] [FROM | IN]
// cursor [WITH (options)]. The other directions (PRIOR, FIRST, LAST,
// ABSOLUTE, RELATIVE, BACKWARD) need scrollable cursors and are 0A000.
func (p *stmtParser) fetch() (ast.Statement, error) {
	p.i++
	st := &ast.Fetch{Pos: p.pos(), Count: 1}
	count := func() (bool, error) {
		switch t := p.tok(); {
		case t.is("all"):
			p.i++
			st.Count = ast.FetchAll
		case t.kind == tNumber:
			n, err := strconv.ParseInt(t.val, 10, 64)
			if err != nil || n < 0 {
				return false, sqlerr.At(sqlerr.SyntaxError, t.off, "FETCH count must be a non-negative integer, not %s", t.val)
			}
			p.i++
			st.Count = n
		default:
			return false, nil
		}
		return true, nil
	}
	switch t := p.tok(); {
	case t.is("next"):
		p.i++
	case t.is("forward"):
		p.i++
		if _, err := count(); err != nil {
			return nil, err
		}
	case t.is("prior"), t.is("first"), t.is("last"), t.is("absolute"), t.is("relative"), t.is("backward"):
		return nil, unsupported(t, "FETCH %s is not supported: cursors only move forward", upper(t.val))
	default:
		if _, err := count(); err != nil {
			return nil, err
		}
	}
	if !p.accept("from") {
		p.accept("in")
	}
	name, _, err := p.name()
	if err != nil {
		return nil, err
	}
	st.Cursor = name
	if p.accept("with") {
		if st.With, err = p.options(); err != nil {
			return nil, err
		}
	}
	return st, p.done()
}

// closeCursor parses CLOSE name and CLOSE ALL.
func (p *stmtParser) closeCursor() (ast.Statement, error) {
	p.i++
	st := &ast.CloseCursor{Pos: p.pos()}
	if p.accept("all") {
		st.All = true
		return st, p.done()
	}
	name, _, err := p.name()
	if err != nil {
		return nil, err
	}
	st.Name = name
	return st, p.done()
}

// channel reads a LISTEN / NOTIFY channel name: any word.
func (p *stmtParser) channel() (string, error) {
	t := p.tok()
	if !t.isWord() {
		return "", p.err()
	}
	p.i++
	return t.val, nil
}

// listen parses LISTEN channel.
func (p *stmtParser) listen() (ast.Statement, error) {
	p.i++
	ch, err := p.channel()
	if err != nil {
		return nil, err
	}
	return &ast.Listen{Pos: p.pos(), Channel: ch}, p.done()
}

// unlisten parses UNLISTEN channel and UNLISTEN *.
func (p *stmtParser) unlisten() (ast.Statement, error) {
	p.i++
	st := &ast.Unlisten{Pos: p.pos()}
	if p.acceptOp("*") {
		st.All = true
		return st, p.done()
	}
	ch, err := p.channel()
	if err != nil {
		return nil, err
	}
	st.Channel = ch
	return st, p.done()
}

// notify parses NOTIFY channel [, 'payload'].
func (p *stmtParser) notify() (ast.Statement, error) {
	p.i++
	ch, err := p.channel()
	if err != nil {
		return nil, err
	}
	st := &ast.Notify{Pos: p.pos(), Channel: ch}
	if p.acceptOp(",") {
		t := p.tok()
		if t.kind != tString {
			return nil, p.err()
		}
		st.Payload = t.val
		p.i++
	}
	return st, p.done()
}
