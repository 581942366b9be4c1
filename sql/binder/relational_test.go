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
	"github.com/tocsin-db/tocsin/sql/types"
)

// relCatalog adds small tables to the product example's catalog, for
// joins, subqueries, set operations and window functions.
func relCatalog() *catalog.Catalog {
	c := testCatalog()
	add := func(name string, cols ...types.Column) {
		_ = c.Add(&catalog.Object{ID: c.NextID(), Kind: catalog.KindSystem, Name: name, Schema: cols})
	}
	add("emp", types.Column{Name: "id", Type: types.Int32Type}, types.Column{Name: "name", Type: types.TextType},
		types.Column{Name: "dept", Type: types.Int32Type}, types.Column{Name: "salary", Type: types.Float64Type},
		types.Column{Name: "mgr", Type: types.Int32Type})
	add("dept", types.Column{Name: "id", Type: types.Int64Type}, types.Column{Name: "dname", Type: types.VarcharType})
	add("t1", types.Column{Name: "a", Type: types.Int32Type}, types.Column{Name: "b", Type: types.TextType})
	add("t2", types.Column{Name: "a", Type: types.Int64Type}, types.Column{Name: "c", Type: types.Float64Type})
	add("ev", types.Column{Name: "k", Type: types.TextType}, types.Column{Name: "ts", Type: types.TimestampType},
		types.Column{Name: "v", Type: types.Int64Type}, types.Column{Name: "d", Type: types.DateType})
	return c
}

// TestRelational runs testdata/relational: joins, subqueries, CTEs, set
// operations and window functions, printed as plans (see TestBind).
func TestRelational(t *testing.T) {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	datadriven.RunTest(t, "testdata/relational", func(t *testing.T, d *datadriven.TestData) string {
		stmt, err := parser.ParseOne(d.Input)
		if err != nil {
			return formatErr(d.Input, err)
		}
		sel, ok := stmt.(*ast.SelectStmt)
		if !ok {
			return fmt.Sprintf("not a query: %T\n", stmt)
		}
		b := binder.New(relCatalog(), reg)
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
