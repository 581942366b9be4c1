package parser

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// stmtParser is the recursive-descent cursor for the statements this
// package parses itself (streaming DDL and utility statements). It
// reads tokens [start, end) of the session; toks[end] is the ';' or EOF.
type stmtParser struct {
	s     *session
	i     int
	start int
	end   int
}

func (p *stmtParser) tok() token       { return p.s.tokAt(p.i, p.end) }
func (p *stmtParser) peek(n int) token { return p.s.tokAt(p.i+n, p.end) }
func (p *stmtParser) err() error       { return p.s.errIn(p.i, p.end) }
func (p *stmtParser) pos() ast.Pos     { return ast.At(p.s.toks[p.start].off) }
func (p *stmtParser) atEnd() bool      { return p.i >= p.end }
func (p *stmtParser) acceptOp(op string) bool {
	if p.tok().isOp(op) {
		p.i++
		return true
	}
	return false
}

// accept consumes the words if the next tokens are exactly them.
func (p *stmtParser) accept(words ...string) bool {
	for k, w := range words {
		if !p.peek(k).is(w) {
			return false
		}
	}
	p.i += len(words)
	return true
}

func (p *stmtParser) expect(words ...string) error {
	for _, w := range words {
		if !p.tok().is(w) {
			return p.err()
		}
		p.i++
	}
	return nil
}

func (p *stmtParser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.err()
	}
	return nil
}

// done requires the statement to end here.
func (p *stmtParser) done() error {
	if !p.atEnd() {
		return p.err()
	}
	return nil
}

// text is the statement's own text.
func (p *stmtParser) text() string {
	return p.s.text[p.s.toks[p.start].off:p.s.toks[p.end-1].end]
}

// name reads an identifier that may name a column or relation.
func (p *stmtParser) name() (string, token, error) {
	t := p.tok()
	if !t.isWord() || (t.kind == tIdent && isReserved(t.val)) {
		return "", t, p.err()
	}
	p.i++
	return t.val, t, nil
}

// qualified reads a possibly qualified relation name.
func (p *stmtParser) qualified() (ast.Ident, error) {
	t := p.tok()
	if t.kind == tIdent && isReserved(t.val) {
		return ast.Ident{}, p.err()
	}
	parts, off, j, err := p.s.qualifiedName(p.i, p.end)
	if err != nil {
		return ast.Ident{}, err
	}
	if len(parts) > 3 {
		return ast.Ident{}, sqlerr.At(sqlerr.SyntaxError, off, "improper qualified name (too many dotted names): %s", joinDots(parts))
	}
	p.i = j
	return ast.Ident{Pos: ast.At(off), Parts: parts}, nil
}

// nameList reads ( name, ... ).
func (p *stmtParser) nameList() ([]string, error) {
	if !p.tok().isOp("(") {
		return nil, p.err()
	}
	names, j, err := p.s.nameList(p.i)
	if err != nil {
		return nil, err
	}
	p.i = j
	return names, nil
}

// options reads WITH-style options ( key = value, ... ). Keys are
// dotted words, lower-cased; values are strings (Quoted), numbers or
// words.
func (p *stmtParser) options() ([]ast.Option, error) {
	if !p.tok().isOp("(") {
		return nil, p.err()
	}
	closer := p.s.match[p.i]
	p.i++
	var opts []ast.Option
	for {
		kt := p.tok()
		if !kt.isWord() && kt.kind != tString {
			return nil, p.err()
		}
		key := strings.ToLower(kt.val)
		p.i++
		for p.tok().isOp(".") && p.peek(1).isWord() {
			key += "." + strings.ToLower(p.peek(1).val)
			p.i += 2
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		val, quoted, err := p.optionValue()
		if err != nil {
			return nil, err
		}
		opts = append(opts, ast.Option{Pos: ast.At(kt.off), Key: key, Value: val, Quoted: quoted})
		if !p.acceptOp(",") {
			break
		}
	}
	if p.i != closer {
		return nil, p.err()
	}
	p.i++
	return opts, nil
}

// optionValue reads a string, a signed number or a word.
func (p *stmtParser) optionValue() (string, bool, error) {
	t := p.tok()
	switch {
	case t.kind == tString:
		p.i++
		return t.val, true, nil
	case t.kind == tNumber:
		p.i++
		return t.val, false, nil
	case (t.isOp("-") || t.isOp("+")) && p.peek(1).kind == tNumber:
		p.i += 2
		sign := ""
		if t.val == "-" {
			sign = "-"
		}
		return sign + p.peek(-1).val, false, nil
	case t.isWord():
		p.i++
		return t.val, false, nil
	}
	return "", false, p.err()
}

// generic builds an *ast.Generic whose verb is the first n words.
func (p *stmtParser) generic(n int) (ast.Statement, error) {
	g := &ast.Generic{Pos: p.pos(), Text: p.text()}
	var verb []string
	k := p.start
	for ; k < p.end && len(verb) < n; k++ {
		t := p.s.toks[k]
		if t.kind != tIdent {
			break
		}
		verb = append(verb, t.val)
	}
	g.Verb = strings.Join(verb, " ")
	for ; k < p.end; k++ {
		g.Args = append(g.Args, p.s.raw(p.s.toks[k]))
	}
	return g, nil
}

// expr parses an expression at the cursor with a separate TiDB parse.
func (p *stmtParser) expr() (ast.Expr, error) {
	e, j, err := p.s.subExpr(p.i, p.end)
	if err != nil {
		return nil, err
	}
	p.i = j
	return e, nil
}

// queryEnd returns the end of a query that starts at i and may be
// followed, at depth zero, by EMIT or by a WITH ( option list.
func (p *stmtParser) queryEnd(i int) int {
	for k := i + 1; k < p.end; k++ {
		t := p.s.toks[k]
		if t.isOp("(") || t.isOp("[") {
			k = p.s.match[k]
			continue
		}
		if (t.is("emit") && p.s.tokAt(k+1, p.end).is("on")) || (t.is("with") && p.s.tokAt(k+1, p.end).isOp("(")) {
			return k
		}
	}
	return p.end
}
