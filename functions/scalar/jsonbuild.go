package scalar

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// json_build_object / jsonb_build_object (VARIADIC "any": key, value,
// ...) build an object from alternating keys and values; keys are the
// arguments' text (NULL keys are an error, as in Postgres), values are
// converted as to_jsonb converts them (NULL → null). string_to_array
// splits text into the text form of a text[] (see pgarray.go).

func registerJSONBuild(r *functions.Registry) {
	for _, name := range []string{"jsonb_build_object", "json_build_object"} {
		r.AddScalar(&functions.Scalar{
			Name: name, Args: []types.Type{types.TextType}, Variadic: true, VariadicAny: true,
			Ret: types.JSONBType, Nulls: functions.NullCustom, Vol: functions.Immutable,
			Doc: "build a jsonb object from alternating keys and values", Kernel: jsonBuildObjectKernel,
		})
	}
	text := types.TextType
	split := func(a []types.Datum) (types.Datum, error) {
		if a[0].Null {
			return types.NullDatum(text), nil
		}
		var parts []string
		switch {
		case a[1].Null:
			for _, r := range a[0].S {
				parts = append(parts, string(r))
			}
		case a[1].S == "":
			parts = []string{a[0].S}
		default:
			parts = strings.Split(a[0].S, a[1].S)
		}
		if a[0].S == "" {
			parts = nil
		}
		elems := make([]*string, len(parts))
		for i := range parts {
			if len(a) > 2 && !a[2].Null && parts[i] == a[2].S {
				continue
			}
			elems[i] = &parts[i]
		}
		return types.StringDatum(text, FormatArray(elems)), nil
	}
	scalarFn(r, "string_to_array", []types.Type{text, text}, text, false, split)
	scalarFn(r, "string_to_array", []types.Type{text, text, text}, text, false, split)
}

func jsonBuildObjectKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	if len(args)%2 != 0 {
		return functions.Value{}, sqlerr.New(sqlerr.InvalidParameterValue, "argument list must have even number of elements").
			WithHint("The arguments of json_build_object() must consist of alternating keys and values.")
	}
	ws := make([]textWriter, len(args))
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = typeOfValue(a)
		ws[i] = newTextWriter(a, ts[i])
	}
	offsets := make([]int32, n+1)
	var data, obj, buf []byte
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		obj = append(obj[:0], '{')
		for k := 0; k < len(args); k += 2 {
			if ws[k].isNull(i) {
				return functions.Value{}, sqlerr.New(sqlerr.NullValueNotAllowed, "null value not allowed for object key")
			}
			if k > 0 {
				obj = append(obj, ", "...)
			}
			buf = ws[k].appendRow(buf[:0], i)
			obj = types.AppendJSONString(obj, buf)
			obj = append(obj, ": "...)
			if ws[k+1].isNull(i) {
				obj = append(obj, "null"...)
				continue
			}
			buf = ws[k+1].appendRow(buf[:0], i)
			obj = appendJSONOf(obj, buf, ts[k+1])
		}
		obj = append(obj, '}')
		// jsonb's canonical form: keys sorted, the last duplicate wins.
		var err error
		if data, err = types.AppendJSONB(data, obj); err != nil {
			return functions.Value{}, err
		}
		if len(data) > maxTextBytes {
			return functions.Value{}, tooLarge()
		}
		offsets[i+1] = int32(len(data))
	}
	if allScalar(args) && n == 1 {
		return functions.ScalarValue(types.StringDatum(types.JSONBType, string(data))), nil
	}
	return textResult(types.JSONBType, offsets, data, nil), nil
}
