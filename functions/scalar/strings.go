package scalar

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/types"
)

// nonStringScalars are the types Postgres's anynonarray || text accepts
// besides text itself. jsonb is left out: Postgres resolves jsonb ||
// 'literal' to jsonb concatenation, which Tocsin does not have, and
// silently concatenating the text instead would be wrong.
var nonStringScalars = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type,
	types.Float64Type, types.TimestampType, types.TimestampTZType, types.DateType,
	types.IntervalType, types.OidType,
}

func registerStrings(r *functions.Registry) {
	text, i32 := types.TextType, types.Int32Type
	add := func(name string, args []types.Type, ret types.Type, doc string, k functions.Kernel) {
		r.AddScalar(&functions.Scalar{Name: name, Args: args, Ret: ret, Doc: doc, Kernel: strict(ret, k)})
	}
	add("||", []types.Type{text, text}, text, "string concatenation", concatKernel(text, text))
	for _, t := range nonStringScalars {
		add("||", []types.Type{t, text}, text, "concatenation of a value's text with text", concatKernel(t, text))
		add("||", []types.Type{text, t}, text, "concatenation of text with a value's text", concatKernel(text, t))
	}
	add("lower", []types.Type{text}, text, "convert to lower case",
		func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return caseMap(args, n, false)
		})
	add("upper", []types.Type{text}, text, "convert to upper case",
		func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return caseMap(args, n, true)
		})
	for _, name := range []string{"length", "char_length", "character_length"} {
		add(name, []types.Type{text}, i32, "number of characters", lengthKernel(true))
	}
	add("octet_length", []types.Type{text}, i32, "number of bytes", lengthKernel(false))
	for _, name := range []string{"substring", "substr"} {
		args2 := []types.Type{text, i32}
		add(name, args2, text, "extract substring", substrKernel(args2))
		args3 := []types.Type{text, i32, i32}
		add(name, args3, text, "extract substring", substrKernel(args3))
	}
	for _, f := range []struct {
		name        string
		left, right bool
	}{{"btrim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}} {
		add(f.name, []types.Type{text}, text, "trim spaces", trimKernel(f.left, f.right))
		add(f.name, []types.Type{text, text}, text, "trim a set of characters", trimKernel(f.left, f.right))
	}
	add("replace", []types.Type{text, text, text}, text, "replace all occurrences of a substring", replaceKernel)
	splitArgs := []types.Type{text, text, i32}
	add("split_part", splitArgs, text, "split on a delimiter and return one field", splitPartKernel(splitArgs))
	add("strpos", []types.Type{text, text}, i32, "position of a substring", strposKernel)
	lrArgs := []types.Type{text, i32}
	add("left", lrArgs, text, "first characters", leftRightKernel(lrArgs, false))
	add("right", lrArgs, text, "last characters", leftRightKernel(lrArgs, true))
	add("repeat", lrArgs, text, "repeat a string", repeatKernel(lrArgs))
	add("reverse", []types.Type{text}, text, "reverse characters",
		func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return mapText(args, n, appendReversed)
		})
	add("initcap", []types.Type{text}, text, "capitalise the first letter of each word",
		func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return mapText(args, n, appendInitcap)
		})
	add("md5", []types.Type{text}, text, "MD5 hash, in hexadecimal",
		func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
			return mapText(args, n, appendMD5)
		})
	for _, f := range []struct {
		name string
		left bool
	}{{"lpad", true}, {"rpad", false}} {
		a2 := []types.Type{text, i32}
		add(f.name, a2, text, "pad to a length", padKernel(a2, f.left))
		a3 := []types.Type{text, i32, text}
		add(f.name, a3, text, "pad to a length with a fill string", padKernel(a3, f.left))
	}
	add("starts_with", []types.Type{text, text}, types.BoolType, "whether a string starts with a prefix", startsWithKernel)
	// concat and concat_ws take VARIADIC "any", as in Postgres: the
	// kernels render each argument's text.
	r.AddScalar(&functions.Scalar{
		Name: "concat", Args: []types.Type{text}, Variadic: true, VariadicAny: true, Ret: text, Nulls: functions.NullCustom,
		Doc: "concatenate the text of the arguments, ignoring NULLs", Kernel: concatAnyKernel(false),
	})
	r.AddScalar(&functions.Scalar{
		Name: "concat_ws", Args: []types.Type{text, text}, Variadic: true, VariadicAny: true, Ret: text, Nulls: functions.NullCustom,
		Doc: "concatenate with a separator, ignoring NULLs", Kernel: concatAnyKernel(true),
	})
}

// textWriter appends one value's text cast (as TextOf renders it) row by
// row. The type's representation is resolved once; a scalar is rendered
// once.
type textWriter struct {
	p      phys
	t      types.Type
	arr    arrow.Array
	valid  []byte
	off    int
	strs   vec.Strings
	bools  *array.Boolean
	i16    []int16
	i32    []int32
	i64    []int64
	u32    []uint32
	f32    []float32
	f64    []float64
	ivs    []arrow.MonthDayNanoInterval
	scalar []byte
	null   bool // a NULL scalar
	// output renders booleans as their output function does ("t", "f")
	// rather than as their text cast ("true", "false"): concat uses it.
	output bool
}

// useOutputForm switches w to the output-function rendering.
func (w *textWriter) useOutputForm(v functions.Value) {
	w.output = true
	if v.IsScalar() && !v.Scalar.Null && v.Scalar.Type.Kind == types.Bool {
		w.scalar = []byte("f")
		if v.Scalar.I != 0 {
			w.scalar = []byte("t")
		}
	}
}

// newTextWriter renders v, whose SQL type is t (the zero Type: infer it
// with typeOfValue).
func newTextWriter(v functions.Value, t types.Type) textWriter {
	if t == (types.Type{}) {
		t = typeOfValue(v)
	}
	if v.IsScalar() {
		if v.Scalar.Null {
			return textWriter{null: true}
		}
		return textWriter{p: physNone, scalar: []byte(TextOf(v.Scalar))}
	}
	w := textWriter{p: physOf(t), t: t, arr: v.Array}
	w.valid, w.off = vec.Validity(v.Array)
	switch w.p {
	case physStr:
		w.strs = vec.StringsOf(v.Array)
	case physBool:
		w.bools = v.Array.(*array.Boolean)
	case physI16:
		w.i16 = vec.Values[int16](v.Array)
	case physI32:
		w.i32 = vec.Values[int32](v.Array)
	case physI64:
		w.i64 = vec.Values[int64](v.Array)
	case physU32:
		w.u32 = vec.Values[uint32](v.Array)
	case physF32:
		w.f32 = vec.Values[float32](v.Array)
	case physF64:
		w.f64 = vec.Values[float64](v.Array)
	case physInterval:
		w.ivs = vec.Values[arrow.MonthDayNanoInterval](v.Array)
	}
	return w
}

// isNull reports whether row i is NULL.
func (w *textWriter) isNull(i int) bool {
	if w.arr == nil {
		return w.null
	}
	return !vec.IsValid(w.valid, w.off, i)
}

// appendRow appends row i's text; the row must not be NULL.
func (w *textWriter) appendRow(dst []byte, i int) []byte {
	if w.arr == nil {
		return append(dst, w.scalar...)
	}
	switch w.p {
	case physStr:
		return append(dst, w.strs.Bytes(i)...)
	case physI16:
		return strconv.AppendInt(dst, int64(w.i16[i]), 10)
	case physI32:
		x := w.i32[i]
		if w.t.Kind == types.Date {
			return types.AppendDate(dst, x)
		}
		return strconv.AppendInt(dst, int64(x), 10)
	case physI64:
		x := w.i64[i]
		if w.t.IsTimestamp() {
			return types.AppendTimestamp(dst, x, w.t.Kind == types.TimestampTZ)
		}
		return strconv.AppendInt(dst, x, 10)
	case physU32:
		return strconv.AppendUint(dst, uint64(w.u32[i]), 10)
	case physF32:
		return types.AppendFloat(dst, float64(w.f32[i]), 32)
	case physF64:
		return types.AppendFloat(dst, w.f64[i], 64)
	case physBool:
		switch v := w.bools.Value(i); {
		case w.output && v:
			return append(dst, 't')
		case w.output:
			return append(dst, 'f')
		case v:
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case physInterval:
		x := w.ivs[i]
		return types.AppendInterval(dst, x.Months, x.Days, x.Nanoseconds/1000)
	}
	d := functions.DatumAt(w.arr, w.t, i)
	return append(dst, TextOf(d)...)
}

// concatKernel is text || text and anynonarray || text over arguments
// of types ta and tb: both sides rendered as text, NULL if either is
// NULL (strict() handles scalars).
func concatKernel(ta, tb types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		return concatTwo(newTextWriter(args[0], ta), newTextWriter(args[1], tb), args, n)
	}
}

func concatTwo(a, b textWriter, args []functions.Value, n int) (functions.Value, error) {
	validity := validityOf(n, args)
	offsets := make([]int32, n+1)
	var data []byte
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		if valid(validity, i) {
			data = a.appendRow(data, i)
			data = b.appendRow(data, i)
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
		}
		offsets[i+1] = int32(len(data))
	}
	return textResult(types.TextType, offsets, data, validity), nil
}

// concatAnyKernel is concat (NULL arguments ignored, never NULL) or,
// with sep, concat_ws (the first argument separates the non-NULL others;
// a NULL separator gives NULL).
func concatAnyKernel(sep bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		if allScalar(args) && n != 1 {
			v, err := concatAnyKernel(sep)(nil, args, 1)
			if err != nil {
				return v, err
			}
			return functions.ScalarValue(functions.DatumAt(v.Array, types.TextType, 0)), nil
		}
		ws := make([]textWriter, len(args))
		for i, a := range args {
			ws[i] = newTextWriter(a, types.Type{})
			ws[i].useOutputForm(a)
		}
		parts := ws
		var mask nullMask
		if sep {
			parts = ws[1:]
			mask = nullMask{n: n}
		}
		offsets := make([]int32, n+1)
		var data []byte
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			if sep && ws[0].isNull(i) {
				mask.setNull(i)
				offsets[i+1] = int32(len(data))
				continue
			}
			first := true
			for j := range parts {
				if parts[j].isNull(i) {
					continue
				}
				if sep && !first {
					data = ws[0].appendRow(data, i)
				}
				data = parts[j].appendRow(data, i)
				first = false
			}
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(types.TextType, offsets, data, mask.bits), nil
	}
}
