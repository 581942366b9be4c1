package loghub

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dataset is one Loghub dataset: the raw log lines and the ground truth
// for each.
type Dataset struct {
	Name string
	// Lines are the log file's lines in order, without line terminators
	// and otherwise untouched (the log format's extraction trims them).
	Lines []string
	// EventIDs and EventTemplates are the ground truth of each line; an
	// empty EventID marks a line without ground truth, which evaluation
	// drops.
	EventIDs       []string
	EventTemplates []string
	// Templates maps each ground-truth EventId to its template, from
	// <Name>_2k.log_templates.csv (nil if that file is absent).
	Templates map[string]string
}

// LoadDataset reads dataset name from dir, where the files
// <name>_2k.log and <name>_2k.log_structured.csv (and optionally
// <name>_2k.log_templates.csv) are either in dir itself or in
// dir/<name>/, Loghub's layout. The structured file's LineId column must
// number the log's lines 1..N in order.
func LoadDataset(dir, name string) (*Dataset, error) {
	base := filepath.Join(dir, name+"_2k.log")
	if _, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) {
		base = filepath.Join(dir, name, name+"_2k.log")
	}
	raw, err := os.ReadFile(base)
	if err != nil {
		return nil, fmt.Errorf("loghub %s: %w", name, err)
	}
	ds := &Dataset{Name: name, Lines: SplitLines(string(raw))}
	rows, err := readCSV(base+"_structured.csv", "LineId", "EventId", "EventTemplate")
	if err != nil {
		return nil, fmt.Errorf("loghub %s: %w", name, err)
	}
	if len(rows) != len(ds.Lines) {
		return nil, fmt.Errorf("loghub %s: %d log lines but %d structured rows", name, len(ds.Lines), len(rows))
	}
	ds.EventIDs = make([]string, len(rows))
	ds.EventTemplates = make([]string, len(rows))
	for i, r := range rows {
		if id, err := strconv.Atoi(r[0]); err != nil || id != i+1 {
			return nil, fmt.Errorf("loghub %s: structured row %d has LineId %q", name, i+1, r[0])
		}
		ds.EventIDs[i] = naToEmpty(r[1])
		ds.EventTemplates[i] = r[2]
	}
	tpls, err := readCSV(base+"_templates.csv", "EventId", "EventTemplate")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("loghub %s: %w", name, err)
	default:
		ds.Templates = make(map[string]string, len(tpls))
		for _, r := range tpls {
			ds.Templates[r[0]] = r[1]
		}
	}
	return ds, nil
}

// SplitLines splits text into lines as Python's universal-newline mode
// does: "\r\n", "\r" and "\n" all end a line, and a final terminator
// does not start an empty line.
func SplitLines(text string) []string {
	var out []string
	for len(text) > 0 {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i])
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	return out
}

// readCSV returns the named columns of a CSV file with a header row.
func readCSV(path string, cols ...string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", filepath.Base(path), err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, h := range head {
			if strings.TrimPrefix(h, "\ufeff") == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("%s: no %s column", filepath.Base(path), c)
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		row := make([]string, len(cols))
		for i, j := range idx {
			row[i] = rec[j]
		}
		rows = append(rows, row)
	}
}

// naToEmpty maps the strings pandas.read_csv reads as missing values
// (its default na_values) to "", as logparser's evaluator sees them.
func naToEmpty(s string) string {
	switch s {
	case "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
		"<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null":
		return ""
	}
	return s
}
