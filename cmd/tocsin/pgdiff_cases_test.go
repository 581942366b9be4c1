//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file parses the differential test's case files,
// testdata/pgdiff/*.case. A file is a sequence of blocks; a block starts
// with a header line at column 0 and runs to the next header:
//
//	dataset NAME key=value ...      a generated event stream
//	table NAME                      a reference table, then SQL sections
//	case NAME key=value ... flag    a test case, then SQL sections
//
// Lines starting with '#' are comments everywhere. SQL sections start
// with a marker line "-- NAME":
//
//	table:  -- both (run on Tocsin and PostgreSQL), -- tocsin, -- postgres
//	case:   -- tocsin    statements run on Tocsin before any data is
//	                     written (CREATE MATERIALIZED VIEW ...)
//	        -- pg-setup  statements run on PostgreSQL before the query
//	                     (CREATE VIEW ... the same names, so one ad hoc
//	                     query text can run on both sides)
//	        -- query     the query run on Tocsin (and on PostgreSQL when
//	                     there is no -- postgres section); default
//	                     SELECT * FROM <the last view -- tocsin created>
//	        -- postgres  the PostgreSQL query giving the expected rows
//
// A statement ends with a line that ends in ';' (the last may omit it).
// "{cut}" in any SQL is replaced by the sentinel cut of the case's first
// dataset, as a TIMESTAMP literal (see pgdiff_data_test.go).
//
// Case options: dataset=a[,b] (the sources it reads), tables=t[,u],
// ordered (compare rows in order; default: as multisets), tol=1e-9 (the
// relative float tolerance, absolute below 1), rel=col:tol[,col:tol]
// (per-column tolerance, which also makes an integer column approximate),
// cut=COL|none (the column whose values at or after the cut mark the
// sentinel's rows; default window_start if the result has it),
// error=SQLSTATE (Tocsin must fail like PostgreSQL), nopos (do not compare
// error positions), empty-ok (an empty expected result is intended).
//
// Dataset options: seed, events, keys, partitions, start (RFC 3339),
// step, disorder, delay (the source's watermark delay; at least
// disorder + 1s), dup (fraction of events repeating the previous
// timestamp; 0 makes every timestamp unique), gaps=NxDUR (N silent
// stretches), late (events an hour and more behind, written after the
// views read the data), nulls=col:frac[,col:frac].

// pgCase is one differential test case.
type pgCase struct {
	name     string
	file     string
	line     int
	datasets []string
	tables   []string
	ordered  bool
	tol      float64
	colTol   map[string]float64
	cutCol   string // "" = window_start when present; "none" = off
	errCode  string
	noPos    bool
	emptyOK  bool

	tocsin  []string // setup statements
	pgSetup []string
	query   string // Tocsin query
	pgQuery string

	views []string // materialized views tocsin creates, in order
	// lateCounter marks the synthetic case that checks SHOW SOURCES'
	// late counter of datasets[0].
	lateCounter bool
}

// pgTable is a reference table created on both sides.
type pgTable struct {
	name     string
	tocsin   []string
	postgres []string
}

// pgCaseFile is everything the case files declare.
type pgCaseFile struct {
	datasets map[string]*datasetSpec
	tables   map[string]*pgTable
	cases    []*pgCase
}

var (
	pdCreateViewRE = regexp.MustCompile(`(?is)^(?:\s*--[^\n]*\n)*\s*CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)`)
	pdNameRE       = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// loadCaseFiles parses every *.case file of dir.
func loadCaseFiles(dir string) (*pgCaseFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.case"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	all := &pgCaseFile{datasets: map[string]*datasetSpec{}, tables: map[string]*pgTable{}}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := parseCaseFile(filepath.Base(p), string(src), all); err != nil {
			return nil, err
		}
	}
	return all, all.validate()
}

// parseCaseFile adds the blocks of one file to into.
func parseCaseFile(file, src string, into *pgCaseFile) error {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			i++
			continue
		}
		fields := strings.Fields(line)
		start := i
		i++
		// The block's body: up to the next header.
		var body []string
		for i < len(lines) && !caseHeader(lines[i]) {
			body = append(body, lines[i])
			i++
		}
		where := fmt.Sprintf("%s:%d", file, start+1)
		if line != strings.TrimLeft(line, " \t") {
			return fmt.Errorf("%s: expected a dataset, table or case header at column 0, got %q", where, trimmed)
		}
		if len(fields) < 2 {
			return fmt.Errorf("%s: %q needs a name", where, fields[0])
		}
		switch fields[0] {
		case "dataset":
			if caseHasSQL(body) {
				return fmt.Errorf("%s: a dataset takes no SQL sections", where)
			}
			d, err := parseDatasetSpec(fields[1], fields[2:])
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if _, dup := into.datasets[d.name]; dup {
				return fmt.Errorf("%s: dataset %s declared twice", where, d.name)
			}
			into.datasets[d.name] = d
		case "table":
			if len(fields) != 2 {
				return fmt.Errorf("%s: table takes only a name", where)
			}
			secs, err := parseCaseSections(body, start+2, []string{"both", "tocsin", "postgres"})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			tb := &pgTable{name: fields[1]}
			tb.tocsin = append(splitCaseStatements(secs["both"]), splitCaseStatements(secs["tocsin"])...)
			tb.postgres = append(splitCaseStatements(secs["both"]), splitCaseStatements(secs["postgres"])...)
			if len(tb.tocsin) == 0 || len(tb.postgres) == 0 {
				return fmt.Errorf("%s: table %s needs SQL for both sides", where, tb.name)
			}
			if _, dup := into.tables[tb.name]; dup {
				return fmt.Errorf("%s: table %s declared twice", where, tb.name)
			}
			into.tables[tb.name] = tb
		case "case":
			c, err := parseCase(fields[1], fields[2:], body, start+2)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			c.file, c.line = file, start+1
			into.cases = append(into.cases, c)
		default:
			return fmt.Errorf("%s: unknown block %q (want dataset, table or case)", where, fields[0])
		}
	}
	return nil
}

func caseHeader(line string) bool {
	for _, h := range []string{"dataset ", "table ", "case "} {
		if strings.HasPrefix(line, h) {
			return true
		}
	}
	return false
}

func caseHasSQL(body []string) bool {
	for _, l := range body {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// parseCaseSections splits a block body into its "-- name" sections.
func parseCaseSections(body []string, firstLine int, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	cur := ""
	var buf []string
	flush := func() {
		if cur != "" {
			out[cur] = strings.TrimSpace(strings.Join(buf, "\n"))
		}
		buf = buf[:0]
	}
	for n, l := range body {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") {
			continue
		}
		if name, ok := caseSectionMarker(t, allowed); ok {
			flush()
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("line %d: section -- %s repeated", firstLine+n, name)
			}
			cur = name
			continue
		}
		if cur == "" {
			if t != "" {
				return nil, fmt.Errorf("line %d: text before the first section (want one of -- %s)", firstLine+n, strings.Join(allowed, ", -- "))
			}
			continue
		}
		buf = append(buf, l)
	}
	flush()
	return out, nil
}

func caseSectionMarker(t string, allowed []string) (string, bool) {
	rest, ok := strings.CutPrefix(t, "--")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	for _, a := range allowed {
		if rest == a {
			return a, true
		}
	}
	return "", false
}

// splitCaseStatements splits SQL at lines ending in ';'.
func splitCaseStatements(sql string) []string {
	var out []string
	var cur []string
	for _, l := range strings.Split(sql, "\n") {
		cur = append(cur, l)
		if strings.HasSuffix(strings.TrimSpace(l), ";") {
			if s := caseCleanStatement(strings.Join(cur, "\n")); s != "" {
				out = append(out, s)
			}
			cur = cur[:0]
		}
	}
	if s := caseCleanStatement(strings.Join(cur, "\n")); s != "" {
		out = append(out, s)
	}
	return out
}

func caseCleanStatement(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	// A statement of nothing but comments is no statement.
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			return s
		}
	}
	return ""
}

// caseOptions parses key=value words and bare flags.
func caseOptions(words []string) (map[string]string, error) {
	out := map[string]string{}
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		if k == "" {
			return nil, fmt.Errorf("bad option %q", w)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("option %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func parseCase(name string, words, body []string, firstLine int) (*pgCase, error) {
	if !pdNameRE.MatchString(name) {
		return nil, fmt.Errorf("case name %q: use lower-case letters, digits and _", name)
	}
	opts, err := caseOptions(words)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", name, err)
	}
	c := &pgCase{name: name, tol: 1e-9, colTol: map[string]float64{}}
	for k, v := range opts {
		switch k {
		case "dataset", "datasets":
			c.datasets = strings.Split(v, ",")
		case "tables":
			c.tables = strings.Split(v, ",")
		case "ordered":
			c.ordered = true
		case "tol":
			if c.tol, err = strconv.ParseFloat(v, 64); err != nil || c.tol < 0 {
				return nil, fmt.Errorf("case %s: bad tol %q", name, v)
			}
		case "rel":
			for _, p := range strings.Split(v, ",") {
				col, tv, ok := strings.Cut(p, ":")
				f, err := strconv.ParseFloat(tv, 64)
				if !ok || err != nil || f < 0 {
					return nil, fmt.Errorf("case %s: bad rel %q (want col:tolerance)", name, p)
				}
				c.colTol[col] = f
			}
		case "cut":
			c.cutCol = v
		case "error":
			if len(v) != 5 {
				return nil, fmt.Errorf("case %s: error=%q is not a SQLSTATE", name, v)
			}
			c.errCode = strings.ToUpper(v)
		case "nopos":
			c.noPos = true
		case "empty-ok":
			c.emptyOK = true
		default:
			return nil, fmt.Errorf("case %s: unknown option %q", name, k)
		}
	}
	secs, err := parseCaseSections(body, firstLine, []string{"tocsin", "pg-setup", "query", "postgres"})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", name, err)
	}
	c.tocsin = splitCaseStatements(secs["tocsin"])
	c.pgSetup = splitCaseStatements(secs["pg-setup"])
	for _, s := range c.tocsin {
		if m := pdCreateViewRE.FindStringSubmatch(s); m != nil {
			c.views = append(c.views, strings.ToLower(m[1]))
		}
	}
	one := func(sec string) (string, error) {
		st := splitCaseStatements(secs[sec])
		if len(st) > 1 {
			return "", fmt.Errorf("case %s: -- %s holds %d statements, want one", name, sec, len(st))
		}
		if len(st) == 0 {
			return "", nil
		}
		return st[0], nil
	}
	if c.query, err = one("query"); err != nil {
		return nil, err
	}
	if c.pgQuery, err = one("postgres"); err != nil {
		return nil, err
	}
	if c.query == "" {
		if len(c.views) == 0 {
			return nil, fmt.Errorf("case %s: no -- query and no materialized view to read", name)
		}
		c.query = "SELECT * FROM " + c.views[len(c.views)-1]
	}
	if c.pgQuery == "" {
		if _, ok := secs["query"]; !ok {
			return nil, fmt.Errorf("case %s: needs -- postgres (or a -- query both sides run)", name)
		}
		c.pgQuery = c.query
	}
	return c, nil
}

func parseDatasetSpec(name string, words []string) (*datasetSpec, error) {
	if !pdNameRE.MatchString(name) {
		return nil, fmt.Errorf("dataset name %q: use lower-case letters, digits and _", name)
	}
	opts, err := caseOptions(words)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	d := &datasetSpec{
		name: name, seed: 1, events: 1000, keys: 10, partitions: 2,
		start: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		step:  time.Second, disorder: time.Second, delay: 2 * time.Second,
		nulls: map[string]float64{},
	}
	bad := func(k, v string) error { return fmt.Errorf("dataset %s: bad %s=%q", name, k, v) }
	for k, v := range opts {
		switch k {
		case "seed":
			if d.seed, err = strconv.ParseInt(v, 10, 64); err != nil {
				return nil, bad(k, v)
			}
		case "events", "keys", "partitions", "late":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1_000_000 {
				return nil, bad(k, v)
			}
			switch k {
			case "events":
				d.events = n
			case "keys":
				d.keys = n
			case "partitions":
				d.partitions = n
			case "late":
				d.late = n
			}
		case "start":
			if d.start, err = time.Parse(time.RFC3339, v); err != nil {
				return nil, bad(k, v)
			}
			d.start = d.start.UTC()
		case "step", "disorder", "delay":
			dur, err := time.ParseDuration(v)
			if err != nil || dur < 0 || dur > 24*time.Hour {
				return nil, bad(k, v)
			}
			switch k {
			case "step":
				d.step = dur
			case "disorder":
				d.disorder = dur
			case "delay":
				d.delay = dur
			}
		case "dup":
			if d.dup, err = strconv.ParseFloat(v, 64); err != nil || d.dup < 0 || d.dup >= 1 {
				return nil, bad(k, v)
			}
		case "gaps":
			n, l, ok := strings.Cut(v, "x")
			cnt, err1 := strconv.Atoi(n)
			dur, err2 := time.ParseDuration(l)
			if !ok || err1 != nil || err2 != nil || cnt < 0 || cnt > 1000 || dur <= 0 || dur > 24*time.Hour {
				return nil, bad(k, v)
			}
			d.gaps, d.gapLen = cnt, dur
		case "nulls":
			for _, p := range strings.Split(v, ",") {
				col, fv, ok := strings.Cut(p, ":")
				f, err := strconv.ParseFloat(fv, 64)
				if !ok || err != nil || f < 0 || f > 1 || !pdNullableColumn(col) {
					return nil, bad(k, p)
				}
				d.nulls[col] = f
			}
		default:
			return nil, fmt.Errorf("dataset %s: unknown option %q", name, k)
		}
	}
	switch {
	case d.events < 1:
		return nil, fmt.Errorf("dataset %s: needs at least one event", name)
	case d.keys < 1 || d.keys > 99:
		return nil, fmt.Errorf("dataset %s: keys must be 1..99", name)
	case d.partitions < 1 || d.partitions > 16:
		return nil, fmt.Errorf("dataset %s: partitions must be 1..16", name)
	case d.delay < d.disorder+time.Second:
		// A unique timestamp may be nudged a few milliseconds past its
		// slot; a second of slack keeps every event on time.
		return nil, fmt.Errorf("dataset %s: delay %v must be at least disorder %v + 1s, or events would be late", name, d.delay, d.disorder)
	case d.delay > time.Hour:
		return nil, fmt.Errorf("dataset %s: delay must be at most 1h (late events are 2h behind)", name)
	}
	return d, nil
}

// validate checks names and references across files.
func (f *pgCaseFile) validate() error {
	seen := map[string]string{}
	views := map[string]string{}
	for _, c := range f.cases {
		where := fmt.Sprintf("%s:%d", c.file, c.line)
		if prev, dup := seen[c.name]; dup {
			return fmt.Errorf("%s: case %s already declared at %s", where, c.name, prev)
		}
		seen[c.name] = where
		for _, d := range c.datasets {
			if f.datasets[d] == nil {
				return fmt.Errorf("%s: case %s reads unknown dataset %q", where, c.name, d)
			}
		}
		for _, tb := range c.tables {
			if f.tables[tb] == nil {
				return fmt.Errorf("%s: case %s uses unknown table %q", where, c.name, tb)
			}
		}
		for _, v := range c.views {
			if f.datasets[v] != nil || f.tables[v] != nil {
				return fmt.Errorf("%s: view %s shadows a dataset or table", where, v)
			}
			if prev, dup := views[v]; dup {
				return fmt.Errorf("%s: view %s is also created by case %s; every case owns its views", where, v, prev)
			}
			views[v] = c.name
		}
		if strings.Contains(c.query+c.pgQuery+strings.Join(c.tocsin, "")+strings.Join(c.pgSetup, ""), "{cut}") && len(c.datasets) == 0 {
			return fmt.Errorf("%s: case %s uses {cut} without a dataset", where, c.name)
		}
	}
	// One synthetic case per dataset with late events: SHOW SOURCES must
	// count them once per windowed view.
	names := make([]string, 0, len(f.datasets))
	for n := range f.datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if f.datasets[n].late == 0 {
			continue
		}
		name := "late_counter_" + n
		if _, dup := seen[name]; dup {
			return fmt.Errorf("case name %s is reserved", name)
		}
		f.cases = append(f.cases, &pgCase{name: name, file: "(synthetic)", datasets: []string{n}, lateCounter: true})
	}
	return nil
}

// pdWindowedOver reports whether a CREATE statement windows the source
// directly (TUMBLE/HOP/SESSION over it), so that it drops late events.
func pdWindowedOver(stmt, source string) bool {
	re := regexp.MustCompile(`(?is)\b(TUMBLE|HOP|SESSION)\s*\(\s*` + regexp.QuoteMeta(source) + `\b`)
	if re.MatchString(stmt) {
		return true
	}
	// A streaming OVER window drops late rows too.
	over := regexp.MustCompile(`(?is)\bOVER\b.*\bFROM\s+` + regexp.QuoteMeta(source) + `\b|\bFROM\s+` + regexp.QuoteMeta(source) + `\b.*\bWINDOW\b`)
	return over.MatchString(stmt)
}

// sqlMentions reports whether SQL names the relation (a whole word).
func sqlMentions(sql, rel string) bool {
	re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(rel) + `\b`)
	return re.MatchString(sql)
}
