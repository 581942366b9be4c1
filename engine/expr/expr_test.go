package expr

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

// tri is a three-valued boolean: 0 false, 1 true, 2 NULL.
type tri int

func boolCol(vs ...tri) arrow.Array {
	ds := make([]types.Datum, len(vs))
	for i, v := range vs {
		if v == 2 {
			ds[i] = types.NullDatum(types.BoolType)
		} else {
			ds[i] = types.BoolDatum(v == 1)
		}
	}
	return functions.BuildArray(types.BoolType, ds)
}

func TestThreeValuedLogic(t *testing.T) {
	// Every pair of {false, true, NULL}.
	var a, b []tri
	for x := tri(0); x < 3; x++ {
		for y := tri(0); y < 3; y++ {
			a, b = append(a, x), append(b, y)
		}
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}, {Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{boolCol(a...), boolCol(b...)}, int64(len(a)))
	ca := &plan.ColRef{Idx: 0, Typ: types.BoolType}
	cb := &plan.ColRef{Idx: 1, Typ: types.BoolType}
	and := func(x, y tri) tri {
		if x == 0 || y == 0 {
			return 0
		}
		if x == 2 || y == 2 {
			return 2
		}
		return 1
	}
	or := func(x, y tri) tri {
		if x == 1 || y == 1 {
			return 1
		}
		if x == 2 || y == 2 {
			return 2
		}
		return 0
	}
	check := func(name string, e plan.Expr, want func(x, y tri) tri) {
		ev, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ev.EvalArray(&functions.Context{}, rec)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			d := functions.DatumAt(out, types.BoolType, i)
			got := tri(2)
			if !d.Null {
				got = tri(d.I)
			}
			if w := want(a[i], b[i]); got != w {
				t.Errorf("%s(%d,%d) = %d, want %d", name, a[i], b[i], got, w)
			}
		}
	}
	check("AND", &plan.BoolOp{And: true, Args: []plan.Expr{ca, cb}}, and)
	check("OR", &plan.BoolOp{Args: []plan.Expr{ca, cb}}, or)
	check("NOT a", &plan.Not{X: ca}, func(x, _ tri) tri {
		if x == 2 {
			return 2
		}
		return 1 - x
	})
	check("a IS NULL", &plan.IsNull{X: ca}, func(x, _ tri) tri {
		if x == 2 {
			return 1
		}
		return 0
	})
	check("a AND NULL", &plan.BoolOp{And: true, Args: []plan.Expr{ca, &plan.Const{Val: types.NullDatum(types.BoolType)}}}, func(x, _ tri) tri { return and(x, 2) })
}
