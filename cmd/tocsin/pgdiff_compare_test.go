//go:build linux

package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// This file fetches query results from Tocsin and PostgreSQL as text
// (the simple protocol sends every value in its text form) and compares
// them:
//
//   - Integers and text compare exactly; so do booleans, intervals and
//     jsonb (as text, in PostgreSQL's output format).
//   - A column is numeric if either side types it float4, float8 or
//     numeric (Tocsin has no NUMERIC: avg and friends are double
//     precision where PostgreSQL says numeric); numeric values are equal
//     within the case's relative tolerance (default 1e-9), absolute for
//     values below 1. NaN equals NaN; infinities equal themselves.
//   - A per-column tolerance (rel=col:tol) makes that column numeric,
//     integers included (approx_count_distinct).
//   - Timestamps and dates compare as instants, exactly: a naive
//     timestamp reads as UTC, which is the PostgreSQL session's zone.
//   - NULL equals NULL and nothing else.
//
// Unordered results are compared as multisets, after sorting both sides
// by their exact columns first and their numeric columns last, so rows
// that differ only within the tolerance line up.

// pdCell is one value as text.
type pdCell struct {
	null bool
	text string
}

// pdResult is a query's result.
type pdResult struct {
	names []string
	oids  []uint32
	rows  [][]pdCell
}

// pdQuery runs one statement with the simple protocol and returns its
// rows.
func pdQuery(ctx context.Context, conn *pgconn.PgConn, sql string) (*pdResult, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no result")
	}
	r := results[len(results)-1]
	out := &pdResult{}
	for _, f := range r.FieldDescriptions {
		out.names = append(out.names, f.Name)
		out.oids = append(out.oids, f.DataTypeOID)
	}
	out.rows = make([][]pdCell, len(r.Rows))
	for i, row := range r.Rows {
		cells := make([]pdCell, len(row))
		for j, v := range row {
			if v == nil {
				cells[j].null = true
			} else {
				cells[j].text = string(v)
			}
		}
		out.rows[i] = cells
	}
	return out, nil
}

// pdClass is how a column's values compare.
type pdClass uint8

const (
	pdClassText pdClass = iota
	pdClassInt
	pdClassFloat
	pdClassTime
)

func pdOIDClass(oid uint32) pdClass {
	switch oid {
	case 20, 21, 23, 26: // int8, int2, int4, oid
		return pdClassInt
	case 700, 701, 1700: // float4, float8, numeric
		return pdClassFloat
	case 1082, 1114, 1184: // date, timestamp, timestamptz
		return pdClassTime
	}
	return pdClassText
}

// pdColumn is how one column compares.
type pdColumn struct {
	class pdClass
	tol   float64
}

// pdColumnsOf derives the comparison of each column from both sides' types
// and the case's tolerances.
func pdColumnsOf(got, want *pdResult, c *pgCase) []pdColumn {
	cols := make([]pdColumn, len(want.oids))
	for i := range cols {
		a, b := pdOIDClass(got.oids[i]), pdOIDClass(want.oids[i])
		col := pdColumn{class: pdClassText, tol: c.tol}
		switch {
		case a == pdClassFloat || b == pdClassFloat:
			col.class = pdClassFloat
		case a == b:
			col.class = a
		}
		for _, name := range []string{want.names[i], got.names[i]} {
			if t, ok := c.colTol[name]; ok {
				col.class, col.tol = pdClassFloat, t
				break
			}
		}
		cols[i] = col
	}
	return cols
}

var pdTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func pdParseTime(s string) (time.Time, bool) {
	for _, l := range pdTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func pdParseFloat(s string) (float64, bool) {
	switch s {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// pdFloatsEqual compares within a relative tolerance, absolute below 1.
func pdFloatsEqual(a, b, tol float64) bool {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return math.IsNaN(a) && math.IsNaN(b)
	case math.IsInf(a, 0) || math.IsInf(b, 0):
		return a == b
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// pdCellsEqual compares two values of a column.
func pdCellsEqual(a, b pdCell, col pdColumn) bool {
	if a.null || b.null {
		return a.null && b.null
	}
	if a.text == b.text {
		return true
	}
	switch col.class {
	case pdClassFloat:
		fa, okA := pdParseFloat(a.text)
		fb, okB := pdParseFloat(b.text)
		return okA && okB && pdFloatsEqual(fa, fb, col.tol)
	case pdClassInt:
		ia, errA := strconv.ParseInt(a.text, 10, 64)
		ib, errB := strconv.ParseInt(b.text, 10, 64)
		return errA == nil && errB == nil && ia == ib
	case pdClassTime:
		ta, okA := pdParseTime(a.text)
		tb, okB := pdParseTime(b.text)
		return okA && okB && ta.Equal(tb)
	}
	return false
}

// pdCompareCells orders two values of a column: NULL first, then by value.
func pdCompareCells(a, b pdCell, col pdColumn) int {
	switch {
	case a.null || b.null:
		if a.null && b.null {
			return 0
		}
		if a.null {
			return -1
		}
		return 1
	}
	// Within a class, values that parse sort before those that do not
	// (which sort as text), so the order stays total.
	switch col.class {
	case pdClassFloat:
		fa, okA := pdParseFloat(a.text)
		fb, okB := pdParseFloat(b.text)
		if okA != okB {
			return pdCmpBool(okB, okA)
		}
		if okA {
			// NaN sorts last, as in PostgreSQL.
			if na, nb := math.IsNaN(fa), math.IsNaN(fb); na || nb {
				return pdCmpBool(na, nb)
			}
			return cmp.Compare(fa, fb)
		}
	case pdClassInt:
		ia, errA := strconv.ParseInt(a.text, 10, 64)
		ib, errB := strconv.ParseInt(b.text, 10, 64)
		if (errA == nil) != (errB == nil) {
			return pdCmpBool(errA != nil, errB != nil)
		}
		if errA == nil {
			return cmp.Compare(ia, ib)
		}
	case pdClassTime:
		ta, okA := pdParseTime(a.text)
		tb, okB := pdParseTime(b.text)
		if okA != okB {
			return pdCmpBool(okB, okA)
		}
		if okA {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(a.text, b.text)
}

func pdCmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// pdSortOrder lists the columns exact ones first, numeric ones last.
func pdSortOrder(cols []pdColumn) []int {
	var exact, numeric []int
	for i, c := range cols {
		if c.class == pdClassFloat {
			numeric = append(numeric, i)
		} else {
			exact = append(exact, i)
		}
	}
	return append(exact, numeric...)
}

func pdCompareRows(a, b []pdCell, cols []pdColumn, order []int) int {
	for _, i := range order {
		if c := pdCompareCells(a[i], b[i], cols[i]); c != 0 {
			return c
		}
	}
	return 0
}

func pdRowsEqual(a, b []pdCell, cols []pdColumn) bool {
	for i := range cols {
		if !pdCellsEqual(a[i], b[i], cols[i]) {
			return false
		}
	}
	return true
}

// pdExactEqual reports whether two rows agree on every non-numeric column:
// the same row with different numbers, rather than a missing one.
func pdExactEqual(a, b []pdCell, cols []pdColumn) bool {
	for i, c := range cols {
		if c.class != pdClassFloat && !pdCellsEqual(a[i], b[i], c) {
			return false
		}
	}
	return true
}

// pdDropSentinelRows removes the rows whose cut column is at or after cut.
// It returns how many it dropped; an error if a named column is missing.
func pdDropSentinelRows(r *pdResult, colName string, cut time.Time) (int, error) {
	explicit := colName != ""
	if colName == "none" {
		return 0, nil
	}
	if !explicit {
		colName = "window_start"
	}
	idx := slices.Index(r.names, colName)
	if idx < 0 {
		if explicit {
			return 0, fmt.Errorf("cut column %q is not in the result (%s)", colName, strings.Join(r.names, ", "))
		}
		return 0, nil
	}
	kept := r.rows[:0]
	dropped := 0
	for _, row := range r.rows {
		if c := row[idx]; !c.null {
			if t, ok := pdParseTime(c.text); ok && !t.Before(cut) {
				dropped++
				continue
			}
		}
		kept = append(kept, row)
	}
	r.rows = kept
	return dropped, nil
}

// pdMaxDiffLines bounds each list of a diff.
const pdMaxDiffLines = 12

func pdFormatRow(row []pdCell) string {
	parts := make([]string, len(row))
	for i, c := range row {
		switch {
		case c.null:
			parts[i] = "NULL"
		default:
			parts[i] = strconv.Quote(c.text)
			if _, err := strconv.ParseFloat(c.text, 64); err == nil {
				parts[i] = c.text
			}
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func pdDescribeColumns(r *pdResult) string {
	parts := make([]string, len(r.names))
	for i, n := range r.names {
		parts[i] = fmt.Sprintf("%s oid %d", n, r.oids[i])
	}
	return strings.Join(parts, ", ")
}

// pdDiff compares Tocsin's result (got) with PostgreSQL's (want)
// and describes every difference, or returns "".
func pdDiff(got, want *pdResult, c *pgCase) string {
	if len(got.names) != len(want.names) {
		return fmt.Sprintf("column count differs: tocsin has %d (%s), postgres %d (%s)",
			len(got.names), pdDescribeColumns(got), len(want.names), pdDescribeColumns(want))
	}
	cols := pdColumnsOf(got, want, c)
	var missing, extra [][]pdCell
	var different [][2][]pdCell
	if c.ordered {
		n := min(len(got.rows), len(want.rows))
		for i := 0; i < n; i++ {
			if !pdRowsEqual(got.rows[i], want.rows[i], cols) {
				different = append(different, [2][]pdCell{got.rows[i], want.rows[i]})
			}
		}
		extra = got.rows[n:]
		missing = want.rows[n:]
	} else {
		order := pdSortOrder(cols)
		g := slices.Clone(got.rows)
		w := slices.Clone(want.rows)
		byRow := func(a, b []pdCell) int { return pdCompareRows(a, b, cols, order) }
		slices.SortStableFunc(g, byRow)
		slices.SortStableFunc(w, byRow)
		i, j := 0, 0
		for i < len(g) && j < len(w) {
			switch {
			case pdRowsEqual(g[i], w[j], cols):
				i++
				j++
			case pdExactEqual(g[i], w[j], cols):
				different = append(different, [2][]pdCell{g[i], w[j]})
				i++
				j++
			case byRow(g[i], w[j]) < 0:
				extra = append(extra, g[i])
				i++
			default:
				missing = append(missing, w[j])
				j++
			}
		}
		extra = append(extra, g[i:]...)
		missing = append(missing, w[j:]...)
		var paired [][2][]pdCell
		missing, extra, paired = pdPairByLabels(missing, extra, cols)
		different = append(different, paired...)
	}
	if len(missing)+len(extra)+len(different) == 0 {
		return ""
	}
	var sb strings.Builder
	mode := "as multisets"
	if c.ordered {
		mode = "in order"
	}
	fmt.Fprintf(&sb, "tocsin returned %d rows, postgres %d (compared %s): %d missing, %d extra, %d different\n",
		len(got.rows), len(want.rows), mode, len(missing), len(extra), len(different))
	fmt.Fprintf(&sb, "  columns: %s\n", pdDescribeColumns(want))
	if t, w := pdDescribeColumns(got), pdDescribeColumns(want); t != w {
		fmt.Fprintf(&sb, "  tocsin columns: %s\n", t)
	}
	list := func(title string, rows [][]pdCell) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&sb, "  %s:\n", title)
		for k, r := range rows {
			if k == pdMaxDiffLines {
				fmt.Fprintf(&sb, "    ... and %d more\n", len(rows)-k)
				break
			}
			fmt.Fprintf(&sb, "    %s\n", pdFormatRow(r))
		}
	}
	list("missing (postgres has them, tocsin does not)", missing)
	list("extra (tocsin has them, postgres does not)", extra)
	if len(different) > 0 {
		fmt.Fprintf(&sb, "  different:\n")
		for k, d := range different {
			if k == pdMaxDiffLines {
				fmt.Fprintf(&sb, "    ... and %d more\n", len(different)-k)
				break
			}
			var differs []string
			for i := range d[0] {
				if !pdCellsEqual(d[0][i], d[1][i], cols[i]) {
					differs = append(differs, want.names[i])
				}
			}
			fmt.Fprintf(&sb, "    tocsin   %s\n    postgres %s   (differs in %s)\n", pdFormatRow(d[0]), pdFormatRow(d[1]), strings.Join(differs, ", "))
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}

// pdPairByLabels turns a missing and an extra row that agree on every
// text and time column (the same group, other numbers) into a pair of
// different rows, so that a wrong aggregate reads as one difference.
func pdPairByLabels(missing, extra [][]pdCell, cols []pdColumn) (m, e [][]pdCell, pairs [][2][]pdCell) {
	var labels []int
	for i, c := range cols {
		if c.class == pdClassText || c.class == pdClassTime {
			labels = append(labels, i)
		}
	}
	if len(labels) == 0 || len(labels) == len(cols) || len(missing) == 0 || len(extra) == 0 {
		return missing, extra, nil
	}
	key := func(r []pdCell) string {
		var sb strings.Builder
		for _, i := range labels {
			switch c := r[i]; {
			case c.null:
				sb.WriteString("\x00N")
			case cols[i].class == pdClassTime:
				if t, ok := pdParseTime(c.text); ok {
					sb.WriteString("\x00T" + t.UTC().Format(time.RFC3339Nano))
					continue
				}
				fallthrough
			default:
				sb.WriteString("\x00V" + c.text)
			}
		}
		return sb.String()
	}
	byKey := map[string][]int{}
	for i, r := range extra {
		byKey[key(r)] = append(byKey[key(r)], i)
	}
	used := make([]bool, len(extra))
	for _, r := range missing {
		k := key(r)
		if idx := byKey[k]; len(idx) > 0 {
			byKey[k] = idx[1:]
			used[idx[0]] = true
			pairs = append(pairs, [2][]pdCell{extra[idx[0]], r})
			continue
		}
		m = append(m, r)
	}
	for i, r := range extra {
		if !used[i] {
			e = append(e, r)
		}
	}
	return m, e, pairs
}
