package binder_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

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

// testCatalog holds the product example's source and view.
func testCatalog() *catalog.Catalog {
	c := catalog.New()
	_ = c.Add(&catalog.Object{ID: c.NextID(), Kind: catalog.KindSource, Name: "requests", Schema: types.Schema{
		{Name: "ts", Type: types.TimestampType}, {Name: "service", Type: types.VarcharType},
		{Name: "host", Type: types.VarcharType}, {Name: "latency_ms", Type: types.Float64Type},
		{Name: "status", Type: types.Int32Type},
	}, Source: &catalog.SourceDef{EventTime: 0}})
	_ = c.Add(&catalog.Object{ID: c.NextID(), Kind: catalog.KindMaterializedView, Name: "req_1m", Schema: types.Schema{
		{Name: "window_start", Type: types.TimestampType}, {Name: "service", Type: types.VarcharType},
		{Name: "n", Type: types.Int64Type}, {Name: "avg_ms", Type: types.Float64Type},
	}, View: &catalog.ViewDef{}})
	return c
}

// TestBind runs testdata/bind: `bind` prints the plan and output schema
// of a query (or its error with SQLSTATE and position); `bind-view` binds
// as a materialized view would (keeping GROUP BY keys).
func TestBind(t *testing.T) { runBindFile(t, "testdata/bind", testCatalog()) }

// runBindFile runs a datadriven file of bind / bind-view commands over
// catalog cat with the built-in functions.
func runBindFile(t *testing.T, file string, cat *catalog.Catalog) {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
		stmt, err := parser.ParseOne(d.Input)
		if err != nil {
			return formatErr(d.Input, err)
		}
		sel, ok := stmt.(*ast.SelectStmt)
		if !ok {
			return fmt.Sprintf("not a query: %T\n", stmt)
		}
		b := binder.New(cat, reg)
		b.KeepGroupKeys = d.Cmd == "bind-view"
		p, err := b.BindQuery(sel.Query)
		if err != nil {
			return formatErr(d.Input, err)
		}
		var out strings.Builder
		out.WriteString(planExplain(p))
		out.WriteString("columns:")
		for _, c := range p.Schema() {
			fmt.Fprintf(&out, " %s %s", c.Name, c.Type)
			if c.Hidden {
				out.WriteString(" (hidden)")
			}
			out.WriteString(",")
		}
		return strings.TrimSuffix(out.String(), ",") + "\n"
	})
}

func formatErr(input string, err error) string {
	e := sqlerr.As(err)
	s := fmt.Sprintf("error %s: %s\n", e.Code, e.Msg)
	if e.Pos > 0 {
		line := strings.Split(input[:e.Pos-1], "\n")
		col := len(line[len(line)-1])
		s += "  " + strings.Split(input, "\n")[len(line)-1] + "\n  " + strings.Repeat(" ", col) + "^\n"
	}
	return s
}
