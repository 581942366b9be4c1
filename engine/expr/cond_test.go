package expr

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

func ints(vs ...any) arrow.Array {
	ds := make([]types.Datum, len(vs))
	for i, v := range vs {
		if v == nil {
			ds[i] = types.NullDatum(types.Int32Type)
		} else {
			ds[i] = types.IntDatum(types.Int32Type, int64(v.(int)))
		}
	}
	return functions.BuildArray(types.Int32Type, ds)
}

func call(t *testing.T, reg *functions.Registry, name string, args ...plan.Expr) plan.Expr {
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	fn, _, err := reg.ResolveScalar(name, ts, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &plan.Call{Fn: fn, Kernel: fn.Kernel, Args: args, Typ: fn.ReturnType(ts)}
}

func eval(t *testing.T, e plan.Expr, rec arrow.RecordBatch) []string {
	ev, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	arr, err := ev.EvalArray(&functions.Context{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, arr.Len())
	for i := range out {
		out[i] = functions.DatumAt(arr, e.Type(), i).String()
	}
	return out
}

// TestCaseGuardsAndCoalesceShortCircuit: CASE WHEN x <> 0 THEN 100 / x
// ELSE -1 END must not divide by zero, COALESCE must not evaluate later
// arguments for rows an earlier one answered, and results keep row order.
func TestCaseGuardsAndCoalesceShortCircuit(t *testing.T) {
	reg := functions.NewRegistry()
	scalar.Register(reg)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ints(5, 0, nil, -4, 0, 20)}, 6)
	x := &plan.ColRef{Idx: 0, Typ: types.Int32Type}
	zero := &plan.Const{Val: types.IntDatum(types.Int32Type, 0)}
	c := &plan.Case{Typ: types.Int32Type,
		Whens: []plan.When{{Cond: call(t, reg, "<>", x, zero), Result: call(t, reg, "/", &plan.Const{Val: types.IntDatum(types.Int32Type, 100)}, x)}},
		Else:  &plan.Const{Val: types.IntDatum(types.Int32Type, -1)}}
	if got, want := eval(t, c, rec), "[20 -1 -1 -25 -1 5]"; fmtStrings(got) != want {
		t.Fatalf("CASE = %v, want %s", got, want)
	}
	// COALESCE(100 / NULLIF-like guard): COALESCE(x, 100 / x) evaluates
	// the division only where x is NULL, where it yields NULL (no error).
	co := &plan.Coalesce{Typ: types.Int32Type, Args: []plan.Expr{x, call(t, reg, "/", &plan.Const{Val: types.IntDatum(types.Int32Type, 100)}, x), &plan.Const{Val: types.IntDatum(types.Int32Type, 7)}}}
	if got, want := eval(t, co, rec), "[5 0 7 -4 0 20]"; fmtStrings(got) != want {
		t.Fatalf("COALESCE = %v, want %s", got, want)
	}
}

func fmtStrings(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}
