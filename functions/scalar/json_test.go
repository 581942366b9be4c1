package scalar

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestJSONTable(t *testing.T) {
	doc := `{"a":1,"b":[1,2],"c":{"d":"x"}}`
	bad := sqlerr.InvalidTextRepresentation
	runTable(t, []tableCase{
		{name: "->", args: []types.Datum{jsonD(doc), textD("b")}, want: "[1,2]"},
		{name: "->", args: []types.Datum{jsonD(doc), textD("c")}, want: `{"d":"x"}`},
		{name: "->", args: []types.Datum{jsonD(doc), textD("x")}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`{"a":1,"a":2}`), textD("a")}, want: "2"},
		{name: "->", args: []types.Datum{jsonD(`{"\u0061":5}`), textD("a")}, want: "5"},
		{name: "->", args: []types.Datum{jsonD(` { "a" : [ 1 , 2 ] } `), textD("a")}, want: "[ 1 , 2 ]"},
		{name: "->", args: []types.Datum{jsonD(`[1,2,3]`), i32D(1)}, want: "2"},
		{name: "->", args: []types.Datum{jsonD(`[1,2,3]`), i32D(-1)}, want: "3"},
		{name: "->", args: []types.Datum{jsonD(`[1,2,3]`), i32D(3)}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`[1,2,3]`), i32D(-4)}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`{"0":1}`), i32D(0)}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`[1]`), textD("0")}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`"s"`), textD("a")}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`[]`), i64D(0)}, want: "NULL"},
		{name: "->", args: []types.Datum{jsonD(`{"a":`), textD("a")}, code: bad},
		{name: "->", args: []types.Datum{jsonD(`{"a" 1}`), textD("a")}, code: bad},
		{name: "->", args: []types.Datum{nullD(types.JSONBType), textD("a")}, want: "NULL"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":"x\"y\n"}`), textD("a")}, want: "x\"y\n"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":"\u00e9\ud83d\ude00\/"}`), textD("a")}, want: "é😀/"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":"\ud83d"}`), textD("a")}, want: "\uFFFD"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":null}`), textD("a")}, want: "NULL"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":1.5e2}`), textD("a")}, want: "150"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":1.50e1}`), textD("a")}, want: "15.0"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":1E-2}`), textD("a")}, want: "0.01"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":-0}`), textD("a")}, want: "0"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":-0.00}`), textD("a")}, want: "0.00"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":-12.50}`), textD("a")}, want: "-12.50"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":true}`), textD("a")}, want: "true"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":[1, 2]}`), textD("a")}, want: "[1, 2]"},
		{name: "->>", args: []types.Datum{jsonD(`{"a":"\u0000"}`), textD("a")}, code: sqlerr.UntranslatableCharacter},
		{name: "->>", args: []types.Datum{jsonD(`["x","y"]`), i32D(1)}, want: "y"},
		{name: "#>", args: []types.Datum{jsonD(`{"a":{"b":[10,20]}}`), textD("{a,b,1}")}, want: "20"},
		{name: "#>", args: []types.Datum{jsonD(`{"a":{"b":[10,20]}}`), textD(" { a , b , -1 } ")}, want: "20"},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("{}")}, want: `{"a":1}`},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("{a,b}")}, want: "NULL"},
		{name: "#>", args: []types.Datum{jsonD(`{"a b":1}`), textD(`{"a b"}`)}, want: "1"},
		{name: "#>", args: []types.Datum{jsonD(`{"a\"b":1}`), textD(`{"a\"b"}`)}, want: "1"},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("{a,NULL}")}, want: "NULL"},
		{name: "#>", args: []types.Datum{jsonD(`{"NULL":1}`), textD(`{"NULL"}`)}, want: "1"},
		{name: "#>", args: []types.Datum{jsonD(`{"1":"x"}`), textD("{1}")}, want: `"x"`},
		{name: "#>", args: []types.Datum{jsonD(`[1,[2,3]]`), textD("{1,-1}")}, want: "3"},
		{name: "#>", args: []types.Datum{jsonD(`[1,[2,3]]`), textD("{x}")}, want: "NULL"},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("a,b")}, code: bad},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("{a,,b}")}, code: bad},
		{name: "#>", args: []types.Datum{jsonD(`{"a":1}`), textD("{{a}}")}, code: bad},
		{name: "#>>", args: []types.Datum{jsonD(`{"a":{"b":"c"}}`), textD("{a,b}")}, want: "c"},
		{name: "#>>", args: []types.Datum{jsonD(`"x"`), textD("{}")}, want: "x"},
		{name: "#>>", args: []types.Datum{jsonD(`{"a":null}`), textD("{a}")}, want: "NULL"},
		{name: "jsonb_extract_path_text", args: []types.Datum{jsonD(`{"a":{"b":"c"}}`), textD("a"), textD("b")}, want: "c"},
		{name: "jsonb_extract_path", args: []types.Datum{jsonD(`{"a":[1,2]}`), textD("a"), textD("1")}, want: "2"},
		{name: "jsonb_extract_path", args: []types.Datum{jsonD(`{"a":[1,2]}`), textD("a"), nullD(types.TextType)}, want: "NULL"},
		{name: "json_extract_path_text", args: []types.Datum{jsonD(`{"a":"z"}`), textD("a")}, want: "z"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(` {}`)}, want: "object"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(`[1]`)}, want: "array"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(`"s"`)}, want: "string"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(`-1.5`)}, want: "number"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(`false`)}, want: "boolean"},
		{name: "jsonb_typeof", args: []types.Datum{jsonD(`null`)}, want: "null"},
		{name: "jsonb_array_length", args: []types.Datum{jsonD(`[1,[2,3],{"a":[4]}]`)}, want: "3"},
		{name: "jsonb_array_length", args: []types.Datum{jsonD(`[ ]`)}, want: "0"},
		{name: "jsonb_array_length", args: []types.Datum{jsonD(`{}`)}, code: sqlerr.InvalidParameterValue},
		{name: "jsonb_array_length", args: []types.Datum{jsonD(`1`)}, code: sqlerr.InvalidParameterValue},
		{name: "to_jsonb", args: []types.Datum{textD("a\"b\n\x01é")}, want: `"a\"b\n\u0001é"`},
		{name: "to_jsonb", args: []types.Datum{i32D(5)}, want: "5"},
		{name: "to_jsonb", args: []types.Datum{f64D(1.5)}, want: "1.5"},
		{name: "to_jsonb", args: []types.Datum{f64D(math.NaN())}, want: `"NaN"`},
		{name: "to_jsonb", args: []types.Datum{boolD(true)}, want: "true"},
		{name: "to_jsonb", args: []types.Datum{tsD(t, "2024-01-02 03:04:05.5")}, want: `"2024-01-02T03:04:05.5"`},
		{name: "to_jsonb", args: []types.Datum{tstzD(t, "2024-01-02 03:04:05")}, want: `"2024-01-02T03:04:05+00:00"`},
		{name: "to_jsonb", args: []types.Datum{dateD(t, "2024-01-02")}, want: `"2024-01-02"`},
		{name: "to_json", args: []types.Datum{jsonD(`{"a":1}`)}, want: `{"a":1}`},
	})
}

// numberTexts maps the numbers the generators use to the text ->>
// gives for them (jsonb's numeric output).
var numberTexts = map[string]string{
	"1": "1", "-2.50": "-2.50", "1e2": "100", "1.5E+1": "15", "-0": "0", "2.5e-1": "0.25",
	"0": "0", "123456789012345678901234567890": "123456789012345678901234567890", "7.0": "7.0",
}

var jsonKeys = []string{"a", "b", "c", "a b", "é", `\u0061`, `x\"y`}

// genJSON returns a random JSON document with random spacing.
func genJSON(rng *rand.Rand, depth int) string {
	ws := func() string { return []string{"", "", " ", "\n\t "}[rng.Intn(4)] }
	k := rng.Intn(10)
	if depth <= 0 && k < 4 {
		k += 4
	}
	switch {
	case k < 2:
		var parts []string
		for i := rng.Intn(4); i > 0; i-- {
			parts = append(parts, ws()+`"`+jsonKeys[rng.Intn(len(jsonKeys))]+`"`+ws()+":"+ws()+genJSON(rng, depth-1)+ws())
		}
		return "{" + strings.Join(parts, ",") + ws() + "}"
	case k < 4:
		var parts []string
		for i := rng.Intn(4); i > 0; i-- {
			parts = append(parts, ws()+genJSON(rng, depth-1)+ws())
		}
		return "[" + strings.Join(parts, ",") + ws() + "]"
	case k < 6:
		keys := make([]string, 0, len(numberTexts))
		for n := range numberTexts {
			keys = append(keys, n)
		}
		// Map order is random; sort for determinism.
		sortStrings(keys)
		return keys[rng.Intn(len(keys))]
	case k < 8:
		return genPick(`"s"`, `""`, `"a\"b"`, `"\u00e9\n"`, `"é"`, `"[1]"`, `"\\"`)(rng)
	}
	return genPick("true", "false", "null")(rng)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// canonJSON re-encodes JSON text canonically (sorted keys, no spaces).
func canonJSON(s string) string {
	v, err := decodeJSON(s)
	if err != nil {
		return "invalid:" + s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// refStep applies one path element to a decoded value.
func refStep(v any, key string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		e, ok := x[key]
		return e, ok
	case []any:
		i, err := strconv.ParseInt(strings.TrimLeft(key, " \t\n\r\v\f"), 10, 32)
		if err != nil {
			return nil, false
		}
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return nil, false
		}
		return x[i], true
	}
	return nil, false
}

// refResult renders a selected value for -> (asText false) or ->>.
func refResult(v any, asText bool) types.Datum {
	if !asText {
		b, _ := json.Marshal(v)
		return jsonD(string(b))
	}
	switch x := v.(type) {
	case nil:
		return nullD(types.TextType)
	case string:
		return textD(x)
	case json.Number:
		if s, ok := numberTexts[x.String()]; ok {
			return textD(s)
		}
		return textD(x.String())
	case bool:
		return textD(strconv.FormatBool(x))
	}
	b, _ := json.Marshal(v)
	return textD(string(b))
}

// refPath splits the generators' simple text-array literals.
func refPath(lit string) ([]string, []bool) {
	body := strings.TrimSpace(lit)
	body = body[1 : len(body)-1]
	if strings.TrimSpace(body) == "" {
		return nil, nil
	}
	var keys []string
	var nulls []bool
	for _, p := range strings.Split(body, ",") {
		p = strings.TrimSpace(p)
		null := p == "NULL"
		if strings.HasPrefix(p, `"`) {
			p = p[1 : len(p)-1]
		}
		keys = append(keys, p)
		nulls = append(nulls, null)
	}
	return keys, nulls
}

func genPathLit(rng *rand.Rand) types.Datum {
	elems := []string{"a", "b", `"a b"`, "0", "1", "-1", "5", "é", "NULL", "c"}
	var parts []string
	for k := rng.Intn(4); k > 0; k-- {
		parts = append(parts, elems[rng.Intn(len(elems))])
	}
	return textD("{" + strings.Join(parts, ",") + "}")
}

func TestJSONAgainstReference(t *testing.T) {
	r := testRegistry()
	docs := func(rng *rand.Rand) types.Datum { return jsonD(genJSON(rng, 3)) }
	keys := func(rng *rand.Rand) types.Datum {
		k := genPick("a", "b", "c", "a b", "é", `x"y`, "z", "0")(rng)
		return textD(k)
	}
	canon := func(d types.Datum) types.Datum {
		if d.Null {
			return d
		}
		if d.Type.Kind == types.JSONB || strings.HasPrefix(d.S, "{") || strings.HasPrefix(d.S, "[") {
			d.S = canonJSON(d.S)
		}
		return d
	}
	for _, asText := range []bool{false, true} {
		op, pathOp := "->", "#>"
		if asText {
			op, pathOp = "->>", "#>>"
		}
		asText := asText
		get := func(a []types.Datum, key string) (types.Datum, error) {
			v, err := decodeJSON(a[0].S)
			if err != nil {
				return types.Datum{}, err
			}
			if _, isArr := v.([]any); isArr && a[1].Type.Kind == types.Text {
				return types.NullDatum(types.TextType), nil
			}
			if _, isObj := v.(map[string]any); isObj && a[1].Type.Kind != types.Text {
				return types.NullDatum(types.TextType), nil
			}
			e, ok := refStep(v, key)
			if !ok {
				return types.NullDatum(types.TextType), nil
			}
			return refResult(e, asText), nil
		}
		checkRefCanon(t, r, refCase{name: op, args: []types.Type{types.JSONBType, types.TextType},
			gens: []func(*rand.Rand) types.Datum{docs, keys},
			ref:  func(a []types.Datum) (types.Datum, error) { return get(a, a[1].S) }}, canon)
		checkRefCanon(t, r, refCase{name: op, args: []types.Type{types.JSONBType, types.Int32Type},
			gens: []func(*rand.Rand) types.Datum{docs, genInt(types.Int32Type, -4, 4)},
			ref:  func(a []types.Datum) (types.Datum, error) { return get(a, strconv.FormatInt(a[1].I, 10)) }}, canon)
		checkRefCanon(t, r, refCase{name: pathOp, args: []types.Type{types.JSONBType, types.TextType},
			gens: []func(*rand.Rand) types.Datum{docs, genPathLit},
			ref: func(a []types.Datum) (types.Datum, error) {
				v, err := decodeJSON(a[0].S)
				if err != nil {
					return types.Datum{}, err
				}
				keys, nulls := refPath(a[1].S)
				for k, key := range keys {
					var ok bool
					if v, ok = refStep(v, key); !ok || nulls[k] {
						return types.NullDatum(types.TextType), nil
					}
				}
				return refResult(v, asText), nil
			}}, canon)
	}
}

// checkRefCanon is checkRef with both sides passed through canon before
// comparing (jsonb text has no single spelling).
func checkRefCanon(t *testing.T, r *functions.Registry, rc refCase, canon func(types.Datum) types.Datum) {
	t.Helper()
	ref := rc.ref
	rc.ref = func(a []types.Datum) (types.Datum, error) {
		d, err := ref(a)
		if err != nil {
			return d, err
		}
		return canon(d), nil
	}
	rc.canon = canon
	checkRef(t, r, rc)
}

// FuzzJSONPath walks random documents with random text-array paths and
// compares -> / #> with encoding/json; nothing may panic.
func FuzzJSONPath(f *testing.F) {
	f.Add(`{"a":{"b":[10,20]}}`, "{a,b,1}")
	f.Add(`[1,[2,3]]`, "{1,-1}")
	f.Add(`{"a b":1,"a b":2}`, `{"a b"}`)
	f.Add(`{"\u0061":"x"}`, "{a}")
	f.Add(`{"a":`, "{a}")
	f.Add(`"x"`, "{}")
	f.Add(`{"a":[1,2,{"c":null}]}`, "{a,2,c}")
	f.Add(` [ ] `, "{0}")
	f.Add(`{"a":"\ud800"}`, `{"a"}`)
	f.Fuzz(func(t *testing.T, doc, path string) {
		steps, perr := parseTextArray(path)
		var w jsonWalker
		d := []byte(doc)
		var s, e int
		var ok bool
		var werr error
		if perr == nil {
			s, e, ok, werr = w.walk(d, steps)
		}
		// ->> on whatever was found must not panic either.
		if perr == nil && werr == nil && ok {
			_, _, _ = appendJSONResult(nil, d[s:e], true)
		}
		if perr != nil || !utf8.ValidString(doc) || !json.Valid(d) || bytes.Contains(d, []byte(`\u0000`)) {
			return
		}
		if werr != nil {
			t.Fatalf("walk(%q, %q) failed on valid JSON: %v", doc, path, werr)
		}
		v, err := decodeJSON(doc)
		if err != nil {
			return
		}
		found := true
		for _, st := range steps {
			if st.null {
				found = false
				break
			}
			if v, found = refStep(v, string(st.key)); !found {
				break
			}
		}
		if found != ok {
			t.Fatalf("walk(%q, %q) found=%v, reference %v", doc, path, ok, found)
		}
		if ok {
			if got, want := canonJSON(string(d[s:e])), canonJSON(string(refResult(v, false).S)); got != want {
				t.Fatalf("walk(%q, %q) = %s, want %s", doc, path, got, want)
			}
		}
	})
}

func TestQuoteOrBackslash(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	alphabet := []byte{'a', '"', '\\', 0x80, 0xa2, 0xdc, 0x21, 0x23, 0x5b, 0x5d, 0}
	for k := 0; k < 20000; k++ {
		d := make([]byte, rng.Intn(40))
		for i := range d {
			if rng.Intn(6) == 0 {
				d[i] = alphabet[rng.Intn(len(alphabet))]
			} else {
				d[i] = byte(rng.Intn(256))
			}
		}
		from := 0
		if len(d) > 0 {
			from = rng.Intn(len(d) + 1)
		}
		want := -1
		for i := from; i < len(d); i++ {
			if d[i] == '"' || d[i] == '\\' {
				want = i
				break
			}
		}
		if got := quoteOrBackslash(d, from); got != want {
			t.Fatalf("quoteOrBackslash(%q, %d) = %d, want %d", d, from, got, want)
		}
	}
}
