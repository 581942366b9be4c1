package scalar

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the array functions the Postgres catalog queries of
// clients call (array_to_string, array_upper, subscripts, ARRAY(...) ||
// ARRAY(...)). Tocsin's catalog relations carry array-valued columns
// (reloptions, datacl, polroles, ...) as text in Postgres's array literal
// form ('{a,b}'), and ARRAY(subquery) yields that form too, so these
// functions take and return array literals as text. They run row by row
// over Datums: catalog queries read a few hundred rows.

// ArrayElems parses a one-dimensional array value in either of its text
// forms (see ParseArrayText) into its elements; null[i] marks a NULL
// element.
func ArrayElems(s string) (elems []string, null []bool, err error) {
	a, err := ParseArrayText(s)
	return a.Elems, a.Null, err
}

// AppendArrayElem appends one element of an array literal, quoting it
// when Postgres's array_out would.
func AppendArrayElem(dst []byte, s string) []byte {
	need := s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f")
	if !need {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// FormatArray renders elements (nil entries are NULL) as an array literal.
func FormatArray(elems []*string) string {
	b := []byte{'{'}
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		if e == nil {
			b = append(b, "NULL"...)
			continue
		}
		b = AppendArrayElem(b, *e)
	}
	return string(append(b, '}'))
}

// rowKernel adapts a per-row function over Datums to a kernel for
// arguments of the declared types. With strict, the function never sees a
// NULL argument.
func rowKernel(argTypes []types.Type, ret types.Type, strict bool, f func(args []types.Datum) (types.Datum, error)) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		out := make([]types.Datum, n)
		row := make([]types.Datum, len(args))
		scalar := true
		for i := 0; i < n; i++ {
			null := false
			for j, a := range args {
				t := argTypes[min(j, len(argTypes)-1)]
				row[j] = functions.ValueDatum(a, t, i)
				row[j].Type = t
				null = null || row[j].Null
				scalar = scalar && a.IsScalar()
			}
			if strict && null {
				out[i] = types.NullDatum(ret)
				continue
			}
			d, err := f(row)
			if err != nil {
				return functions.Value{}, err
			}
			d.Type = ret
			out[i] = d
		}
		if n == 1 && scalar {
			return functions.ScalarValue(out[0]), nil
		}
		return functions.ArrayValue(functions.BuildArray(ret, out)), nil
	}
}

// scalarFn registers a row-wise catalog function.
func scalarFn(r *functions.Registry, name string, args []types.Type, ret types.Type, strict bool, f func([]types.Datum) (types.Datum, error)) {
	nulls := functions.NullCustom
	if strict {
		nulls = functions.NullPropagate
	}
	r.AddScalar(&functions.Scalar{Name: name, Args: args, Ret: ret, Nulls: nulls, Vol: functions.Immutable,
		Kernel: rowKernel(args, ret, strict, f)})
}

func registerArrays(r *functions.Registry) {
	text, i32 := types.TextType, types.Int32Type
	toString := func(a []types.Datum) (types.Datum, error) {
		elems, null, err := ArrayElems(a[0].S)
		if err != nil {
			return types.Datum{}, err
		}
		var parts []string
		for i, e := range elems {
			switch {
			case !null[i]:
				parts = append(parts, e)
			case len(a) > 2 && !a[2].Null:
				parts = append(parts, a[2].S)
			}
		}
		return types.StringDatum(text, strings.Join(parts, a[1].S)), nil
	}
	scalarFn(r, "array_to_string", []types.Type{text, text}, text, true, toString)
	scalarFn(r, "array_to_string", []types.Type{text, text, text}, text, false, func(a []types.Datum) (types.Datum, error) {
		if a[0].Null || a[1].Null {
			return types.NullDatum(text), nil
		}
		return toString(a)
	})
	bound := func(upper bool) func([]types.Datum) (types.Datum, error) {
		return func(a []types.Datum) (types.Datum, error) {
			arr, err := ParseArrayText(a[0].S)
			if err != nil {
				return types.Datum{}, err
			}
			if len(arr.Elems) == 0 || a[1].I != 1 {
				return types.NullDatum(i32), nil
			}
			if upper {
				return types.IntDatum(i32, int64(arr.Upper())), nil
			}
			return types.IntDatum(i32, int64(arr.Lower)), nil
		}
	}
	scalarFn(r, "array_upper", []types.Type{text, i32}, i32, true, bound(true))
	scalarFn(r, "array_lower", []types.Type{text, i32}, i32, true, bound(false))
	scalarFn(r, "array_length", []types.Type{text, i32}, i32, true, func(a []types.Datum) (types.Datum, error) {
		elems, _, err := ArrayElems(a[0].S)
		if err != nil || len(elems) == 0 || a[1].I != 1 {
			return types.NullDatum(i32), err
		}
		return types.IntDatum(i32, int64(len(elems))), nil
	})
	scalarFn(r, "cardinality", []types.Type{text}, i32, true, func(a []types.Datum) (types.Datum, error) {
		elems, _, err := ArrayElems(a[0].S)
		return types.IntDatum(i32, int64(len(elems))), err
	})
	// array_element is x[i]: an element of the array literal as an
	// untyped value, which takes the type its context needs, as the
	// elements of a typed array would.
	scalarFn(r, "array_element", []types.Type{text, i32}, types.UnknownType, true, func(a []types.Datum) (types.Datum, error) {
		arr, err := ParseArrayText(a[0].S)
		if err != nil {
			return types.Datum{}, err
		}
		elems, null := arr.Elems, arr.Null
		i := int(a[1].I) - arr.Lower
		if i < 0 || i >= len(elems) || null[i] {
			return types.NullDatum(types.UnknownType), nil
		}
		return types.StringDatum(types.UnknownType, elems[i]), nil
	})
	scalarFn(r, "array_cat", []types.Type{text, text}, text, false, func(a []types.Datum) (types.Datum, error) {
		if a[0].Null {
			return a[1], nil
		}
		if a[1].Null {
			return a[0], nil
		}
		var all []*string
		for _, d := range a {
			elems, null, err := ArrayElems(d.S)
			if err != nil {
				return types.Datum{}, err
			}
			for i := range elems {
				if null[i] {
					all = append(all, nil)
				} else {
					all = append(all, &elems[i])
				}
			}
		}
		return types.StringDatum(text, FormatArray(all)), nil
	})
	// array_contains_text is x = ANY(array) with SQL's NULL rules: true if
	// an element equals x, else NULL if x or an element is NULL, else
	// false.
	scalarFn(r, "array_contains_text", []types.Type{text, text}, types.BoolType, false, func(a []types.Datum) (types.Datum, error) {
		if a[1].Null {
			return types.NullDatum(types.BoolType), nil
		}
		elems, null, err := ArrayElems(a[1].S)
		if err != nil {
			return types.Datum{}, err
		}
		sawNull := a[0].Null
		for i, e := range elems {
			if null[i] {
				sawNull = true
			} else if !a[0].Null && e == a[0].S {
				return types.BoolDatum(true), nil
			}
		}
		if sawNull {
			return types.NullDatum(types.BoolType), nil
		}
		return types.BoolDatum(false), nil
	})
	// An untyped value (an array element, an unknown-typed column) casts
	// to any type through its text form, as Postgres's unknown does.
	for _, to := range castableScalars {
		if to.Kind == types.Unknown {
			continue
		}
		r.AddCast(&functions.Cast{From: types.UnknownType, To: to, Context: functions.CastImplicit,
			Kernel: func(ctx *functions.Context, v functions.Value, _, to types.Type, n int) (functions.Value, error) {
				if v.IsScalar() {
					v.Scalar.Type = types.TextType
				}
				return CastValue(ctx, v, types.TextType, to, n)
			}})
	}
}

func registerArrayOut(r *functions.Registry) {
	// array_elem_out renders one element of an array literal (NULL as
	// the unquoted word), for ARRAY(subquery).
	scalarFn(r, "array_elem_out", []types.Type{types.TextType}, types.TextType, false, func(a []types.Datum) (types.Datum, error) {
		if a[0].Null {
			return types.StringDatum(types.TextType, "NULL"), nil
		}
		return types.StringDatum(types.TextType, string(AppendArrayElem(nil, a[0].S))), nil
	})
}
