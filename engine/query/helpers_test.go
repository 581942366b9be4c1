package query_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/query"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/aggregate"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/binder"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/parser"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// fakeSnapshots serves in-memory relations as system relations, so tests
// need no view store.
type fakeSnapshots struct {
	rows map[string][]arrow.RecordBatch
}

func (f *fakeSnapshots) ViewSnapshot(obj *catalog.Object) (*view.Snapshot, error) {
	return nil, errors.New("no views in this test")
}

func (f *fakeSnapshots) SystemRows(obj *catalog.Object) ([]arrow.RecordBatch, error) {
	return f.rows[obj.Name], nil
}

// env is a catalog of small relations and a registry.
type env struct {
	cat  *catalog.Catalog
	reg  *functions.Registry
	snap *fakeSnapshots
	// batchRows splits each relation into batches of this many rows (0:
	// one batch), to exercise multi-batch inputs.
	batchRows int
}

func newEnv() *env {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	return &env{cat: catalog.New(), reg: reg, snap: &fakeSnapshots{rows: map[string][]arrow.RecordBatch{}}}
}

// col declares a column: "name type".
func col(spec string) types.Column {
	name, typ, _ := strings.Cut(spec, " ")
	t, ok := types.LookupName(typ)
	if !ok {
		panic("unknown type " + typ)
	}
	return types.Column{Name: name, Type: t, Nullable: true}
}

// table adds a relation; rows hold Go values (int, float64, string,
// bool) or nil for NULL; strings are parsed for non-text types.
func (e *env) table(t testing.TB, name string, cols []types.Column, rows ...[]any) {
	t.Helper()
	schema := types.Schema(cols)
	if err := e.cat.Add(&catalog.Object{ID: e.cat.NextID(), Kind: catalog.KindSystem, Name: name, Schema: schema, System: name}); err != nil {
		t.Fatal(err)
	}
	size := e.batchRows
	if size <= 0 {
		size = len(rows) + 1
	}
	var recs []arrow.RecordBatch
	for lo := 0; lo < len(rows) || lo == 0; lo += size {
		hi := min(lo+size, len(rows))
		arrs := make([]arrow.Array, len(cols))
		for j, c := range cols {
			ds := make([]types.Datum, hi-lo)
			for i := lo; i < hi; i++ {
				ds[i-lo] = datum(t, rows[i][j], c.Type)
			}
			arrs[j] = functions.BuildArray(c.Type, ds)
		}
		recs = append(recs, array.NewRecordBatch(schema.Arrow(), arrs, int64(hi-lo)))
		if hi == len(rows) {
			break
		}
	}
	e.snap.rows[name] = recs
}

func datum(t testing.TB, v any, typ types.Type) types.Datum {
	t.Helper()
	switch x := v.(type) {
	case nil:
		return types.NullDatum(typ)
	case int:
		if typ.IsFloat() {
			return types.FloatDatum(typ, float64(x))
		}
		return types.IntDatum(typ, int64(x))
	case float64:
		return types.FloatDatum(typ, x)
	case bool:
		return types.BoolDatum(x)
	case string:
		if typ.IsString() {
			return types.StringDatum(typ, x)
		}
		d, err := scalar.ParseText(x, typ)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatalf("bad test value %T", v)
	return types.Datum{}
}

// query binds and runs sql and returns its visible rows as
// "v1|v2|..." strings.
func (e *env) query(sql string) ([]string, error) {
	stmt, err := parser.ParseOne(sql)
	if err != nil {
		return nil, err
	}
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok {
		return nil, fmt.Errorf("not a query: %T", stmt)
	}
	p, err := binder.New(e.cat, e.reg).BindQuery(sel.Query)
	if err != nil {
		return nil, err
	}
	r := &query.Runner{Snap: e.snap, Ctx: &functions.Context{}, BatchSize: 3}
	recs, err := r.Run(p)
	if err != nil {
		return nil, err
	}
	schema := p.Schema()
	var out []string
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			var parts []string
			for _, c := range schema.Visible() {
				parts = append(parts, functions.DatumAt(rec.Column(c), schema[c].Type, i).String())
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	return out, nil
}

// check runs sql and compares its rows with want, in order when ordered
// is set and as a multiset otherwise.
func (e *env) check(t *testing.T, sql string, ordered bool, want ...string) {
	t.Helper()
	got, err := e.query(sql)
	if err != nil {
		t.Fatalf("%s\n  error: %v", sql, err)
	}
	if !ordered {
		got = sorted(got)
		want = sorted(want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s\n  got:\n    %s\n  want:\n    %s", sql, strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
}

// checkErr runs sql and expects an error with the given SQLSTATE.
func (e *env) checkErr(t *testing.T, sql string, code string) {
	t.Helper()
	_, err := e.query(sql)
	if err == nil {
		t.Fatalf("%s: no error, want %s", sql, code)
	}
	if got := sqlerr.CodeOf(err).String(); got != code {
		t.Fatalf("%s: error %s (%v), want %s", sql, got, err, code)
	}
}

// isInternal reports an error that is not a user-facing SQL error.
func isInternal(err error) bool {
	return sqlerr.CodeOf(err) == sqlerr.Internal
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func cols(specs ...string) []types.Column {
	out := make([]types.Column, len(specs))
	for i, s := range specs {
		out[i] = col(s)
	}
	return out
}
