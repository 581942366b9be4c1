package parser

import (
	"fmt"
	"strings"
	"testing"
)

const productExample = `CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, host VARCHAR,
  latency_ms DOUBLE PRECISION, status INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector='kafka', topic='requests', properties.bootstrap.server='127.0.0.1:9092',
  scan.startup.mode='earliest') FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW req_1m AS
  SELECT window_start, window_end, service, count(*) AS n, sum(latency_ms) AS total_ms,
         avg(latency_ms) AS avg_ms, min(latency_ms) AS min_ms, max(latency_ms) AS max_ms
  FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE)
  WHERE status < 500
  GROUP BY window_start, window_end, service;
SELECT * FROM req_1m WHERE service = 'svc-01' ORDER BY window_start DESC LIMIT 5;`

func BenchmarkParse(b *testing.B) {
	cases := map[string]string{
		"product":  productExample,
		"point":    "SELECT * FROM req_1m WHERE service = $1 ORDER BY window_start DESC LIMIT 5",
		"set":      "SET application_name = 'psql'",
		"psql-dt+": clientQueries(b)[0].text,
	}
	for name, text := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := Parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseSize shows that the cost grows linearly with the input
// (ns/op divided by n should stay flat).
func BenchmarkParseSize(b *testing.B) {
	gens := map[string]func(n int) string{
		"sum":   func(n int) string { return "SELECT " + strings.Repeat("a + ", n) + "1" },
		"casts": func(n int) string { return "SELECT " + strings.Repeat("x::int || ", n) + "''" },
		"in":    func(n int) string { return "SELECT 1 WHERE x IN (" + strings.Repeat("'v', ", n) + "'v')" },
		"calls": func(n int) string {
			return "SELECT " + strings.Repeat("count(*) FILTER (WHERE x > 1), ", n) + "1 FROM t"
		},
		"nest": func(n int) string { return "SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")::int", n) },
	}
	for name, gen := range gens {
		for _, n := range []int{100, 1000} {
			if name == "nest" && n > 400 {
				n = 400
			}
			text := gen(n)
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					if _, err := Parse(text); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
