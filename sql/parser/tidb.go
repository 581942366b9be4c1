package parser

import (
	"strconv"
	"strings"

	tidb "github.com/pingcap/tidb/pkg/parser"
	tast "github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// tidbMode is the SQL mode closest to Postgres for the text we hand
// over: "..." quotes identifiers and backslashes are literal. (The
// rewritten text never contains || or string literals other than ones
// the rewriter made, but the modes keep TiDB's lexer Postgres-like.)
const tidbMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes

// runTiDB parses rewritten text with the session's TiDB parser (created
// on first use; a TiDB parser is not safe for concurrent use, and a
// session belongs to one goroutine). The result must be converted before
// the next call, which reuses the parser's buffers.
func (s *session) runTiDB(rw *rewritten) (node tast.StmtNode, err error) {
	if s.tidb == nil {
		ensureDriver()
		s.tidb = tidb.New()
		s.tidb.SetSQLMode(tidbMode)
	}
	defer func() {
		// TiDB's generated parser can panic on input it does not expect;
		// that is a syntax error in the user's text as far as we can tell.
		if p := recover(); p != nil {
			node, err = nil, sqlerr.At(sqlerr.SyntaxError, rw.orig(0), "syntax error")
			s.tidb = nil
		}
	}()
	stmts, _, perr := s.tidb.ParseSQL(rw.text)
	if perr != nil {
		return nil, s.tidbError(rw, perr)
	}
	if len(stmts) != 1 {
		return nil, sqlerr.At(sqlerr.SyntaxError, rw.orig(0), "syntax error")
	}
	return stmts[0], nil
}

// tidbError turns TiDB's "line L column C near "rest-of-text"" into
// Postgres's "syntax error at or near "token"" at the user's token.
func (s *session) tidbError(rw *rewritten, err error) error {
	msg := err.Error()
	off := -1
	if k := strings.Index(msg, ` near "`); k >= 0 {
		val := msg[k+len(` near "`):]
		if t := strings.LastIndex(val, "(total length "); t >= 0 {
			if n, e := strconv.Atoi(strings.TrimRight(val[t+len("(total length "):], ") ")); e == nil {
				off = len(rw.text) - n
			}
		} else if e := strings.LastIndex(val, `"`); e >= 0 && strings.HasSuffix(rw.text, val[:e]) {
			off = len(rw.text) - e
		}
	}
	if off < 0 {
		return sqlerr.At(sqlerr.SyntaxError, rw.orig(0), "syntax error")
	}
	if off >= len(rw.text) {
		return s.syntaxErr(rw.endTok)
	}
	return s.syntaxErr(s.tokenAt(rw.orig(off)))
}
