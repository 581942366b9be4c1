package dashboard

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Column is a view column as the page sees it.
type Column struct {
	Name string `json:"name"`
	// Type is the column's SQL type name (format_type's spelling).
	Type string `json:"type"`
	// Kind is how the page draws it: "time", "number", "bool" or "text".
	Kind string `json:"kind"`
}

// The column kinds of Column.Kind.
const (
	kindTime   = "time"
	kindNumber = "number"
	kindBool   = "bool"
	kindText   = "text"
)

func kindOf(t types.Type) string {
	switch t.Kind {
	case types.Int16, types.Int32, types.Int64, types.Float32, types.Float64:
		return kindNumber
	case types.Timestamp, types.TimestampTZ, types.Date:
		return kindTime
	case types.Bool:
		return kindBool
	}
	return kindText
}

// View is a materialized view as the page draws it.
type View struct {
	// ID is the view's catalog ID: a view dropped and created again
	// under the same name has a new one.
	ID      uint32   `json:"id"`
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	// Time is the column the chart's x axis and the row order use, ""
	// when the view has none.
	Time string `json:"time"`
	// Keys are the text columns that tell a chart's series apart and
	// Values the numeric columns it can plot; the page draws a chart
	// when Time is set and Values is not empty, a table otherwise.
	Keys   []string `json:"keys"`
	Values []string `json:"values"`
}

// timeColumnNames are the names that make a time column the view's
// time axis, preferred in this order over any other time column.
var timeColumnNames = []string{"window_start", "ts", "window_end", "time", "timestamp"}

// newView describes a view with the given visible columns.
func newView(id uint32, name string, cols []types.Column) View {
	v := View{ID: id, Name: name, Columns: make([]Column, len(cols)), Keys: []string{}, Values: []string{}}
	firstTime := ""
	for i, c := range cols {
		k := kindOf(c.Type)
		v.Columns[i] = Column{Name: c.Name, Type: c.Type.String(), Kind: k}
		switch {
		case k == kindTime && firstTime == "":
			firstTime = c.Name
		case k == kindNumber:
			v.Values = append(v.Values, c.Name)
		case c.Type.Kind == types.Text || c.Type.Kind == types.Varchar || c.Type.Kind == types.Name:
			v.Keys = append(v.Keys, c.Name)
		}
	}
	v.Time = firstTime
	for _, want := range timeColumnNames {
		if i := v.columnIndex(want); i >= 0 && v.Columns[i].Kind == kindTime {
			v.Time = want
			break
		}
	}
	return v
}

// columnIndex returns the index of the named column, or -1.
func (v View) columnIndex(name string) int {
	for i, c := range v.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// table collects one statement's result as JSON-ready rows; it is the
// engine.ResultWriter the dashboard's queries write to.
type table struct {
	cols []engine.Column
	rows [][]any
}

var _ engine.ResultWriter = (*table)(nil)

// Columns implements engine.ResultWriter.
func (t *table) Columns(cols []engine.Column) error {
	t.cols = cols
	return nil
}

// Rows implements engine.ResultWriter: it converts rec column by column.
func (t *table) Rows(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	first := len(t.rows)
	for range n {
		t.rows = append(t.rows, make([]any, len(t.cols)))
	}
	for j, c := range t.cols {
		arr := rec.Column(j)
		for i := range n {
			t.rows[first+i][j] = jsonValue(functions.DatumAt(arr, c.Type, i))
		}
	}
	return nil
}

// Complete implements engine.ResultWriter.
func (t *table) Complete(string) error { return nil }

// Empty implements engine.ResultWriter.
func (t *table) Empty() error { return nil }

// Notice implements engine.ResultWriter; notices are dropped.
func (t *table) Notice(string, string) error { return nil }

// CopyIn implements engine.ResultWriter; the dashboard never copies in.
func (t *table) CopyIn(int) (io.Reader, error) {
	return nil, errors.New("the dashboard does not run COPY FROM STDIN")
}

// column returns the index of the named result column, or -1.
func (t *table) column(name string) int {
	for i, c := range t.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// objects returns the rows as objects keyed by column name.
func (t *table) objects() []map[string]any {
	out := make([]map[string]any, len(t.rows))
	for i, r := range t.rows {
		m := make(map[string]any, len(t.cols))
		for j, c := range t.cols {
			m[c.Name] = r[j]
		}
		out[i] = m
	}
	return out
}

// jsonValue converts a datum to a value encoding/json writes the way the
// page reads it: NULL is null, numbers are numbers (NaN and infinities,
// which JSON lacks, are the strings "NaN", "Infinity" and "-Infinity"),
// booleans are booleans, timestamps are RFC 3339 strings in UTC, JSONB
// is embedded as JSON, and everything else is its Postgres text form.
func jsonValue(d types.Datum) any {
	if d.Null {
		return nil
	}
	switch d.Type.Kind {
	case types.Bool:
		return d.I != 0
	case types.Int16, types.Int32, types.Int64, types.Oid:
		return d.I
	case types.Float32, types.Float64:
		switch {
		case math.IsNaN(d.F):
			return "NaN"
		case math.IsInf(d.F, 1):
			return "Infinity"
		case math.IsInf(d.F, -1):
			return "-Infinity"
		}
		return d.F
	case types.Timestamp, types.TimestampTZ:
		return time.UnixMicro(d.I).UTC().Format(time.RFC3339Nano)
	case types.JSONB:
		if json.Valid([]byte(d.S)) {
			return json.RawMessage(d.S)
		}
	}
	return d.String()
}

// quoteIdent quotes a name as a SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
