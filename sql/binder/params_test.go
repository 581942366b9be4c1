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
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// paramCatalog adds a writable table to the relational test catalog.
func paramCatalog() *catalog.Catalog {
	c := relCatalog()
	_ = c.Add(&catalog.Object{ID: c.NextID(), Kind: catalog.KindTable, Name: "kv", Schema: types.Schema{
		{Name: "k", Type: types.TextType}, {Name: "v", Type: types.Int64Type},
		{Name: "at", Type: types.TimestampTZType}, {Name: "score", Type: types.Float64Type},
	}, Table: &catalog.TableDef{}})
	return c
}

// TestParams runs testdata/params: `prepare [types=t1,t2,...]` binds a
// statement with $n parameters, with the declared types given (`-` for
// one left to inference), and prints the parameters' inferred types, the
// plan and the output columns (or the error).
func TestParams(t *testing.T) {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	aggregate.Register(reg)
	cat := paramCatalog()
	datadriven.RunTest(t, "testdata/params", func(t *testing.T, d *datadriven.TestData) string {
		var declared []types.Type
		for _, arg := range d.CmdArgs {
			if arg.Key != "types" {
				d.Fatalf(t, "unknown argument %s", arg.Key)
			}
			for _, v := range arg.Vals {
				typ, ok := types.LookupName(v)
				if v != "-" && !ok {
					d.Fatalf(t, "unknown type %s", v)
				}
				declared = append(declared, typ)
			}
		}
		stmt, err := parser.ParseOne(d.Input)
		if err != nil {
			return formatErr(d.Input, err)
		}
		b := binder.New(cat, reg)
		b.SetParamTypes(declared)
		var shown string
		switch st := stmt.(type) {
		case *ast.SelectStmt:
			if _, err = b.BindQuery(st.Query); err == nil {
				// Bind again with every type known, as Prepare does:
				// an untyped $n is now text.
				again := binder.New(cat, reg)
				again.SetParamTypes(b.ParamTypes())
				p, err := again.BindQuery(st.Query)
				if err != nil {
					d.Fatalf(t, "second bind: %v", err)
				}
				shown = planExplain(p) + "columns:"
				for _, c := range p.Schema() {
					shown += fmt.Sprintf(" %s %s,", c.Name, c.Type)
				}
				shown = strings.TrimSuffix(shown, ",") + "\n"
			}
		case *ast.Insert:
			var ins *plan.Insert
			if ins, err = b.BindInsert(st); err == nil {
				shown = planExplain(ins.Source)
			}
		case *ast.Update:
			var u *plan.Update
			if u, err = b.BindUpdate(st); err == nil {
				for i := range u.Table.Schema {
					if x, ok := u.Set[i]; ok {
						shown += fmt.Sprintf("set %s = %s\n", u.Table.Schema[i].Name, x)
					}
				}
				if u.Filter != nil {
					shown += fmt.Sprintf("where %s\n", u.Filter)
				}
			}
		case *ast.Delete:
			var del *plan.Delete
			if del, err = b.BindDelete(st); err == nil && del.Filter != nil {
				shown = fmt.Sprintf("where %s\n", del.Filter)
			}
		default:
			return fmt.Sprintf("not bindable: %T\n", stmt)
		}
		if err != nil {
			return formatErr(d.Input, err)
		}
		var out strings.Builder
		out.WriteString("params:")
		for i, pt := range b.ParamTypes() {
			fmt.Fprintf(&out, " $%d %s,", i+1, pt)
		}
		return strings.TrimSuffix(out.String(), ",") + "\n" + shown
	})
}
