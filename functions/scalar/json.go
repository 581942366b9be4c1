package scalar

import (
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The jsonb operators and functions: -> ->> #> #>> (and their function
// forms jsonb_extract_path[_text]), jsonb_typeof, jsonb_array_length and
// to_jsonb. jsonb values are JSON text (see jsonscan.go for the
// scanner). -> and #> return the selected value's text as it appears in
// the document; ->> and #>> return a string's unescaped contents, a
// number as jsonb prints it, a boolean as true/false, a container as its
// text, and SQL NULL for a JSON null. Missing keys, out-of-range indexes
// and steps into scalars give NULL, as in Postgres.

func registerJSON(r *functions.Registry) {
	j, text, i32 := types.JSONBType, types.TextType, types.Int32Type
	add := func(name string, args []types.Type, ret types.Type, doc string, k functions.Kernel) *functions.Scalar {
		s := &functions.Scalar{Name: name, Args: args, Ret: ret, Doc: doc, Kernel: strict(ret, k)}
		r.AddScalar(s)
		return s
	}
	for _, asText := range []bool{false, true} {
		ret, op, pathOp := j, "->", "#>"
		if asText {
			ret, op, pathOp = text, "->>", "#>>"
		}
		add(op, []types.Type{j, text}, ret, "get a jsonb object field", jsonGetKernel(asText, false, nil))
		for _, it := range []types.Type{types.Int16Type, i32, types.Int64Type} {
			add(op, []types.Type{j, it}, ret, "get a jsonb array element", jsonGetKernel(asText, true, []types.Type{j, it}))
		}
		asText := asText
		s := add(pathOp, []types.Type{j, text}, ret, "get the jsonb value at a path", jsonPathKernel(asText, nil))
		s.Prepare = func(consts []*types.Datum) (functions.Kernel, error) {
			return prepareJSONPath(consts, ret, asText)
		}
		name := "jsonb_extract_path"
		if asText {
			name += "_text"
		}
		for _, n := range []string{name, strings.Replace(name, "jsonb", "json", 1)} {
			r.AddScalar(&functions.Scalar{
				Name: n, Args: []types.Type{j, text}, Variadic: true, Ret: ret, Nulls: functions.NullCustom,
				Doc: "get the jsonb value at a path", Kernel: jsonExtractPathKernel(ret, asText),
			})
		}
	}
	for _, p := range []string{"jsonb_", "json_"} {
		add(p+"typeof", []types.Type{j}, text, "type of the outermost jsonb value", jsonTypeofKernel)
		add(p+"array_length", []types.Type{j}, i32, "number of elements of a jsonb array", jsonArrayLengthKernel)
	}
	for _, t := range toJSONTypes {
		for _, name := range []string{"to_jsonb", "to_json"} {
			add(name, []types.Type{t}, j, "convert a value to jsonb", toJSONKernel(t))
		}
	}
}

// jsonStep is one step of a path: an object key, or an array index when
// isIndex (a path element that is not an integer never matches an
// array).
type jsonStep struct {
	key     []byte
	index   int64
	isIndex bool
	// null marks a NULL path element, which makes the result NULL.
	null bool
}

// jsonWalker evaluates steps against documents, reusing its scratch
// buffer for escaped keys.
type jsonWalker struct {
	scratch []byte
}

// step applies one path step to the value d[vs:ve] (vs at the value,
// no leading space).
func (w *jsonWalker) step(d []byte, vs int, st *jsonStep) (int, int, bool, error) {
	switch kindAt(d, vs) {
	case jsonObject:
		if st.isIndex && st.key == nil {
			return 0, 0, false, nil
		}
		return objectField(d, vs, st.key, &w.scratch)
	case jsonArray:
		if !st.isIndex {
			return 0, 0, false, nil
		}
		return arrayElem(d, vs, st.index)
	case jsonBad:
		return 0, 0, false, errBadJSON()
	}
	return 0, 0, false, nil
}

// walk applies steps to document d and returns the selected value.
func (w *jsonWalker) walk(d []byte, steps []jsonStep) (int, int, bool, error) {
	vs := skipWS(d, 0)
	ve, err := skipValue(d, vs)
	if err != nil {
		return 0, 0, false, err
	}
	for k := range steps {
		if steps[k].null {
			return 0, 0, false, nil
		}
		var ok bool
		if vs, ve, ok, err = w.step(d, vs, &steps[k]); err != nil || !ok {
			return 0, 0, false, err
		}
	}
	return vs, ve, true, nil
}

// appendJSONResult appends the value v for -> (raw) or ->> (as text);
// it returns false for a JSON null under ->>.
func appendJSONResult(dst, v []byte, asText bool) ([]byte, bool, error) {
	if !asText {
		return append(dst, v...), true, nil
	}
	switch kindAt(v, 0) {
	case jsonString:
		end, esc, err := skipString(v, 0)
		if err != nil {
			return nil, false, err
		}
		if !esc {
			return append(dst, v[1:end-1]...), true, nil
		}
		dst, err = unescapeJSON(dst, v[1:end-1])
		return dst, err == nil, err
	case jsonNull:
		return dst, false, nil
	case jsonNumber:
		return types.AppendJSONNumber(dst, v), true, nil
	}
	return append(dst, v...), true, nil
}

// jsonGetKernel is -> / ->> with a key (index false) or an index.
func jsonGetKernel(asText, index bool, ts []types.Type) functions.Kernel {
	ret := types.JSONBType
	if asText {
		ret = types.TextType
	}
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		docs := textArgOf(args[0])
		var keys textArg
		var idx intArgOf
		if index {
			idx = intOf(args[1], ts[1])
		} else {
			keys = textArgOf(args[1])
		}
		mask := newNullMask(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		var w jsonWalker
		st := jsonStep{isIndex: index}
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			offsets[i+1] = int32(len(data))
			if !mask.valid(i) {
				continue
			}
			d := docs.at(i)
			if index {
				st.index = idx.at(i)
			} else {
				st.key = keys.at(i)
			}
			vs := skipWS(d, 0)
			s, e, ok, err := w.step(d, vs, &st)
			if err != nil {
				return functions.Value{}, err
			}
			if ok {
				data, ok, err = appendJSONResult(data, d[s:e], asText)
				if err != nil {
					return functions.Value{}, err
				}
			}
			if !ok {
				mask.setNull(i)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(ret, offsets, data, mask.bits), nil
	}
}

func malformedPath(s string) error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
}

// parseTextArray parses Postgres's one-dimensional text[] literal
// ('{a,"b c",NULL}') into path steps.
func parseTextArray(s string) ([]jsonStep, error) {
	t := strings.TrimFunc(s, isArraySpace)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, malformedPath(s)
	}
	body := t[1 : len(t)-1]
	if strings.TrimFunc(body, isArraySpace) == "" {
		return nil, nil
	}
	var steps []jsonStep
	for i := 0; ; {
		for i < len(body) && isArraySpace(rune(body[i])) {
			i++
		}
		var elem []byte
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
					if i == len(body) {
						return nil, malformedPath(s)
					}
				}
				elem = append(elem, body[i])
			}
			if i == len(body) {
				return nil, malformedPath(s)
			}
			i++
			for i < len(body) && isArraySpace(rune(body[i])) {
				i++
			}
		} else {
			keep := 0 // elem's length without trailing spaces
			for ; i < len(body) && body[i] != ','; i++ {
				c := body[i]
				switch {
				case c == '{' || c == '}' || c == '"':
					return nil, malformedPath(s)
				case c == '\\':
					i++
					if i == len(body) {
						return nil, malformedPath(s)
					}
					elem = append(elem, body[i])
					keep = len(elem)
				default:
					elem = append(elem, c)
					if !isArraySpace(rune(c)) {
						keep = len(elem)
					}
				}
			}
			elem = elem[:keep]
			if len(elem) == 0 {
				return nil, malformedPath(s)
			}
		}
		st := jsonStep{key: elem}
		if elem == nil {
			st.key = []byte{}
		}
		if !quoted && strings.EqualFold(string(elem), "null") {
			st.null = true
		}
		if v, err := strconv.ParseInt(strings.TrimLeft(string(elem), " \t\n\r\v\f"), 10, 32); err == nil {
			st.index, st.isIndex = v, true
		}
		steps = append(steps, st)
		if i == len(body) {
			return steps, nil
		}
		if body[i] != ',' {
			return nil, malformedPath(s)
		}
		i++
	}
}

func isArraySpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

func prepareJSONPath(consts []*types.Datum, ret types.Type, asText bool) (functions.Kernel, error) {
	if consts[1] == nil || anyNullConst(consts) {
		return strict(ret, jsonPathKernel(asText, nil)), nil
	}
	steps, err := parseTextArray(consts[1].S)
	if err != nil {
		return nil, err
	}
	return strict(ret, jsonPathKernel(asText, steps)), nil
}

// jsonPathKernel is #> / #>> with prepared steps, or with the path
// argument parsed per row (reparsed only when it changes).
func jsonPathKernel(asText bool, steps []jsonStep) functions.Kernel {
	ret := types.JSONBType
	if asText {
		ret = types.TextType
	}
	prepared := steps != nil
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		docs, paths := textArgOf(args[0]), textArgOf(args[1])
		mask := newNullMask(n, args)
		offsets := make([]int32, n+1)
		var data []byte
		var w jsonWalker
		var lastPath []byte
		cur := steps
		parsed := prepared
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			offsets[i+1] = int32(len(data))
			if !mask.valid(i) {
				continue
			}
			if !prepared {
				if p := paths.at(i); !parsed || string(p) != string(lastPath) {
					var err error
					if cur, err = parseTextArray(string(p)); err != nil {
						return functions.Value{}, err
					}
					lastPath, parsed = append(lastPath[:0], p...), true
				}
			}
			d := docs.at(i)
			s, e, ok, err := w.walk(d, cur)
			if err != nil {
				return functions.Value{}, err
			}
			if ok {
				if data, ok, err = appendJSONResult(data, d[s:e], asText); err != nil {
					return functions.Value{}, err
				}
			}
			if !ok {
				mask.setNull(i)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(ret, offsets, data, mask.bits), nil
	}
}

// jsonExtractPathKernel is jsonb_extract_path[_text](doc, VARIADIC
// path): the path elements are arguments, NULL ones giving NULL.
func jsonExtractPathKernel(ret types.Type, asText bool) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		if args[0].IsScalar() && args[0].Scalar.Null {
			return nullResult(ret), nil
		}
		if allScalar(args) && n != 1 {
			return scalarOnce(ret, jsonExtractPathKernel(ret, asText), nil, args)
		}
		docs := textArgOf(args[0])
		elems := make([]textWriter, len(args)-1)
		for k := range elems {
			elems[k] = newTextWriter(args[k+1], types.TextType)
		}
		mask := newNullMask(n, args[:1])
		steps := make([]jsonStep, len(elems))
		offsets := make([]int32, n+1)
		var data, keyBuf []byte
		var w jsonWalker
		ends := make([]int, len(elems))
		for i := 0; i < n; i++ {
			data = presize(data, i, n)
			offsets[i+1] = int32(len(data))
			if !mask.valid(i) {
				continue
			}
			keyBuf = keyBuf[:0]
			for k := range elems {
				steps[k] = jsonStep{null: elems[k].isNull(i)}
				if !steps[k].null {
					keyBuf = elems[k].appendRow(keyBuf, i)
				}
				ends[k] = len(keyBuf)
			}
			start := 0
			for k := range steps {
				steps[k].key = keyBuf[start:ends[k]]
				if v, err := strconv.ParseInt(string(steps[k].key), 10, 32); err == nil {
					steps[k].index, steps[k].isIndex = v, true
				}
				start = ends[k]
			}
			d := docs.at(i)
			s, e, ok, err := w.walk(d, steps)
			if err != nil {
				return functions.Value{}, err
			}
			if ok {
				if data, ok, err = appendJSONResult(data, d[s:e], asText); err != nil {
					return functions.Value{}, err
				}
			}
			if !ok {
				mask.setNull(i)
			}
			offsets[i+1] = int32(len(data))
		}
		return textResult(ret, offsets, data, mask.bits), nil
	}
}

func jsonTypeofKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	return mapTextErr(args, n, func(dst, d []byte) ([]byte, error) {
		i := skipWS(d, 0)
		k := kindAt(d, i)
		if k == jsonBad {
			return nil, errBadJSON()
		}
		return append(dst, jsonKindNames[k]...), nil
	})
}

func jsonArrayLengthKernel(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
	docs := textArgOf(args[0])
	validity := validityOf(n, args)
	out := make([]int32, n)
	for i := 0; i < n; i++ {
		if !valid(validity, i) {
			continue
		}
		d := docs.at(i)
		vs := skipWS(d, 0)
		switch kindAt(d, vs) {
		case jsonArray:
			c, err := arrayLen(d, vs)
			if err != nil {
				return functions.Value{}, err
			}
			out[i] = int32(c)
		case jsonObject:
			return functions.Value{}, sqlerr.New(sqlerr.InvalidParameterValue, "cannot get array length of a non-array")
		case jsonBad:
			return functions.Value{}, errBadJSON()
		default:
			return functions.Value{}, sqlerr.New(sqlerr.InvalidParameterValue, "cannot get array length of a scalar")
		}
	}
	return fixedResult(types.Int32Type, out, validity), nil
}

// mapTextErr is mapText for a function that can fail.
func mapTextErr(args []functions.Value, n int, f func(dst, s []byte) ([]byte, error)) (functions.Value, error) {
	in := textArgOf(args[0])
	validity := validityOf(n, args)
	offsets := make([]int32, n+1)
	var data []byte
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		if valid(validity, i) {
			var err error
			if data, err = f(data, in.at(i)); err != nil {
				return functions.Value{}, err
			}
		}
		offsets[i+1] = int32(len(data))
	}
	return textResult(types.TextType, offsets, data, validity), nil
}
