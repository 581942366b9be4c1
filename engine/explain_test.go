package engine_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/tocsin-db/tocsin/connectors/memory"
)

// maskMillis hides times, which vary between runs.
var maskMillis = regexp.MustCompile(`[0-9]+\.[0-9]{3} ms`)

// TestExplain replays testdata/explain: EXPLAIN of CREATE statements and
// of queries over views, EXPLAIN ANALYZE with live counters, and
// tocsin_operators.
//
//	exec: run the statements; prints "ok" or the error.
//	append topic=<log> [partition=<p>]: append the input's lines to a log.
//	wait view=<name> rows=<n>: wait until the view has n rows.
//	query: run a query; prints its rows, one per line, columns joined by
//	" | ", with times masked.
func TestExplain(t *testing.T) {
	datadriven.Walk(t, "testdata/explain", func(t *testing.T, path string) {
		logs := map[string]*memory.Log{"ev": memory.NewLog(1), "orders": memory.NewLog(1), "payments": memory.NewLog(1)}
		te := openEngine(t, t.TempDir(), -1, logs)
		t.Cleanup(func() { _ = te.Close() })
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "exec":
				if _, err := te.execErr(d.Input, ""); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "append":
				var topic string
				p := 0
				d.ScanArgs(t, "topic", &topic)
				if d.HasArg("partition") {
					d.ScanArgs(t, "partition", &p)
				}
				var values [][]byte
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					values = append(values, []byte(line))
				}
				// One append: the source reads the lines as one batch.
				logs[topic].Append(int32(p), values...)
				return "ok\n"
			case "wait":
				var name string
				var n int
				d.ScanArgs(t, "view", &name)
				d.ScanArgs(t, "rows", &n)
				waitFor(t, 10*time.Second, "view "+name, func() string {
					r := te.exec(t, "SELECT count(*) FROM "+name)
					if got := int(r.rows[0][0].I); got != n {
						return fmt.Sprintf("%d rows", got)
					}
					return ""
				})
				return "ok\n"
			case "query":
				r, err := te.execErr(d.Input, "")
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				var b strings.Builder
				for _, row := range r.rows {
					parts := make([]string, len(row))
					for i, v := range row {
						parts[i] = v.String()
					}
					b.WriteString(strings.Join(parts, " | "))
					b.WriteByte('\n')
				}
				return maskMillis.ReplaceAllString(b.String(), "? ms")
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}
