package parser

import (
	"strconv"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// createSilence parses CREATE SILENCE [name] MATCHING (matchers) FOR
// [INTERVAL] 'duration' [COMMENT 'text'] [WITH (options)]. CREATE has
// been consumed, and SILENCE.
func (p *stmtParser) createSilence() (ast.Statement, error) {
	cs := &ast.CreateSilence{Pos: p.pos()}
	if !p.tok().is("matching") {
		name, _, err := p.name()
		if err != nil {
			return nil, err
		}
		cs.Name = name
	}
	if err := p.expect("matching"); err != nil {
		return nil, err
	}
	var err error
	if cs.Matchers, err = p.matchers(); err != nil {
		return nil, err
	}
	if err := p.expect("for"); err != nil {
		return nil, err
	}
	p.accept("interval")
	t := p.tok()
	if t.kind != tString {
		return nil, p.err()
	}
	cs.For = t.val
	p.i++
	// FOR INTERVAL '2' HOUR: a unit word after the string.
	if u := p.tok(); u.kind == tIdent && intervalUnits[u.val] {
		cs.For += " " + u.val
		p.i++
	}
	for !p.atEnd() {
		switch {
		case p.tok().is("comment") && cs.Comment == "":
			p.i++
			c := p.tok()
			if c.kind != tString {
				return nil, p.err()
			}
			cs.Comment = c.val
			p.i++
		case p.tok().is("with") && cs.With == nil:
			p.i++
			if cs.With, err = p.options(); err != nil {
				return nil, err
			}
		default:
			return nil, p.err()
		}
	}
	return cs, nil
}

// createInhibition parses CREATE INHIBITION name SOURCE MATCHING (...)
// TARGET MATCHING (...) [EQUAL (label, ...)].
func (p *stmtParser) createInhibition() (ast.Statement, error) {
	ci := &ast.CreateInhibition{Pos: p.pos()}
	name, _, err := p.name()
	if err != nil {
		return nil, err
	}
	ci.Name = name
	if err := p.expect("source", "matching"); err != nil {
		return nil, err
	}
	if ci.Source, err = p.matchers(); err != nil {
		return nil, err
	}
	if err := p.expect("target", "matching"); err != nil {
		return nil, err
	}
	if ci.Target, err = p.matchers(); err != nil {
		return nil, err
	}
	if p.accept("equal") {
		if ci.Equal, err = p.nameList(); err != nil {
			return nil, err
		}
	}
	return ci, p.done()
}

// matchers parses ( label op 'value' [, ...] ) with op one of =, !=,
// <>, =~ and !~.
func (p *stmtParser) matchers() ([]ast.LabelMatcher, error) {
	if !p.tok().isOp("(") {
		return nil, p.err()
	}
	closer := p.s.match[p.i]
	p.i++
	var out []ast.LabelMatcher
	for {
		label, lt, err := p.name()
		if err != nil {
			return nil, err
		}
		m := ast.LabelMatcher{Pos: ast.At(lt.off), Label: label}
		switch t := p.tok(); {
		case t.isOp("=") && p.peek(1).isOp("~"):
			m.Op = ast.MatchRegexp
			p.i += 2
		case t.isOp("=~"):
			m.Op = ast.MatchRegexp
			p.i++
		case t.isOp("="):
			m.Op = ast.MatchEqual
			p.i++
		case t.isOp("!=") || t.isOp("<>"):
			m.Op = ast.MatchNotEqual
			p.i++
		case t.isOp("!~"):
			m.Op = ast.MatchNotRegexp
			p.i++
		default:
			return nil, sqlerr.At(sqlerr.SyntaxError, t.off, "expected a label matcher operator (=, !=, =~ or !~) after %q", label)
		}
		v := p.tok()
		if v.kind != tString && v.kind != tNumber {
			return nil, p.err()
		}
		m.Value = v.val
		p.i++
		out = append(out, m)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.i != closer {
		return nil, p.err()
	}
	p.i++
	return out, nil
}

// acknowledge parses ACKNOWLEDGE ALERT id [, ...] [BY 'who'].
func (p *stmtParser) acknowledge() (ast.Statement, error) {
	p.i++
	a := &ast.Acknowledge{Pos: p.pos()}
	if err := p.expect("alert"); err != nil {
		return nil, err
	}
	for {
		t := p.tok()
		if t.kind != tNumber {
			return nil, p.err()
		}
		id, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, sqlerr.At(sqlerr.InvalidParameterValue, t.off, "alert id %s is not an integer", t.val)
		}
		a.IDs = append(a.IDs, id)
		p.i++
		if !p.acceptOp(",") {
			break
		}
	}
	if p.accept("by") {
		t := p.tok()
		if t.kind != tString && !t.isWord() {
			return nil, p.err()
		}
		a.By = t.val
		p.i++
	}
	return a, p.done()
}

// intervalUnits are the unit words INTERVAL 'n' UNIT accepts after a
// silence's duration.
var intervalUnits = map[string]bool{
	"second": true, "seconds": true, "minute": true, "minutes": true, "hour": true, "hours": true,
	"day": true, "days": true, "week": true, "weeks": true,
}
