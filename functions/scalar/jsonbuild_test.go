package scalar

import (
	"testing"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestJSONBuildObjectAndStringToArray(t *testing.T) {
	text := func(s string) functions.Value { return functions.ScalarValue(types.StringDatum(types.TextType, s)) }
	i64 := func(v int64) functions.Value { return functions.ScalarValue(types.IntDatum(types.Int64Type, v)) }
	null := functions.ScalarValue(types.NullDatum(types.TextType))
	v, err := jsonBuildObjectKernel(nil, []functions.Value{text("b"), i64(2), text("a"), text("x\"y"), text("c"), null}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Scalar.S, `{"a": "x\"y", "b": 2, "c": null}`; got != want {
		t.Errorf("json_build_object = %s, want %s", got, want)
	}
	if _, err := jsonBuildObjectKernel(nil, []functions.Value{text("a")}, 1); err == nil {
		t.Error("odd argument count accepted")
	}
	if _, err := jsonBuildObjectKernel(nil, []functions.Value{null, i64(1)}, 1); err == nil {
		t.Error("NULL key accepted")
	}
	reg := functions.NewRegistry()
	Register(reg)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"a,b,,c", ","}, `{a,b,"",c}`},
		{[]string{"abc", ""}, `{abc}`},
		{[]string{"", ","}, `{}`},
		{[]string{"a,x,b", ",", "x"}, `{a,NULL,b}`},
	} {
		args := make([]types.Datum, len(c.args))
		tys := make([]types.Type, len(c.args))
		for i, a := range c.args {
			args[i] = types.StringDatum(types.TextType, a)
			tys[i] = types.TextType
		}
		s, _, err := reg.ResolveScalar("string_to_array", tys, 0)
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]functions.Value, len(args))
		for i, a := range args {
			vals[i] = functions.ScalarValue(a)
		}
		got, err := s.Kernel(nil, vals, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Scalar.S != c.want {
			t.Errorf("string_to_array(%q) = %s, want %s", c.args, got.Scalar.S, c.want)
		}
	}
}
