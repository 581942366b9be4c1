package engine

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// copyOptions are COPY's WITH (...) options that Tocsin understands.
type copyOptions struct {
	csv       bool
	header    bool
	delimiter rune
	null      string
}

func parseCopyOptions(opts []ast.Option) (copyOptions, error) {
	o := copyOptions{delimiter: '\t', null: `\N`}
	delimSet, nullSet := false, false
	for _, opt := range opts {
		v := opt.Value
		switch strings.ToLower(opt.Key) {
		case "format":
			switch strings.ToLower(v) {
			case "csv":
				o.csv = true
			case "text":
			default:
				return o, sqlerr.At(sqlerr.FeatureNotSupported, opt.Off, "COPY format %q is not supported (text or csv)", v)
			}
		case "csv":
			o.csv = true
		case "header":
			o.header = v == "" || strings.EqualFold(v, "true") || v == "1" || strings.EqualFold(v, "on")
		case "delimiter":
			if len([]rune(v)) != 1 {
				return o, sqlerr.At(sqlerr.InvalidParameterValue, opt.Off, "COPY delimiter must be a single one-byte character")
			}
			o.delimiter, delimSet = []rune(v)[0], true
		case "null":
			o.null, nullSet = v, true
		default:
			return o, sqlerr.At(sqlerr.FeatureNotSupported, opt.Off, "COPY option %q is not supported", opt.Key)
		}
	}
	if o.csv {
		if !delimSet {
			o.delimiter = ','
		}
		if !nullSet {
			o.null = ""
		}
	}
	return o, nil
}

// copyFrom runs COPY t [(cols)] FROM STDIN: it reads and converts all the
// client's data first, then writes it like one INSERT.
func (s *Session) copyFrom(st *ast.Copy, w ResultWriter) (int64, error) {
	obj, err := s.e.cat.Relation(st.Table)
	if err != nil {
		return 0, err
	}
	if obj.Kind != catalog.KindTable {
		return 0, sqlerr.At(sqlerr.WrongObjectType, st.Table.Off, "cannot copy to %s %q", obj.Kind, obj.Name)
	}
	opts, err := parseCopyOptions(st.Options)
	if err != nil {
		return 0, err
	}
	cols := make([]int, 0, len(obj.Schema))
	if len(st.Columns) == 0 {
		for i := range obj.Schema {
			cols = append(cols, i)
		}
	} else {
		for _, name := range st.Columns {
			i := obj.Schema.Index(name)
			if i < 0 {
				return 0, sqlerr.At(sqlerr.UndefinedColumn, st.Off, "column %q of relation %q does not exist", name, obj.Name)
			}
			cols = append(cols, i)
		}
	}
	r, err := w.CopyIn(len(cols))
	if err != nil {
		return 0, err
	}
	recs, n, err := readCopy(r, obj.Schema, cols, opts)
	if err != nil {
		// Drain what the client still sends, so the connection stays in
		// step; the error is what the client sees.
		_, _ = io.Copy(io.Discard, r)
		return 0, err
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	t, err := s.e.tableFor(obj)
	if err != nil {
		return 0, err
	}
	if t.obj != obj {
		return 0, sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "table %s changed during COPY", obj.Name)
	}
	return n, s.e.writeRows(t, recs, nil)
}

// readCopy parses COPY text or CSV data into full table rows.
func readCopy(r io.Reader, schema types.Schema, cols []int, o copyOptions) ([]arrow.RecordBatch, int64, error) {
	const perBatch = 1024
	var recs []arrow.RecordBatch
	var total int64
	ds := make([][]types.Datum, len(cols))
	flush := func() {
		if len(ds[0]) == 0 {
			return
		}
		arrs := make([]arrow.Array, len(cols))
		fields := make([]arrow.Field, len(cols))
		for i, c := range cols {
			arrs[i] = functions.BuildArray(schema[c].Type, ds[i])
			fields[i] = arrow.Field{Name: schema[c].Name, Type: schema[c].Type.Arrow(), Nullable: true}
			ds[i] = ds[i][:0]
		}
		rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(arrs[0].Len()))
		recs = append(recs, widen(schema, cols, rec))
	}
	line := 0
	addRow := func(fields []string, nulls []bool) error {
		if len(fields) != len(cols) {
			return sqlerr.New(sqlerr.BadCopyFileFormat, "COPY line %d has %d columns, expected %d", line, len(fields), len(cols))
		}
		for i, c := range cols {
			d, err := parseCell(fields[i], nulls[i], schema[c], line)
			if err != nil {
				return err
			}
			ds[i] = append(ds[i], d)
		}
		total++
		if len(ds[0]) >= perBatch {
			flush()
		}
		return nil
	}
	if o.csv {
		cr := csv.NewReader(r)
		cr.Comma = o.delimiter
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			line++
			if err != nil {
				return nil, 0, sqlerr.Wrap(err, sqlerr.BadCopyFileFormat, "COPY line %d", line)
			}
			if line == 1 && o.header {
				continue
			}
			if len(rec) == 1 && rec[0] == `\.` {
				break
			}
			nulls := make([]bool, len(rec))
			for i, f := range rec {
				nulls[i] = f == o.null
			}
			if err := addRow(rec, nulls); err != nil {
				return nil, 0, err
			}
		}
		flush()
		return recs, total, nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text == `\.` {
			break
		}
		if line == 1 && o.header {
			continue
		}
		raw := strings.Split(text, string(o.delimiter))
		fields := make([]string, len(raw))
		nulls := make([]bool, len(raw))
		for i, f := range raw {
			nulls[i] = f == o.null
			fields[i] = unescapeCopy(f)
		}
		if err := addRow(fields, nulls); err != nil {
			return nil, 0, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	flush()
	return recs, total, nil
}

// unescapeCopy undoes COPY text format's backslash escapes.
func unescapeCopy(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
