//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests of the differential harness itself: they need neither
// PostgreSQL nor a broker, so they run with every `go test`.

// TestPgdiffCaseFiles checks that the case files parse, hold at least 80
// cases, and that every dataset they declare generates.
func TestPgdiffCaseFiles(t *testing.T) {
	files, err := loadCaseFiles("testdata/pgdiff")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, c := range files.cases {
		if !c.lateCounter {
			count++
		}
		if !c.lateCounter && (c.query == "" || c.pgQuery == "") {
			t.Errorf("case %s has no query", c.name)
		}
	}
	if count < 80 {
		t.Fatalf("%d cases, want at least 80", count)
	}
	for name, spec := range files.datasets {
		if _, err := spec.generate(); err != nil {
			t.Errorf("dataset %s: %v", name, err)
		}
	}
}

// TestPgdiffDatasetInvariants checks the promises the comparison relies
// on: determinism, no data event late, late events late for every window
// of at most an hour, sentinels that close every data window without
// reaching into it, and records both sides read alike.
func TestPgdiffDatasetInvariants(t *testing.T) {
	files, err := loadCaseFiles("testdata/pgdiff")
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range files.datasets {
		t.Run(name, func(t *testing.T) {
			a, err := spec.generate()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := spec.generate()
			if !bytes.Equal(a.copyData(), b.copyData()) {
				t.Fatal("two generations differ")
			}
			checkDataset(t, a)
		})
	}
}

func checkDataset(t *testing.T, ds *dataset) {
	t.Helper()
	spec := ds.spec
	delay := spec.delay.Milliseconds()
	partMax := map[int32]int64{}
	maxTS := int64(0)
	for _, e := range ds.data {
		if m, ok := partMax[e.part]; ok && e.ts < m-delay {
			t.Fatalf("data event %d is late: %d < %d - %d", e.seq, e.ts, m, delay)
		}
		partMax[e.part] = max(partMax[e.part], e.ts)
		maxTS = max(maxTS, e.ts)
	}
	if len(partMax) != spec.partitions {
		t.Fatalf("%d of %d partitions have data; an empty one would hold the watermark back", len(partMax), spec.partitions)
	}
	if spec.dup == 0 {
		seen := map[int64]bool{}
		for _, e := range ds.data {
			if seen[e.ts] {
				t.Fatalf("dup=0 but timestamp %d repeats", e.ts)
			}
			seen[e.ts] = true
		}
	}
	// A late event's hour-long window closes before any partition's
	// first watermark.
	firstWM := spec.start.UnixMilli() - spec.disorder.Milliseconds() - delay
	for _, e := range ds.late {
		end := time.UnixMilli(e.ts).Truncate(time.Hour).Add(time.Hour).UnixMilli()
		if end > firstWM {
			t.Fatalf("late event %d at %d: its hour ends at %d, after the first watermark %d", e.seq, e.ts, end, firstWM)
		}
	}
	cut := ds.cut.UnixMilli()
	if maxTS >= cut-time.Hour.Milliseconds() {
		t.Fatalf("data reaches %d, within an hour of the cut %d", maxTS, cut)
	}
	if len(ds.sentinels) != spec.partitions {
		t.Fatalf("%d sentinels for %d partitions", len(ds.sentinels), spec.partitions)
	}
	for _, e := range ds.sentinels {
		if e.ts-time.Hour.Milliseconds() < cut {
			t.Fatalf("a sentinel's hour-long window would start before the cut")
		}
		if e.ts-delay-maxTS < 5*time.Hour.Milliseconds() {
			t.Fatalf("the sentinel's watermark does not pass the data by hours")
		}
		if e.ts-delay-24*time.Hour.Milliseconds() >= spec.start.UnixMilli() {
			t.Fatalf("the sentinel's watermark is a day past the data: retention would drop it")
		}
	}
	// Every record is valid JSON, every COPY line has all columns.
	for _, set := range [][]pdEvent{ds.data, ds.late, ds.sentinels} {
		for i := range set {
			js := set[i].appendJSON(nil)
			if !json.Valid(js) {
				t.Fatalf("invalid JSON record: %s", js)
			}
			line := set[i].appendCopy(nil)
			if n := bytes.Count(line, []byte("\t")); n != 10 {
				t.Fatalf("COPY line with %d tabs, want 10: %q", n, line)
			}
		}
	}
}

func TestPgdiffJSONAndCopyAgree(t *testing.T) {
	e := pdEvent{ts: 1_772_359_207_123, seq: 7, k: "k01", s: "tab\there\\ \"q\" é", j: `{"n":1}`, g: 2, i: -5, v: 1.25, x: -0.5, b: true}
	var rec map[string]any
	if err := json.Unmarshal(e.appendJSON(nil), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["s"] != e.s || rec["k"] != "k01" || rec["i"] != -5.0 || rec["ts"] != float64(e.ts) {
		t.Fatalf("JSON record %v", rec)
	}
	want := "2026-03-01 10:00:07.123\t7\tk01\t2\t-5\t1.25\t-0.5\ttab\\there\\\\ \"q\" é\ttrue\t{\"n\":1}\tf\n"
	if got := string(e.appendCopy(nil)); got != want {
		t.Fatalf("COPY line\n%q\nwant\n%q", got, want)
	}
	e.null = 1<<pdNumNullable - 1
	if got := string(e.appendCopy(nil)); got != "2026-03-01 10:00:07.123\t7\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tf\n" {
		t.Fatalf("COPY line of NULLs %q", got)
	}
}

func TestPgdiffParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"indented header", "  case a\n-- query\nSELECT 1\n", "column 0"},
		{"unknown block", "cases a\n", "unknown block"},
		{"unknown option", "case a bogus=1\n-- query\nSELECT 1\n", "unknown option"},
		{"no query", "case a\n-- pg-setup\nCREATE VIEW v AS SELECT 1\n", "no -- query"},
		{"view without postgres", "case a\n-- tocsin\nCREATE MATERIALIZED VIEW v AS SELECT 1\n", "needs -- postgres"},
		{"two queries", "case a\n-- query\nSELECT 1;\nSELECT 2\n", "want one"},
		{"text before section", "case a\nSELECT 1\n", "before the first section"},
		{"repeated section", "case a\n-- query\nSELECT 1\n-- query\nSELECT 2\n", "repeated"},
		{"bad name", "case A\n-- query\nSELECT 1\n", "lower-case"},
		{"bad error code", "case a error=123\n-- query\nSELECT 1\n", "SQLSTATE"},
		{"dataset delay", "dataset d disorder=5s delay=5s\n", "delay"},
		{"dataset nulls", "dataset d nulls=ts:0.5\n", "bad nulls"},
		{"dataset with SQL", "dataset d\n-- both\nSELECT 1\n", "no SQL"},
		{"table one side", "table t\n-- tocsin\nCREATE TABLE t (a INT)\n", "both sides"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := parseCaseFile("x.case", tc.src, &pgCaseFile{datasets: map[string]*datasetSpec{}, tables: map[string]*pgTable{}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, src, want string }{
		{"unknown dataset", "case a dataset=nope\n-- query\nSELECT 1\n", "unknown dataset"},
		{"duplicate case", "case a\n-- query\nSELECT 1\ncase a\n-- query\nSELECT 2\n", "already declared"},
		{"shared view", "dataset d\ncase a dataset=d\n-- tocsin\nCREATE MATERIALIZED VIEW v AS SELECT 1\n-- postgres\nSELECT 1\n" +
			"case b dataset=d\n-- tocsin\nCREATE MATERIALIZED VIEW v AS SELECT 2\n-- postgres\nSELECT 2\n", "every case owns"},
		{"cut without dataset", "case a\n-- query\nSELECT {cut}\n", "without a dataset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &pgCaseFile{datasets: map[string]*datasetSpec{}, tables: map[string]*pgTable{}}
			err := parseCaseFile("x.case", tc.src, f)
			if err == nil {
				err = f.validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestPgdiffParseCase(t *testing.T) {
	src := `# a comment
dataset d seed=3 events=10 late=2

table t
-- both
CREATE TABLE t (a INT);
INSERT INTO t VALUES (1),
  (2);

case c1 dataset=d tables=t ordered tol=1e-6 rel=p:0.01,q:0.5 cut=ws empty-ok
-- tocsin
CREATE MATERIALIZED VIEW v1 AS
  SELECT 'a;b' AS x FROM d;
-- a comment inside SQL
CREATE MATERIALIZED VIEW IF NOT EXISTS V2 AS SELECT 1
-- postgres
SELECT 1
`
	f := &pgCaseFile{datasets: map[string]*datasetSpec{}, tables: map[string]*pgTable{}}
	if err := parseCaseFile("x.case", src, f); err != nil {
		t.Fatal(err)
	}
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	if len(f.cases) != 2 || f.cases[1].name != "late_counter_d" || !f.cases[1].lateCounter {
		t.Fatalf("cases %+v", f.cases)
	}
	c := f.cases[0]
	if len(c.tocsin) != 2 || !strings.HasSuffix(c.tocsin[0], "FROM d") || !strings.HasPrefix(c.tocsin[1], "-- a comment") {
		t.Fatalf("statements %q", c.tocsin)
	}
	if strings.Join(c.views, ",") != "v1,v2" || c.query != "SELECT * FROM v2" || c.pgQuery != "SELECT 1" {
		t.Fatalf("views %v query %q pg %q", c.views, c.query, c.pgQuery)
	}
	if !c.ordered || c.tol != 1e-6 || c.colTol["p"] != 0.01 || c.colTol["q"] != 0.5 || c.cutCol != "ws" || !c.emptyOK {
		t.Fatalf("options %+v", c)
	}
	if tb := f.tables["t"]; len(tb.tocsin) != 2 || len(tb.postgres) != 2 {
		t.Fatalf("table %+v", tb)
	}
	if d := f.datasets["d"]; d.seed != 3 || d.events != 10 || d.late != 2 {
		t.Fatalf("dataset %+v", d)
	}
	if !pdWindowedOver("CREATE MATERIALIZED VIEW x AS SELECT 1 FROM hop ( d, ts, a, b)", "d") ||
		pdWindowedOver("CREATE MATERIALIZED VIEW x AS SELECT 1 FROM TUMBLE(dd, ts, a)", "d") ||
		!sqlMentions("SELECT d.k FROM d", "d") || sqlMentions("SELECT dx FROM y", "d") {
		t.Fatal("relation matching")
	}
}

// pdRes builds a result from "|"-separated rows; \N is NULL.
func pdRes(names string, oids []uint32, rows ...string) *pdResult {
	r := &pdResult{names: strings.Split(names, ","), oids: oids}
	for _, row := range rows {
		var cells []pdCell
		for _, v := range strings.Split(row, "|") {
			if v == `\N` {
				cells = append(cells, pdCell{null: true})
			} else {
				cells = append(cells, pdCell{text: v})
			}
		}
		r.rows = append(r.rows, cells)
	}
	return r
}

func TestPgdiffDiff(t *testing.T) {
	const (
		i8   = 20
		f8   = 701
		num  = 1700
		text = 25
		ts   = 1114
		tstz = 1184
	)
	unordered := &pgCase{tol: 1e-9, colTol: map[string]float64{}}
	ordered := &pgCase{tol: 1e-9, colTol: map[string]float64{}, ordered: true}
	approx := &pgCase{tol: 1e-9, colTol: map[string]float64{"n": 0.05}}
	for _, tc := range []struct {
		name      string
		c         *pgCase
		got, want *pdResult
		diff      string // "" or a substring of the diff
	}{
		{"floats within tolerance", unordered,
			pdRes("a", []uint32{f8}, "1000.0000000001", "1e-12"), pdRes("a", []uint32{f8}, "1000", "0"), ""},
		{"float beyond tolerance", unordered,
			pdRes("a", []uint32{f8}, "1.000001"), pdRes("a", []uint32{f8}, "1"), "1 different"},
		{"absolute near zero", unordered,
			pdRes("a", []uint32{f8}, "1e-8"), pdRes("a", []uint32{f8}, "0"), "1 different"},
		{"numeric against bigint", unordered,
			pdRes("a", []uint32{i8}, "12", "3"), pdRes("a", []uint32{num}, "12", "3.0000000000000000"), ""},
		{"integers exact", unordered,
			pdRes("a", []uint32{i8}, "10"), pdRes("a", []uint32{i8}, "11"), "1 missing"},
		{"NULL equals NULL only", unordered,
			pdRes("a,b", []uint32{text, i8}, `\N|1`, `|2`), pdRes("a,b", []uint32{text, i8}, `\N|1`, `\N|2`), "different"},
		{"timestamps as instants", unordered,
			pdRes("t", []uint32{tstz}, "2026-03-01 10:00:00+00", "2026-03-01 10:00:00.5+01"),
			pdRes("t", []uint32{ts}, "2026-03-01 10:00:00", "2026-03-01 09:00:00.500"), ""},
		{"special floats", unordered,
			pdRes("a", []uint32{f8}, "NaN", "Infinity", "-Infinity"), pdRes("a", []uint32{f8}, "-Infinity", "NaN", "Infinity"), ""},
		{"multiset", unordered,
			pdRes("a,b", []uint32{text, i8}, "x|1", "y|2", "x|1"), pdRes("a,b", []uint32{text, i8}, "x|1", "x|1", "y|2"), ""},
		{"multiset counts", unordered,
			pdRes("a", []uint32{text}, "x", "x", "y"), pdRes("a", []uint32{text}, "x", "y", "y"), "1 missing, 1 extra"},
		{"order matters when ordered", ordered,
			pdRes("a", []uint32{text}, "x", "y"), pdRes("a", []uint32{text}, "y", "x"), "2 different"},
		{"ordered length", ordered,
			pdRes("a", []uint32{text}, "x"), pdRes("a", []uint32{text}, "x", "y"), "1 missing, 0 extra"},
		{"same group other numbers", unordered,
			pdRes("k,n", []uint32{text, i8}, "a|1", "b|2"), pdRes("k,n", []uint32{text, i8}, "a|1", "b|3"), "(differs in n)"},
		{"column count", unordered,
			pdRes("a,b", []uint32{text, text}, "x|y"), pdRes("a", []uint32{text}, "x"), "column count"},
		{"per-column tolerance on an integer", approx,
			pdRes("k,n", []uint32{text, i8}, "a|1020"), pdRes("k,n", []uint32{text, i8}, "a|1000"), ""},
		{"per-column tolerance exceeded", approx,
			pdRes("k,n", []uint32{text, i8}, "a|1100"), pdRes("k,n", []uint32{text, i8}, "a|1000"), "different"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := pdDiff(tc.got, tc.want, tc.c)
			switch {
			case tc.diff == "" && d != "":
				t.Fatalf("unexpected difference:\n%s", d)
			case tc.diff != "" && !strings.Contains(d, tc.diff):
				t.Fatalf("diff %q does not contain %q", d, tc.diff)
			}
		})
	}
}

func TestPgdiffDropSentinelRows(t *testing.T) {
	cut := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	r := pdRes("window_start,n", []uint32{1114, 20}, "2026-03-01 10:00:00|1", "2026-03-01 14:00:00|2", `\N|3`, "2026-03-01 17:59:00|4")
	if n, err := pdDropSentinelRows(r, "", cut); err != nil || n != 2 || len(r.rows) != 2 {
		t.Fatalf("dropped %d (%v), kept %v", n, err, r.rows)
	}
	if n, _ := pdDropSentinelRows(pdRes("x", []uint32{1114}, "2026-03-02 00:00:00"), "", cut); n != 0 {
		t.Fatal("no window_start column: nothing to drop")
	}
	if n, _ := pdDropSentinelRows(pdRes("window_start", []uint32{1114}, "2026-03-02 00:00:00"), "none", cut); n != 0 {
		t.Fatal("cut=none drops nothing")
	}
	if _, err := pdDropSentinelRows(pdRes("x", []uint32{1114}, "2026-03-02 00:00:00"), "ws", cut); err == nil {
		t.Fatal("a named cut column must exist")
	}
}

// FuzzPgdiffCaseFile: the case-file parser never panics, and whatever it
// accepts validates without panicking and has a query for both sides.
func FuzzPgdiffCaseFile(f *testing.F) {
	paths, _ := filepath.Glob("testdata/pgdiff/*.case")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("case a\n-- query\nSELECT 1\n")
	f.Add("dataset d gaps=2x1m nulls=k:0.5\ncase a dataset=d rel=x:1\n-- tocsin\nCREATE MATERIALIZED VIEW v AS\nSELECT 1;\n-- postgres\nSELECT {cut}\n")
	f.Add("table t\n-- tocsin\nCREATE TABLE t (a int);\n-- postgres\nCREATE TABLE t (a int)\n")
	f.Fuzz(func(t *testing.T, src string) {
		cf := &pgCaseFile{datasets: map[string]*datasetSpec{}, tables: map[string]*pgTable{}}
		if err := parseCaseFile("fuzz.case", src, cf); err != nil {
			return
		}
		if err := cf.validate(); err != nil {
			return
		}
		for _, c := range cf.cases {
			if !c.lateCounter && (c.query == "" || c.pgQuery == "") {
				t.Fatalf("case %s accepted without a query", c.name)
			}
		}
	})
}

// FuzzPgdiffDiff: a result equals itself and any permutation of itself
// compared as a multiset, whatever its values and types.
func FuzzPgdiffDiff(f *testing.F) {
	f.Add([]byte("1|a|NaN\n2|b|1e-9\n\\N|c|-0\n2|b|1e-9"), uint8(0), int64(1))
	f.Add([]byte("2026-03-01 10:00:00|x\n2026-03-01 10:00:00+00|y"), uint8(3), int64(2))
	f.Add([]byte("Infinity\n-Infinity\n1\n\\N"), uint8(7), int64(3))
	oidSets := [][]uint32{{20, 25, 701}, {1700, 25}, {25, 701, 20}, {1114, 25}, {701}, {20}, {1184, 16}, {701, 701}}
	f.Fuzz(func(t *testing.T, data []byte, kinds uint8, seed int64) {
		oids := oidSets[int(kinds)%len(oidSets)]
		names := make([]string, len(oids))
		for i := range names {
			names[i] = string(rune('a' + i))
		}
		r := &pdResult{names: names, oids: oids}
		for _, line := range strings.Split(string(data), "\n") {
			parts := strings.Split(line, "|")
			row := make([]pdCell, len(oids))
			for i := range row {
				switch {
				case i >= len(parts):
					row[i] = pdCell{null: true}
				case parts[i] == `\N`:
					row[i] = pdCell{null: true}
				default:
					row[i] = pdCell{text: parts[i]}
				}
			}
			r.rows = append(r.rows, row)
		}
		c := &pgCase{tol: 1e-9, colTol: map[string]float64{}}
		if d := pdDiff(r, r, c); d != "" {
			t.Fatalf("a result differs from itself:\n%s", d)
		}
		shuffled := &pdResult{names: names, oids: oids, rows: append([][]pdCell(nil), r.rows...)}
		rand.New(rand.NewSource(seed)).Shuffle(len(shuffled.rows), func(i, j int) {
			shuffled.rows[i], shuffled.rows[j] = shuffled.rows[j], shuffled.rows[i]
		})
		if d := pdDiff(shuffled, r, c); d != "" {
			t.Fatalf("a permutation differs as a multiset:\n%s", d)
		}
	})
}

// BenchmarkPgdiffDiff measures one comparison of a 4,000-row result, what
// every poll of a projection case costs.
func BenchmarkPgdiffDiff(b *testing.B) {
	spec, err := parseDatasetSpec("bench", []string{"events=4000", "keys=12", "partitions=4", "step=250ms", "disorder=2s", "delay=3s", "dup=0.05"})
	if err != nil {
		b.Fatal(err)
	}
	ds, err := spec.generate()
	if err != nil {
		b.Fatal(err)
	}
	r := &pdResult{names: []string{"ts", "seq", "k", "i", "v", "s"}, oids: []uint32{1114, 20, 1043, 20, 701, 1043}}
	for _, e := range ds.data {
		r.rows = append(r.rows, []pdCell{
			{text: time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")}, {text: pdFloat(float64(e.seq))},
			{text: e.k}, {text: pdFloat(float64(e.i))}, {text: pdFloat(e.v)}, {text: e.s},
		})
	}
	shuffled := &pdResult{names: r.names, oids: r.oids, rows: append([][]pdCell(nil), r.rows...)}
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled.rows), func(i, j int) {
		shuffled.rows[i], shuffled.rows[j] = shuffled.rows[j], shuffled.rows[i]
	})
	c := &pgCase{tol: 1e-9, colTol: map[string]float64{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := pdDiff(shuffled, r, c); d != "" {
			b.Fatal(d)
		}
	}
}

// BenchmarkPgdiffGenerate measures generating and encoding the main
// dataset (4,000 events) for Kafka and for COPY.
func BenchmarkPgdiffGenerate(b *testing.B) {
	spec, err := parseDatasetSpec("bench", []string{"events=4000", "keys=12", "partitions=4", "step=250ms", "disorder=2s", "delay=3s", "dup=0.05", "gaps=2x4m"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ds, err := spec.generate()
		if err != nil {
			b.Fatal(err)
		}
		_ = pdMessages(ds.data)
		_ = ds.copyData()
	}
}
