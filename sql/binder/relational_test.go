package binder_test

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/catalog"
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
func TestRelational(t *testing.T) { runBindFile(t, "testdata/relational", relCatalog()) }
