package parser

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin-db/tocsin/sql/ast"
)

func TestLex(t *testing.T) {
	kinds := map[tokKind]string{tIdent: "id", tQIdent: "qid", tNumber: "num", tString: "str",
		tBitString: "bits", tParam: "param", tOp: "op"}
	for _, tc := range []struct{ in, want string }{
		{`SELECT Foo, "Bar""s", ñame`, `id:select id:foo op:, qid:Bar"s op:, id:ñame`},
		{`1 1.5 .5 1e3 1.5E-3 2.`, `num:1 num:1.5 num:.5 num:1e3 num:1.5E-3 num:2.`},
		{`'a''b' E'\t\x41\101\u00e9' $$x$$ $q$a$$b$q$ B'01' x'fF' N'n'`,
			"str:a'b str:\tAAé str:x str:a$$b bits:01 bits:fF str:n"},
		{"'a'\n  'b' 'c'", `str:ab str:c`},
		{`a=-1 b<>-2 c*-3 d->>'k' e::int f!~*g h||-1`,
			`id:a op:= op:- num:1 id:b op:<> op:- num:2 id:c op:* op:- num:3 id:d op:->> str:k id:e op::: id:int id:f op:!~* id:g id:h op:||- num:1`},
		{`$1 $23 a$b`, `param:1 param:23 id:a$b`},
		{"a -- comment\n/* c /* nested */ c */ b", `id:a id:b`},
		{`a+/*c*/b a--c`, `id:a op:+ id:b id:a`},
	} {
		toks, err := lex(tc.in)
		if err != nil {
			t.Errorf("lex(%q): %v", tc.in, err)
			continue
		}
		var got []string
		for _, tk := range toks[:len(toks)-1] {
			got = append(got, kinds[tk.kind]+":"+tk.val)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("lex(%q)\n got %s\nwant %s", tc.in, g, tc.want)
		}
		for _, tk := range toks {
			if tk.off < 0 || tk.end > len(tc.in) || tk.off > tk.end {
				t.Errorf("lex(%q): bad token span %d..%d", tc.in, tk.off, tk.end)
			}
		}
	}
}

// TestParseOne covers the single-statement entry point.
func TestParseOne(t *testing.T) {
	if _, err := ParseOne("SELECT 1;"); err != nil {
		t.Errorf("one statement: %v", err)
	}
	for _, in := range []string{"", "-- nothing", "SELECT 1; SELECT 2"} {
		if _, err := ParseOne(in); err == nil {
			t.Errorf("ParseOne(%q) succeeded", in)
		}
	}
	if _, err := ParseExpr("a b"); err == nil {
		t.Error("ParseExpr accepted two expressions")
	}
	e, err := ParseExpr("  ts - INTERVAL '5' SECOND")
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := e.(*ast.Binary); !ok || b.Position() != 5 || b.L.Position() != 2 {
		t.Errorf("ParseExpr positions: %#v", e)
	}
}

// TestConcurrentParse runs parses in parallel; with -race it checks that
// parses share no mutable state.
func TestConcurrentParse(t *testing.T) {
	queries := []string{productExample, "SELECT x::int FROM t WHERE y ~ 'a'", "SHOW TABLES",
		"SELECT count(*) FILTER (WHERE a) OVER (PARTITION BY b) FROM TUMBLE(s, ts, INTERVAL '1' MINUTE)"}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				q := queries[(g+i)%len(queries)]
				stmts, err := Parse(q)
				if err != nil {
					errs <- fmt.Errorf("%q: %v", q, err)
					return
				}
				for _, s := range stmts {
					if _, err := ParseOne(ast.Format(s)); err != nil {
						errs <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
