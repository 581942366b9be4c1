package parser

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Parse splits text into statements and parses them all. A syntax error
// anywhere fails the whole text (as Postgres does for a simple Query
// message). Positions are 0-based byte offsets into text; errors are
// *sqlerr.Error with Pos = offset+1. Empty statements (only comments or
// semicolons) are skipped, so text without statements yields none.
func Parse(text string) ([]ast.Statement, error) {
	s, err := newSession(text)
	if err != nil {
		return nil, err
	}
	var stmts []ast.Statement
	start := 0
	for i, t := range s.toks {
		if !t.isOp(";") && t.kind != tEOF {
			continue
		}
		if i > start {
			st, err := s.statement(start, i)
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, st)
		}
		start = i + 1
	}
	return stmts, nil
}

// ParseOne parses text holding exactly one statement.
func ParseOne(text string) (ast.Statement, error) {
	stmts, err := Parse(text)
	if err != nil {
		return nil, err
	}
	switch len(stmts) {
	case 0:
		return nil, sqlerr.At(sqlerr.SyntaxError, len(text), "syntax error at end of input").
			WithDetail("The text holds no statement.")
	case 1:
		return stmts[0], nil
	}
	return nil, sqlerr.At(sqlerr.SyntaxError, stmts[1].Position(), "cannot insert multiple commands into a prepared statement")
}

// ParseExpr parses a standalone scalar expression (used for stored
// watermark expressions). Positions are offsets into text.
func ParseExpr(text string) (ast.Expr, error) {
	s, err := newSession(text)
	if err != nil {
		return nil, err
	}
	end := len(s.toks) - 1
	if err := s.matchBrackets(0, end); err != nil {
		return nil, err
	}
	e, j, err := s.subExpr(0, end)
	if err != nil {
		return nil, err
	}
	if j != end {
		return nil, s.syntaxErr(s.toks[j])
	}
	return e, nil
}

func newSession(text string) (*session, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	return &session{text: text, toks: toks, match: make([]int, len(toks))}, nil
}

// genericVerbs are the statements recognised by their first word only;
// they become *ast.Generic for the executor to accept or refuse.
var genericVerbs = wordSet(`abort alter analyze call checkpoint cluster comment deallocate
	discard do execute grant import load lock move prepare reassign
	refresh reindex release revoke savepoint security truncate vacuum`)

// statement parses tokens [start, end); toks[end] is the ';' or EOF.
func (s *session) statement(start, end int) (ast.Statement, error) {
	if err := s.matchBrackets(start, end); err != nil {
		return nil, err
	}
	t := s.toks[start]
	if t.isOp("(") {
		return s.queryStmt(start, end)
	}
	if t.kind != tIdent {
		return nil, s.syntaxErr(t)
	}
	p := &stmtParser{s: s, i: start, start: start, end: end}
	if st, ok, err := p.roleStmt(); ok {
		return st, err
	}
	switch t.val {
	case "select", "with", "values", "table":
		return s.queryStmt(start, end)
	case "insert", "update", "delete":
		return s.dmlStmt(start, end)
	case "create":
		return p.create()
	case "drop":
		return p.drop()
	case "show":
		return p.show()
	case "describe", "desc":
		return p.describe()
	case "acknowledge":
		return p.acknowledge()
	case "set":
		return p.set()
	case "reset":
		return p.reset()
	case "begin", "start", "commit", "end", "rollback":
		return p.transaction()
	case "explain":
		return p.explain()
	case "copy":
		return p.copyStmt()
	case "subscribe":
		return p.subscribe()
	case "declare":
		return p.declare()
	case "fetch":
		return p.fetch()
	case "close":
		return p.closeCursor()
	case "listen":
		return p.listen()
	case "unlisten":
		return p.unlisten()
	case "notify":
		return p.notify()
	}
	if genericVerbs[t.val] {
		if t.is("abort") {
			return p.transaction()
		}
		return p.generic(1)
	}
	return nil, s.syntaxErr(t)
}

func (s *session) queryStmt(start, end int) (ast.Statement, error) {
	if s.toks[start].is("with") {
		if k := s.afterWith(start, end); k < end {
			if t := s.toks[k]; t.is("insert") || t.is("update") || t.is("delete") {
				return nil, unsupported(t, "WITH ... %s is not supported", upper(t.val))
			}
		}
	}
	q, err := s.parseQuery(start, end)
	if err != nil {
		return nil, err
	}
	return &ast.SelectStmt{Pos: ast.At(s.toks[start].off), Query: q}, nil
}

// afterWith returns the index of the first token after the CTE list of
// the WITH at i (best effort, for error messages).
func (s *session) afterWith(i, end int) int {
	for k := i + 1; k < end; k++ {
		if s.toks[k].isOp("(") {
			k = s.match[k]
			if k+1 < end && !s.toks[k+1].isOp(",") {
				return k + 1
			}
		}
	}
	return end
}

// parseQuery parses the query filling [start, end) with one TiDB parse.
func (s *session) parseQuery(start, end int) (ast.Query, error) {
	r := s.newRewriter(end)
	j, err := r.query(start)
	if err != nil {
		return nil, err
	}
	if j != end {
		return nil, r.errAt(j)
	}
	rw := r.finish(j)
	node, err := s.runTiDB(rw)
	if err != nil {
		return nil, err
	}
	return (&converter{s: s, rw: rw}).query(node)
}

func (s *session) dmlStmt(start, end int) (ast.Statement, error) {
	r := s.newRewriter(end)
	var j int
	var err error
	switch t := s.toks[start]; {
	case t.is("insert"):
		j, err = r.insert(start)
	case t.is("update"):
		j, err = r.update(start)
	default:
		j, err = r.delete(start)
	}
	if err != nil {
		return nil, err
	}
	if j != end {
		return nil, r.errAt(j)
	}
	rw := r.finish(j)
	node, err := s.runTiDB(rw)
	if err != nil {
		return nil, err
	}
	return (&converter{s: s, rw: rw}).dml(node, s.toks[start].off)
}

// subExpr parses the expression starting at token i (and ending where
// the expression grammar stops, at most at end) with its own TiDB
// parse. It returns the expression and the index after it.
func (s *session) subExpr(i, end int) (ast.Expr, int, error) {
	r := s.newRewriter(end)
	r.emit("select", s.tokAt(i, end).off)
	j, err := r.expr(i, 0)
	if err != nil {
		return nil, 0, err
	}
	es, err := s.selectExprs(r, j)
	if err != nil {
		return nil, 0, err
	}
	return es[0], j, nil
}

// parseExprList parses a comma-separated expression list filling
// [i, end), such as the arguments of a table function.
func (s *session) parseExprList(i, end int) ([]ast.Expr, error) {
	r := s.newRewriter(end)
	r.emit("select", s.toks[i].off)
	j, err := r.exprList(i)
	if err != nil {
		return nil, err
	}
	if j != end {
		return nil, r.errAt(j)
	}
	return s.selectExprs(r, j)
}

// selectExprs runs TiDB on "SELECT e1, e2, ..." and converts the items.
func (s *session) selectExprs(r *rewriter, stop int) ([]ast.Expr, error) {
	rw := r.finish(stop)
	node, err := s.runTiDB(rw)
	if err != nil {
		return nil, err
	}
	c := &converter{s: s, rw: rw}
	return c.selectExprs(node)
}
