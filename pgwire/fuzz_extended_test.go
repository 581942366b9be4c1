package pgwire

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// echoPrepExecutor's sessions are echoSessions that also implement
// Preparer: a statement has one parameter per "$" in its text (of the
// declared type, text if undeclared) and returns one text row per
// parameter plus one with its text, in two batches; "err" in the text
// fails Prepare, "exe" fails Execute.
type echoPrepExecutor struct{}

type echoPrepSession struct{ echoSession }

type echoPrepared struct {
	s      echoPrepSession
	text   string
	params []types.Type
}

func (echoPrepExecutor) Connect(context.Context, map[string]string) (Session, error) {
	return echoPrepSession{echoSession{mem: memory.NewGoAllocator()}}, nil
}

func (s echoPrepSession) Prepare(_ context.Context, text string, declared []types.Type) (Prepared, error) {
	if i := strings.Index(text, "err"); i >= 0 {
		return nil, sqlerr.At(sqlerr.SyntaxError, i, "syntax error at %q", text)
	}
	params := make([]types.Type, strings.Count(text, "$"))
	for i := range params {
		params[i] = types.TextType
		if i < len(declared) && declared[i] != (types.Type{}) {
			params[i] = declared[i]
		}
	}
	return &echoPrepared{s: s, text: text, params: params}, nil
}

func (p *echoPrepared) ParamTypes() []types.Type { return p.params }

func (p *echoPrepared) Columns() []Column {
	if strings.TrimSpace(p.text) == "" {
		return nil
	}
	return []Column{{Name: "q", Type: types.TextType}}
}

func (p *echoPrepared) Execute(_ context.Context, params []types.Datum, w ResultWriter) error {
	switch {
	case strings.TrimSpace(p.text) == "":
		return w.Empty()
	case strings.Contains(p.text, "exe"):
		return sqlerr.New(sqlerr.DivisionByZero, "division by zero")
	}
	if err := w.Columns(p.Columns()); err != nil {
		return err
	}
	vals := make([]string, 0, len(params)+1)
	for _, d := range params {
		vals = append(vals, d.String())
	}
	vals = append(vals, p.text)
	for _, batch := range [][]string{vals[:len(vals)/2], vals[len(vals)/2:]} {
		b := array.NewStringBuilder(p.s.mem)
		b.AppendValues(batch, nil)
		arr := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "q", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{arr}, int64(len(batch)))
		err := w.Rows(rec)
		rec.Release()
		arr.Release()
		if err != nil {
			return err
		}
	}
	return w.Complete("SELECT " + strconv.Itoa(len(vals)))
}

// FuzzExtended feeds arbitrary bytes after a valid startup to a
// connection whose session implements Preparer, seeded with the
// extended-protocol conversations of JDBC, pgx and psycopg 3 (as
// captured in the pg-clients reference log) and the error paths.
func FuzzExtended(f *testing.F) {
	start := encode(f, startupMessage(map[string]string{"user": "u", "database": "db"}))
	txt := func(s string) []byte { return []byte(s) }
	for _, msgs := range [][]pgproto3.FrontendMessage{
		// pgJDBC: SET with maxRows 1, then a parameterized select with a
		// binary int4, named S_1 after five uses.
		{&pgproto3.Parse{Query: "SET extra_float_digits = 3"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{},
			&pgproto3.Parse{Query: "select host, v from alerts where id = $1", ParameterOIDs: []uint32{23}},
			&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 4}}}, &pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{}, &pgproto3.Sync{},
			&pgproto3.Parse{Name: "S_1", Query: "select host, v from alerts where id = $1", ParameterOIDs: []uint32{23}},
			&pgproto3.Bind{PreparedStatement: "S_1", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 5}}},
			&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{},
			&pgproto3.Parse{Query: "select ts from alerts where ts > $1", ParameterOIDs: []uint32{0}},
			&pgproto3.Bind{ParameterFormatCodes: []int16{0}, Parameters: [][]byte{txt("1970-01-01 00:00:00+00")}},
			&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		// pgx: named cached statements, Describe statement, binary
		// timestamptz parameter and per-column result formats.
		{&pgproto3.Parse{Name: "stmtcache_1", Query: "SELECT host, v FROM alerts WHERE ts > $1"},
			&pgproto3.Describe{ObjectType: 'S', Name: "stmtcache_1"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "stmtcache_1", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0xff, 0xfc, 0xa2, 0xfe, 0xc4, 0xc8, 0x20, 0}},
				ResultFormatCodes: []int16{0, 1}}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		// psycopg 3: text array parameter of unspecified type.
		{&pgproto3.Parse{Query: "SELECT n.nspname FROM pg_namespace WHERE relkind = ANY($1)", ParameterOIDs: []uint32{0}},
			&pgproto3.Bind{ParameterFormatCodes: []int16{0}, Parameters: [][]byte{txt("{r,p,f}")}}, &pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{}, &pgproto3.Sync{}},
		// Row limits, Flush, Close.
		{&pgproto3.Parse{Name: "r", Query: "$ $ $"}, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "r", Parameters: [][]byte{txt("a"), nil, txt("c")}},
			&pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Flush{}, &pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Execute{Portal: "p"},
			&pgproto3.Close{ObjectType: 'P', Name: "p"}, &pgproto3.Close{ObjectType: 'S', Name: "r"}, &pgproto3.Sync{}},
		// Errors: duplicate names, unknown names, bad parameters, bad
		// formats, Parse and Execute errors, then recovery.
		{&pgproto3.Parse{Name: "a", Query: "x"}, &pgproto3.Parse{Name: "a", Query: "x"}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Sync{}, &pgproto3.Execute{Portal: "nope"}, &pgproto3.Sync{},
			&pgproto3.Describe{ObjectType: 'X'}, &pgproto3.Sync{},
			&pgproto3.Parse{Name: "b", Query: "$", ParameterOIDs: []uint32{20}},
			&pgproto3.Bind{PreparedStatement: "b", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}}}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "b", ParameterFormatCodes: []int16{7}, Parameters: [][]byte{{1}}, ResultFormatCodes: []int16{9}}, &pgproto3.Sync{},
			&pgproto3.Parse{Query: "err"}, &pgproto3.Sync{}, &pgproto3.Parse{Query: "exe"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
			&pgproto3.Query{String: "select 1"}},
		// The empty statement and every parameter type by OID.
		{&pgproto3.Parse{Query: ""}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{},
			&pgproto3.Parse{Name: "t", Query: "$$$$$$$$$$$$$$$$$", ParameterOIDs: []uint32{16, 17, 19, 20, 21, 23, 25, 26, 114, 700, 701, 1043, 1082, 1114, 1184, 1186, 1700}},
			&pgproto3.Describe{ObjectType: 'S', Name: "t"}, &pgproto3.Sync{}},
	} {
		f.Add(encode(f, msgs...))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		feedConnectionTo(t, echoPrepExecutor{}, append(append([]byte(nil), start...), input...))
	})
}
