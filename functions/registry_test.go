package functions

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestResolvePrefersExactThenFewestCasts(t *testing.T) {
	r := NewRegistry()
	i64 := &Scalar{Name: "f", Args: []types.Type{types.Int64Type, types.Int64Type}, Ret: types.Int64Type}
	f64 := &Scalar{Name: "f", Args: []types.Type{types.Float64Type, types.Float64Type}, Ret: types.Float64Type}
	r.AddScalar(i64)
	r.AddScalar(f64)
	got, params, err := r.ResolveScalar("F", []types.Type{types.Int32Type, types.Int64Type}, 0)
	if err != nil || got != i64 || params[0] != types.Int64Type {
		t.Fatalf("int32,int64 -> %v %v %v", got, params, err)
	}
	got, _, err = r.ResolveScalar("f", []types.Type{types.Float64Type, types.Int32Type}, 0)
	if err != nil || got != f64 {
		t.Fatalf("float64,int32 -> %v %v", got, err)
	}
	_, _, err = r.ResolveScalar("f", []types.Type{types.TextType, types.Int32Type}, 4)
	if sqlerr.CodeOf(err) != sqlerr.UndefinedFunction || err.(*sqlerr.Error).Pos != 5 {
		t.Fatalf("text arg: %v", err)
	}
}

func TestResolveAmbiguous(t *testing.T) {
	r := NewRegistry()
	r.AddScalar(&Scalar{Name: "g", Args: []types.Type{types.Int64Type}, Ret: types.Int64Type})
	r.AddScalar(&Scalar{Name: "g", Args: []types.Type{types.Float64Type}, Ret: types.Float64Type})
	_, _, err := r.ResolveScalar("g", []types.Type{types.Int32Type}, 0)
	if sqlerr.CodeOf(err) != sqlerr.AmbiguousFunction {
		t.Fatalf("want ambiguity, got %v", err)
	}
}

func TestChildRegistryShadows(t *testing.T) {
	parent := NewRegistry()
	parent.AddScalar(&Scalar{Name: "h", Args: []types.Type{types.TextType}, Ret: types.TextType})
	child := NewChildRegistry(parent)
	if _, _, err := child.ResolveScalar("h", []types.Type{types.TextType}, 0); err != nil {
		t.Fatal(err)
	}
	mine := &Scalar{Name: "h", Args: []types.Type{types.TextType}, Ret: types.Int64Type}
	child.AddScalar(mine)
	if s, _, _ := child.ResolveScalar("h", []types.Type{types.TextType}, 0); s != mine {
		t.Fatal("child overload does not shadow the parent's")
	}
	if s, _, _ := parent.ResolveScalar("h", []types.Type{types.TextType}, 0); s == mine {
		t.Fatal("child leaked into parent")
	}
}

func TestVariadic(t *testing.T) {
	r := NewRegistry()
	s := &Scalar{Name: "concat", Args: []types.Type{types.TextType}, Variadic: true, Ret: types.TextType}
	r.AddScalar(s)
	got, params, err := r.ResolveScalar("concat", []types.Type{types.TextType, types.UnknownType, types.VarcharType}, 0)
	if err != nil || got != s || len(params) != 3 {
		t.Fatalf("variadic: %v %v %v", got, params, err)
	}
}
