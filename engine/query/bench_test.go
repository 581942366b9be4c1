package query_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/binder"
	"github.com/tocsin-db/tocsin/sql/parser"
)

// benchEnv has l(k, v) and r(k, w) with n rows each and keys in [0,
// keys), in batches of 1024 rows.
func benchEnv(b *testing.B, n, keys int) *env {
	e := newEnv()
	e.batchRows = 1024
	rng := rand.New(rand.NewPCG(5, 6))
	mk := func() [][]any {
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{rng.IntN(keys), rng.IntN(1000), i}
		}
		return rows
	}
	e.table(b, "l", cols("k int", "v int", "id int"), mk()...)
	e.table(b, "r", cols("k int", "w int", "id int"), mk()...)
	return e
}

// runBench binds sql once and runs it b.N times, reporting rows/s.
func runBench(b *testing.B, e *env, sql string, rows int) {
	stmt, err := parser.ParseOne(sql)
	if err != nil {
		b.Fatal(err)
	}
	p, err := binder.New(e.cat, e.reg).BindQuery(stmt.(*ast.SelectStmt).Query)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &query.Runner{Snap: e.snap, Ctx: &functions.Context{}}
		if _, err := r.Run(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkHashJoin(b *testing.B) {
	e := benchEnv(b, 20000, 20000)
	runBench(b, e, "SELECT l.v, r.w FROM l JOIN r ON l.k = r.k", 40000)
}

func BenchmarkHashJoinResidualLeft(b *testing.B) {
	e := benchEnv(b, 20000, 20000)
	runBench(b, e, "SELECT l.v, r.w FROM l LEFT JOIN r ON l.k = r.k AND l.v < r.w", 40000)
}

func BenchmarkNestedLoopJoin(b *testing.B) {
	e := benchEnv(b, 500, 500)
	runBench(b, e, "SELECT l.v, r.w FROM l JOIN r ON l.k < r.k AND l.v + 0 = r.w", 250000)
}

func BenchmarkWindowRowNumber(b *testing.B) {
	e := benchEnv(b, 50000, 100)
	runBench(b, e, "SELECT k, row_number() OVER (PARTITION BY k ORDER BY v, id) FROM l", 50000)
}

func BenchmarkWindowSlidingSum(b *testing.B) {
	e := benchEnv(b, 50000, 100)
	runBench(b, e, "SELECT k, sum(v) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 10 PRECEDING AND CURRENT ROW), max(v) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM l", 50000)
}

func BenchmarkWindowRangeAvg(b *testing.B) {
	e := benchEnv(b, 50000, 100)
	runBench(b, e, "SELECT k, avg(v) OVER (PARTITION BY k ORDER BY v RANGE BETWEEN 50 PRECEDING AND 50 FOLLOWING) FROM l", 50000)
}

func BenchmarkUnion(b *testing.B) {
	e := benchEnv(b, 20000, 1000)
	runBench(b, e, "SELECT k, v FROM l UNION SELECT k, w FROM r", 40000)
}

func BenchmarkInSubquery(b *testing.B) {
	e := benchEnv(b, 50000, 100000)
	runBench(b, e, "SELECT count(*) FROM l WHERE k IN (SELECT k FROM r WHERE w < 100)", 50000)
}

func BenchmarkCorrelatedScalar(b *testing.B) {
	e := benchEnv(b, 5000, 100)
	runBench(b, e, "SELECT k, (SELECT max(w) FROM r WHERE r.k = l.k) FROM l", 5000)
}
