package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The fake session's side of the extended protocol. Prepare understands
// the statements of fakeSession.run without parameters, plus:
//
//	SELECT $1::int8 + 1            one int8 parameter, its successor
//	SELECT * FROM t WHERE x = $1   the rows of fakeTable with x = $1 (int4)
//	select $1::<type>              one parameter of any type, echoed back
//	select $1                      a parameter of the declared type (text
//	                               if undeclared), echoed back
//	fail $1                        an int4 parameter, then 22012 at Execute
//
// Session.Query does not understand these; the wire tests use them
// through the extended protocol only.

var _ Preparer = (*fakeSession)(nil)

// fakeTable is the table t of "SELECT * FROM t WHERE x = $1".
var fakeTable = struct {
	cols []Column
	json []string
}{
	cols: []Column{
		{Name: "x", Type: types.Int32Type, TableOID: 16385, Attr: 1},
		{Name: "name", Type: types.TextType, TableOID: 16385, Attr: 2},
		{Name: "ts", Type: types.TimestampTZType, TableOID: 16385, Attr: 3},
		{Name: "f", Type: types.Float64Type, TableOID: 16385, Attr: 4},
	},
	json: []string{
		`[1, 2, 2, 3]`,
		`["one", "two", "deux", "three"]`,
		`[1709212455123456, 1709212456000000, null, 0]`,
		`[1.5, 2.5, null, -0.25]`,
	},
}

type fakePrepared struct {
	params []types.Type
	cols   []Column
	exec   func(ctx context.Context, params []types.Datum, w ResultWriter) error
}

func (p *fakePrepared) ParamTypes() []types.Type { return p.params }
func (p *fakePrepared) Columns() []Column        { return p.cols }
func (p *fakePrepared) Execute(ctx context.Context, params []types.Datum, w ResultWriter) error {
	if len(params) != len(p.params) {
		return fmt.Errorf("fake: %d parameters, want %d", len(params), len(p.params))
	}
	for i, d := range params {
		if d.Type != p.params[i] {
			return fmt.Errorf("fake: parameter $%d has type %s, want %s", i+1, d.Type, p.params[i])
		}
	}
	return p.exec(ctx, params, w)
}

// Prepare implements Preparer.
func (s *fakeSession) Prepare(_ context.Context, text string, declared []types.Type) (Prepared, error) {
	s.exec.mu.Lock()
	s.exec.prepares++
	s.exec.mu.Unlock()
	lower := strings.ToLower(strings.Join(strings.Fields(text), " "))
	decl := func(i int, def types.Type) types.Type {
		if i < len(declared) && declared[i] != (types.Type{}) {
			return declared[i]
		}
		return def
	}
	switch {
	case lower == "select $1::int8 + 1":
		return &fakePrepared{
			params: []types.Type{types.Int64Type},
			cols:   []Column{{Name: "?column?", Type: types.Int64Type}},
			exec: func(_ context.Context, p []types.Datum, w ResultWriter) error {
				d := p[0]
				d.I++
				return s.datumResult(w, "?column?", d)
			},
		}, nil
	case lower == "select * from t where x = $1":
		return &fakePrepared{
			params: []types.Type{types.Int32Type},
			cols:   fakeTable.cols,
			exec: func(_ context.Context, p []types.Datum, w ResultWriter) error {
				return s.selectWhere(w, p[0])
			},
		}, nil
	case strings.HasPrefix(lower, "select $1::"):
		typ, ok := types.LookupName(strings.TrimPrefix(lower, "select $1::"))
		if !ok {
			return nil, sqlerr.At(sqlerr.UndefinedObject, len("select $1::"), "type %q does not exist", text[len("select $1::"):])
		}
		return s.echo(typ, typ.String()), nil
	case lower == "select $1":
		return s.echo(decl(0, types.TextType), "?column?"), nil
	case lower == "fail $1":
		return &fakePrepared{
			params: []types.Type{types.Int32Type},
			cols:   []Column{{Name: "n", Type: types.Int64Type}},
			exec: func(context.Context, []types.Datum, ResultWriter) error {
				return sqlerr.New(sqlerr.DivisionByZero, "division by zero")
			},
		}, nil
	}
	cols, err := fakeColumns(text, lower)
	if err != nil {
		return nil, err
	}
	return &fakePrepared{
		cols: cols,
		exec: func(ctx context.Context, _ []types.Datum, w ResultWriter) error {
			if strings.TrimSpace(text) == "" {
				return w.Empty()
			}
			err := s.run(ctx, text, 0, text, w)
			if err != nil && s.tx == 'T' {
				s.tx = 'E'
			}
			return err
		},
	}, nil
}

// fakeColumns describes the parameterless statements of run, failing
// as run would at parse time (with the position in characters).
func fakeColumns(text, lower string) ([]Column, error) {
	fields := strings.Fields(lower)
	switch {
	case len(fields) == 0:
		return nil, nil
	case lower == "select 1":
		return []Column{{Name: "?column?", Type: types.Int32Type}}, nil
	case lower == "select types":
		cols := make([]Column, len(typeColumns))
		for i, tc := range typeColumns {
			cols[i] = tc.col
		}
		return cols, nil
	case lower == "select null":
		return []Column{{Name: "n", Type: types.UnknownType}}, nil
	case fields[0] == "rows" || lower == "stream":
		return []Column{{Name: "n", Type: types.Int64Type}}, nil
	case len(fields) == 2 && fields[0] == "show":
		return []Column{{Name: fields[1], Type: types.TextType}}, nil
	case len(fields) == 2 && fields[0] == "bad":
		pos := strings.Index(strings.ToLower(text), fields[1])
		return nil, sqlerr.At(sqlerr.UndefinedColumn, sqlerr.CharPos(text, pos+1)-1, "column %q does not exist", fields[1])
	case lower == "wait" || lower == "begin" || lower == "commit" || lower == "rollback" || lower == "internal" ||
		lower == "panic" || lower == "notice" || lower == "badtype" || (len(fields) == 3 && fields[0] == "create"):
		return nil, nil
	}
	return nil, sqlerr.At(sqlerr.SyntaxError, len(text)-len(strings.TrimLeft(text, " \t\n")),
		"syntax error at or near %q", strings.Fields(text)[0])
}

// echo prepares a statement that returns its one parameter of type typ.
func (s *fakeSession) echo(typ types.Type, name string) *fakePrepared {
	return &fakePrepared{
		params: []types.Type{typ},
		cols:   []Column{{Name: name, Type: typ}},
		exec: func(_ context.Context, p []types.Datum, w ResultWriter) error {
			return s.datumResult(w, name, p[0])
		},
	}
}

// datumResult sends one row with the one value d.
func (s *fakeSession) datumResult(w ResultWriter, name string, d types.Datum) error {
	if err := w.Columns([]Column{{Name: name, Type: d.Type}}); err != nil {
		return err
	}
	arr, err := datumArray(s.exec.mem, d)
	if err != nil {
		return err
	}
	defer arr.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: name, Type: arr.DataType(), Nullable: true}}, nil), []arrow.Array{arr}, 1)
	defer rec.Release()
	if err := w.Rows(rec); err != nil {
		return err
	}
	return w.Complete("SELECT 1")
}

// datumArray builds a one-element Arrow array holding d.
func datumArray(mem memory.Allocator, d types.Datum) (arrow.Array, error) {
	b := array.NewBuilder(mem, d.Type.Arrow())
	defer b.Release()
	if d.Null {
		b.AppendNull()
		return b.NewArray(), nil
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(d.Bool())
	case *array.Int16Builder:
		b.Append(int16(d.I))
	case *array.Int32Builder:
		b.Append(int32(d.I))
	case *array.Int64Builder:
		b.Append(d.I)
	case *array.Uint32Builder:
		b.Append(uint32(d.I))
	case *array.Float32Builder:
		b.Append(float32(d.F))
	case *array.Float64Builder:
		b.Append(d.F)
	case *array.StringBuilder:
		b.Append(d.S)
	case *array.BinaryBuilder:
		b.Append([]byte(d.S))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(d.I))
	case *array.Date32Builder:
		b.Append(arrow.Date32(d.I))
	case *array.MonthDayNanoIntervalBuilder:
		b.Append(arrow.MonthDayNanoInterval{Months: d.Iv.Months, Days: d.Iv.Days, Nanoseconds: d.Iv.Micros * 1000})
	default:
		return nil, errors.New("fake: no array for " + d.Type.String())
	}
	return b.NewArray(), nil
}

// selectWhere sends the rows of fakeTable whose x equals x.
func (s *fakeSession) selectWhere(w ResultWriter, x types.Datum) error {
	if err := w.Columns(fakeTable.cols); err != nil {
		return err
	}
	arrs := make([]arrow.Array, len(fakeTable.cols))
	fields := make([]arrow.Field, len(fakeTable.cols))
	for i, c := range fakeTable.cols {
		arr, _, err := array.FromJSON(s.exec.mem, c.Type.Arrow(), strings.NewReader(fakeTable.json[i]))
		if err != nil {
			return err
		}
		defer arr.Release()
		arrs[i] = arr
		fields[i] = arrow.Field{Name: c.Name, Type: arr.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(arrs[0].Len()))
	defer rec.Release()
	n := 0
	if !x.Null {
		xs := arrs[0].(*array.Int32)
		for r := range xs.Len() {
			if int64(xs.Value(r)) != x.I {
				continue
			}
			row := rec.NewSlice(int64(r), int64(r+1))
			err := w.Rows(row)
			row.Release()
			if err != nil {
				return err
			}
			n++
		}
	}
	return w.Complete("SELECT " + strconv.Itoa(n))
}

// simpleOnlySession hides a fakeSession's Prepare: a session of an
// engine without the extended protocol.
type simpleOnlySession struct{ s *fakeSession }

func (o simpleOnlySession) Query(ctx context.Context, text string, w ResultWriter) error {
	return o.s.Query(ctx, text, w)
}
func (o simpleOnlySession) TxStatus() byte { return o.s.TxStatus() }
func (o simpleOnlySession) Close() error   { return o.s.Close() }
