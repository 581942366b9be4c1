package parser

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
)

func lower(s string) string { return strings.ToLower(s) }
func upper(s string) string { return strings.ToUpper(s) }

// showKinds maps SHOW's list forms.
var showKinds = map[string]ast.ShowKind{
	"sources": ast.ShowSources, "tables": ast.ShowTables, "views": ast.ShowViews,
	"sinks": ast.ShowSinks, "all": ast.ShowAll, "silences": ast.ShowSilences,
	"inhibitions": ast.ShowInhibitions, "alerts": ast.ShowAlerts,
}

// show parses SHOW SOURCES|TABLES|MATERIALIZED VIEWS|VIEWS|SINKS|ALL|
// SILENCES, SHOW COLUMNS FROM name, and SHOW variable.
func (p *stmtParser) show() (ast.Statement, error) {
	p.i++
	sh := &ast.Show{Pos: p.pos()}
	t := p.tok()
	switch {
	case p.accept("materialized", "views"):
		sh.Kind = ast.ShowMaterializedViews
	case t.kind == tIdent && showKinds[t.val] != 0 && p.peek(1).kind == tEOF:
		sh.Kind = showKinds[t.val]
		p.i++
	case p.accept("columns", "from"):
		sh.Kind = ast.ShowColumns
		name, err := p.qualified()
		if err != nil {
			return nil, err
		}
		sh.Name = name.String()
	case p.accept("transaction", "isolation", "level"):
		sh.Name = "transaction_isolation"
	case p.accept("time", "zone"):
		sh.Name = "timezone"
	case p.accept("session", "authorization"):
		sh.Name = "session_authorization"
	default:
		name, err := p.variable()
		if err != nil {
			return nil, err
		}
		sh.Name = name
	}
	return sh, p.done()
}

// variable reads a configuration parameter name: word(.word)*.
func (p *stmtParser) variable() (string, error) {
	t := p.tok()
	if !t.isWord() {
		return "", p.err()
	}
	name := lower(t.val)
	p.i++
	for p.tok().isOp(".") && p.peek(1).isWord() {
		name += "." + lower(p.peek(1).val)
		p.i += 2
	}
	return name, nil
}

// describe parses DESCRIBE name and DESC name.
func (p *stmtParser) describe() (ast.Statement, error) {
	p.i++
	name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	return &ast.Describe{Pos: p.pos(), Name: name}, p.done()
}

// set parses SET [SESSION|LOCAL] name {TO|=} value[, ...], SET TIME
// ZONE, SET NAMES and SET SCHEMA. SET ... TO DEFAULT is a RESET. SET
// TRANSACTION, SET SESSION CHARACTERISTICS, SET ROLE and SET SESSION
// AUTHORIZATION become Generic.
func (p *stmtParser) set() (ast.Statement, error) {
	p.i++
	st := &ast.Set{Pos: p.pos()}
	switch {
	case p.tok().is("transaction"), p.accept("session", "characteristics"),
		p.tok().is("role"), p.tok().is("session") && p.peek(1).is("authorization"):
		return p.generic(2)
	case p.accept("local"):
		st.Local = true
	case p.accept("session"):
	}
	switch {
	case p.accept("time", "zone"):
		st.Name = "timezone"
		if p.accept("local") || p.accept("default") {
			return &ast.Reset{Pos: st.Pos, Name: st.Name}, p.done()
		}
		if t := p.tok(); t.is("interval") {
			return nil, unsupported(t, "SET TIME ZONE INTERVAL is not supported")
		}
		v, err := p.setValue()
		if err != nil {
			return nil, err
		}
		st.Values = []string{v}
		return st, p.done()
	case p.accept("names"):
		st.Name = "client_encoding"
	case p.accept("schema"):
		st.Name = "search_path"
	default:
		name, err := p.variable()
		if err != nil {
			return nil, err
		}
		st.Name = name
		if !p.accept("to") && !p.acceptOp("=") {
			return nil, p.err()
		}
		if p.tok().is("default") && p.peek(1).kind == tEOF {
			p.i++
			return &ast.Reset{Pos: st.Pos, Name: st.Name}, p.done()
		}
	}
	for {
		v, err := p.setValue()
		if err != nil {
			return nil, err
		}
		st.Values = append(st.Values, v)
		if !p.acceptOp(",") {
			break
		}
	}
	return st, p.done()
}

// setValue reads one value of SET: a string, a signed number or a word.
func (p *stmtParser) setValue() (string, error) {
	v, _, err := p.optionValue()
	return v, err
}

// reset parses RESET name, RESET ALL and RESET TIME ZONE.
func (p *stmtParser) reset() (ast.Statement, error) {
	p.i++
	r := &ast.Reset{Pos: p.pos()}
	switch {
	case p.accept("time", "zone"):
		r.Name = "timezone"
	case p.tok().is("session") && p.peek(1).is("authorization"), p.tok().is("role"):
		return p.generic(2)
	default:
		name, err := p.variable()
		if err != nil {
			return nil, err
		}
		r.Name = name
	}
	return r, p.done()
}

// transaction parses BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK and
// ABORT. Transaction modes are checked for syntax and otherwise ignored:
// Tocsin's sessions do not isolate reads. ROLLBACK TO SAVEPOINT, COMMIT
// PREPARED and the like become Generic.
func (p *stmtParser) transaction() (ast.Statement, error) {
	t := p.tok()
	p.i++
	tx := &ast.Transaction{Pos: p.pos()}
	switch t.val {
	case "begin":
		tx.Kind = ast.TxnBegin
		if !p.accept("work") {
			p.accept("transaction")
		}
		return tx, p.txnModes()
	case "start":
		tx.Kind = ast.TxnBegin
		if err := p.expect("transaction"); err != nil {
			return nil, err
		}
		return tx, p.txnModes()
	case "commit", "end":
		tx.Kind = ast.TxnCommit
	default:
		tx.Kind = ast.TxnRollback
	}
	if n := p.tok(); n.is("prepared") || n.is("to") {
		return p.generic(2)
	}
	if !p.accept("work") {
		p.accept("transaction")
	}
	if p.tok().is("and") {
		if p.accept("and", "no", "chain") {
			return tx, p.done()
		}
		return nil, unsupported(p.tok(), "AND CHAIN is not supported")
	}
	return tx, p.done()
}

// txnModes checks ISOLATION LEVEL ..., READ WRITE|ONLY and [NOT]
// DEFERRABLE, separated by optional commas.
func (p *stmtParser) txnModes() error {
	for !p.atEnd() {
		switch {
		case p.accept("isolation", "level"):
			switch {
			case p.accept("serializable"), p.accept("repeatable", "read"),
				p.accept("read", "committed"), p.accept("read", "uncommitted"):
			default:
				return p.err()
			}
		case p.accept("read", "write"), p.accept("read", "only"),
			p.accept("deferrable"), p.accept("not", "deferrable"):
		default:
			return p.err()
		}
		p.acceptOp(",")
	}
	return nil
}

// explain parses EXPLAIN [ANALYZE] [VERBOSE] statement and EXPLAIN
// (option [value], ...) statement. Only ANALYZE changes the node; a
// FORMAT other than TEXT is refused.
func (p *stmtParser) explain() (ast.Statement, error) {
	p.i++
	ex := &ast.Explain{Pos: p.pos()}
	if p.tok().isOp("(") {
		closer := p.s.match[p.i]
		p.i++
		for {
			o := p.tok()
			if !o.isWord() {
				return nil, p.err()
			}
			p.i++
			val := "true"
			if v := p.tok(); v.isWord() || v.kind == tString || v.kind == tNumber {
				val = lower(v.val)
				p.i++
			}
			switch lower(o.val) {
			case "analyze", "analyse":
				ex.Analyze = val == "true" || val == "on" || val == "1"
			case "format":
				if val != "text" {
					return nil, unsupported(o, "EXPLAIN FORMAT %s is not supported", upper(val))
				}
			}
			if !p.acceptOp(",") {
				break
			}
		}
		if p.i != closer {
			return nil, p.err()
		}
		p.i++
	} else {
		ex.Analyze = p.accept("analyze") || p.accept("analyse")
		p.accept("verbose")
	}
	if p.atEnd() {
		return nil, p.err()
	}
	if p.tok().is("materialized") && p.i+1 < p.end && p.s.toks[p.i+1].is("view") {
		p.i += 2
		name, err := p.qualified()
		if err != nil {
			return nil, err
		}
		if !p.atEnd() {
			return nil, p.err()
		}
		ex.View = &name
		return ex, nil
	}
	inner, err := p.s.statement(p.i, p.end)
	if err != nil {
		return nil, err
	}
	ex.Stmt = inner
	return ex, nil
}

// copyStmt parses COPY table [(cols)] FROM STDIN [[WITH] (options) |
// legacy options]. Options are name [value] pairs; legacy CSV and
// BINARY become format, HEADER alone becomes header = true.
func (p *stmtParser) copyStmt() (ast.Statement, error) {
	p.i++
	cp := &ast.Copy{Pos: p.pos()}
	if t := p.tok(); t.isOp("(") {
		return nil, unsupported(t, "COPY (query) TO is not supported; only COPY ... FROM STDIN is")
	}
	var err error
	if cp.Table, err = p.qualified(); err != nil {
		return nil, err
	}
	if p.tok().isOp("(") {
		if cp.Columns, err = p.nameList(); err != nil {
			return nil, err
		}
	}
	if t := p.tok(); t.is("to") {
		return nil, unsupported(t, "COPY ... TO is not supported; only COPY ... FROM STDIN is")
	}
	if err := p.expect("from"); err != nil {
		return nil, err
	}
	if t := p.tok(); !t.is("stdin") {
		if t.kind == tString || t.is("program") || t.is("stdout") {
			return nil, unsupported(t, "COPY FROM a file or program is not supported; only COPY ... FROM STDIN is")
		}
		return nil, p.err()
	}
	p.i++
	withKw := p.accept("with")
	if p.tok().isOp("(") {
		if cp.Options, err = p.copyOptions(); err != nil {
			return nil, err
		}
	} else if err := p.copyLegacy(cp); err != nil {
		return nil, err
	} else if withKw && len(cp.Options) == 0 {
		return nil, p.err()
	}
	if t := p.tok(); t.is("where") {
		return nil, unsupported(t, "COPY ... WHERE is not supported")
	}
	return cp, p.done()
}

func (p *stmtParser) copyOptions() ([]ast.Option, error) {
	closer := p.s.match[p.i]
	p.i++
	var opts []ast.Option
	for {
		k := p.tok()
		if !k.isWord() {
			return nil, p.err()
		}
		p.i++
		o := ast.Option{Pos: ast.At(k.off), Key: lower(k.val), Value: "true"}
		switch v := p.tok(); {
		case v.isOp("(") || v.isOp("*"):
			return nil, unsupported(v, "COPY option %s with a column list is not supported", upper(k.val))
		case v.isOp(",") || p.i == closer:
		default:
			val, quoted, err := p.optionValue()
			if err != nil {
				return nil, err
			}
			o.Value, o.Quoted = val, quoted
		}
		opts = append(opts, o)
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

// copyLegacy parses the pre-9.0 option syntax.
func (p *stmtParser) copyLegacy(cp *ast.Copy) error {
	add := func(t token, key, val string, quoted bool) {
		cp.Options = append(cp.Options, ast.Option{Pos: ast.At(t.off), Key: key, Value: val, Quoted: quoted})
	}
	for !p.atEnd() {
		t := p.tok()
		switch {
		case p.accept("binary"):
			add(t, "format", "binary", false)
		case p.accept("csv"):
			add(t, "format", "csv", false)
		case p.accept("header"):
			add(t, "header", "true", false)
		case t.is("delimiter") || t.is("null") || t.is("quote") || t.is("escape"):
			p.i++
			p.accept("as")
			v := p.tok()
			if v.kind != tString {
				return p.err()
			}
			p.i++
			add(t, t.val, v.val, true)
		case t.is("force"):
			return unsupported(t, "COPY FORCE options are not supported")
		default:
			return nil
		}
	}
	return nil
}
