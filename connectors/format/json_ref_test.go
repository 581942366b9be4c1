package format

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the reference the decoder is checked against: validity
// from encoding/json.Valid and utf8.Valid, key resolution and values from
// encoding/json's token stream, and conversions written independently of
// the decoder (strconv, math/big, regexp, sql/types).

// refSchema exercises every conversion, both key-matching paths (ASCII
// and Unicode folding) and a column that matches only case-insensitively.
var refSchema = types.Schema{
	col("s", types.TextType),
	col("i", types.Int64Type),
	col("n", types.Int32Type),
	col("f", types.Float64Type),
	col("b", types.BoolType),
	col("ts", types.TimestampTZType),
	col("j", types.JSONBType),
	col("d", types.DateType),
	col("Key", types.TextType),
	col("ÉTÉ", types.TextType),
}

const refMaxDepth = 16

// refOutcome is what the reference expects for one record: a reject class
// or a row. unknown means a value was too extreme for the reference, and
// only the absence of panics is checked.
type refOutcome struct {
	cls     connectors.ErrorClass
	row     []any
	unknown bool
}

func refDecode(in []byte, schema types.Schema, maxDepth int) refOutcome {
	if !json.Valid(in) || !utf8.Valid(in) {
		return refOutcome{cls: connectors.RejectMalformed}
	}
	trimmed := bytes.TrimLeft(in, " \t\r\n")
	if trimmed[0] != '{' || refDepth(in) > maxDepth {
		return refOutcome{cls: connectors.RejectMalformed}
	}
	raws := refPick(in, schema)
	out := refOutcome{row: make([]any, len(schema))}
	for i, c := range schema {
		v, cls, unknown := refConvert(c.Type, raws[i])
		if unknown {
			return refOutcome{unknown: true}
		}
		if cls == 0 && v == nil && !c.Nullable {
			cls = connectors.RejectMissing
		}
		if cls != 0 {
			return refOutcome{cls: cls}
		}
		out.row[i] = v
	}
	return out
}

// refDepth returns the maximum container nesting of a valid document.
func refDepth(b []byte) int {
	depth, maxDepth, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return maxDepth
}

// refPick resolves top-level keys to columns with encoding/json's token
// stream: a key names the first column with exactly its name, else the
// first whose name matches case-insensitively; an exact key outranks a
// case-insensitive one, and among equal ranks the last wins.
func refPick(in []byte, schema types.Schema) []json.RawMessage {
	raws := make([]json.RawMessage, len(schema))
	ranks := make([]int, len(schema))
	dec := json.NewDecoder(bytes.NewReader(in))
	if _, err := dec.Token(); err != nil {
		panic(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err)
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			panic(err)
		}
		col, rank := -1, 0
		for i, c := range schema {
			if c.Name == key {
				col, rank = i, 2
				break
			}
		}
		if col < 0 {
			for i, c := range schema {
				if strings.EqualFold(c.Name, key) {
					col, rank = i, 1
					break
				}
			}
		}
		if col >= 0 && rank >= ranks[col] {
			raws[col], ranks[col] = raw, rank
		}
	}
	return raws
}

var (
	refIntRe     = regexp.MustCompile(`^-?[0-9]+$`)
	refDecimalRe = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	refExpRe     = regexp.MustCompile(`[eE]([+-]?[0-9]+)$`)
)

// refBoolWords lists what Postgres's boolin accepts (lower-cased).
var refBoolWords = map[string]bool{
	"t": true, "tr": true, "tru": true, "true": true, "y": true, "ye": true, "yes": true, "on": true, "1": true,
	"f": false, "fa": false, "fal": false, "fals": false, "false": false, "n": false, "no": false, "of": false, "off": false, "0": false,
}

func refSpace(s string) string { return strings.Trim(s, " \t\n\r\v\f") }

// refConvert converts one raw value; unknown means the value is too
// extreme for the reference to compute.
func refConvert(t types.Type, raw json.RawMessage) (v any, cls connectors.ErrorClass, unknown bool) {
	const bad = connectors.RejectConversion
	if raw == nil || string(raw) == "null" {
		return nil, 0, false
	}
	var str string
	isStr := raw[0] == '"'
	if isStr {
		if err := json.Unmarshal(raw, &str); err != nil {
			panic(err)
		}
	}
	isNum := raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')
	isBool := string(raw) == "true" || string(raw) == "false"
	switch t.Kind {
	case types.Bool:
		switch {
		case isBool:
			return string(raw) == "true", 0, false
		case isStr:
			if b, ok := refBoolWords[strings.ToLower(refSpace(str))]; ok && isASCII(refSpace(str)) {
				return b, 0, false
			}
		}
		return nil, bad, false
	case types.Int64, types.Int32:
		var txt string
		switch {
		case isNum:
			if !refIntRe.Match(raw) {
				return nil, bad, false
			}
			txt = string(raw)
		case isStr:
			txt = refSpace(str)
			if strings.ContainsAny(txt, "_xXoObB") {
				return nil, bad, false
			}
		default:
			return nil, bad, false
		}
		n, err := strconv.ParseInt(txt, 10, 64)
		if err != nil || (t.Kind == types.Int32 && (n < math.MinInt32 || n > math.MaxInt32)) {
			return nil, bad, false
		}
		return n, 0, false
	case types.Float64:
		var txt string
		switch {
		case isNum:
			txt = string(raw)
		case isStr && refDecimalRe.MatchString(refSpace(str)):
			txt = refSpace(str)
		default:
			return nil, bad, false
		}
		f, _ := strconv.ParseFloat(txt, 64)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, bad, false
		}
		return f, 0, false
	case types.Text:
		switch {
		case isStr:
			if strings.Contains(str, "\x00") {
				return nil, bad, false
			}
			return str, 0, false
		case isNum || isBool:
			return string(raw), 0, false
		}
		return nil, bad, false
	case types.JSONB:
		return string(raw), 0, false
	case types.TimestampTZ:
		switch {
		case isNum:
			return refEpochMillis(string(raw))
		case isStr:
			us, err := types.ParseTimestamp(str)
			if err != nil {
				return nil, bad, false
			}
			return us, 0, false
		}
		return nil, bad, false
	case types.Date:
		if !isStr {
			return nil, bad, false
		}
		d, err := types.ParseDate(str)
		if err != nil {
			return nil, bad, false
		}
		return int64(d), 0, false
	}
	panic("BUG: reference does not handle " + t.String())
}

// refEpochMillis converts a JSON number of milliseconds to microseconds
// with math/big, rounding half away from zero.
func refEpochMillis(num string) (any, connectors.ErrorClass, bool) {
	if m := refExpRe.FindStringSubmatch(num); m != nil {
		// Keep math/big away from 10^huge: decide such values by hand.
		e, err := strconv.Atoi(m[1])
		if err != nil || e > 10000 || e < -10000 {
			mant := strings.TrimLeft(num[:len(num)-len(m[0])], "-")
			digits := strings.Trim(strings.Replace(mant, ".", "", 1), "0")
			switch {
			case digits == "":
				return int64(0), 0, false
			case strings.HasPrefix(m[1], "-") && len(mant) < 1000:
				return int64(0), 0, false
			case !strings.HasPrefix(m[1], "-"):
				return nil, connectors.RejectConversion, false
			}
			return nil, 0, true
		}
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		panic("BUG: big.Rat rejects " + num)
	}
	r.Mul(r, big.NewRat(1000, 1))
	neg := r.Sign() < 0
	r.Abs(r)
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return nil, connectors.RejectConversion, false
	}
	v := q.Int64()
	if neg {
		v = -v
	}
	return v, 0, false
}

// checkAgainstReference decodes in with a fresh decoder and compares the
// outcome with the reference.
func checkAgainstReference(t *testing.T, in []byte) {
	t.Helper()
	want := refDecode(in, refSchema, refMaxDepth)
	if want.unknown {
		return
	}
	d := newTestDecoder(t, refSchema, JSONOptions{MaxDepth: refMaxDepth})
	// A cold decoder, then the same one primed by a valid document with
	// the usual keys (its key hints set), then primed by in itself: the
	// hints must never change an answer.
	checkDecoder(t, d, in, want)
	if err := d.Append(refPrimer); err != nil {
		t.Fatalf("primer: %v", err)
	}
	d.Flush().Release()
	checkDecoder(t, d, in, want)
	checkDecoder(t, d, in, want)
	// Primed by a compact document, whose key hints hold the colon.
	if err := d.Append(refPrimerCompact); err != nil {
		t.Fatalf("compact primer: %v", err)
	}
	d.Flush().Release()
	checkDecoder(t, d, in, want)
}

// refPrimerCompact is refPrimer without white space.
var refPrimerCompact = []byte(`{"s":"h\u00e9llo","i":-12,"f":2.5e-3,"b":true,"ts":"2024-01-02T03:04:05.5Z","j":{"k":[1,null,"x"]},"d":"2024-01-31","KEY":"v"}`)

// refPrimer is a valid document over refSchema's keys.
var refPrimer = []byte(`{"s": "h\u00e9llo", "i": -12, "f": 2.5e-3, "b": true, "ts": "2024-01-02T03:04:05.5Z", "j": {"k": [1, null, "x"]}, "d": "2024-01-31", "KEY": "v"}`)

func checkDecoder(t *testing.T, d *JSONDecoder, in []byte, want refOutcome) {
	t.Helper()
	err := d.Append(in)
	got := classOf(err)
	if err != nil && got == 0 {
		t.Fatalf("%q: error of unexpected type %T: %v", in, err, err)
	}
	if got != want.cls {
		t.Fatalf("%q: got class %v (%v), reference says %v", in, got, err, want.cls)
	}
	if err != nil {
		if d.Len() != 0 {
			t.Fatalf("%q: failed Append left a row", in)
		}
		return
	}
	rec := d.Flush()
	defer rec.Release()
	row := rowValues(rec, 0)
	for i := range row {
		if row[i] != want.row[i] && !(refSchema[i].Type.Kind == types.JSONB && sameJSON(row[i], want.row[i])) {
			t.Fatalf("%q: column %s = %#v, reference says %#v", in, refSchema[i].Name, row[i], want.row[i])
		}
	}
}

// refCorpus mixes valid and invalid records; it seeds the fuzzer too.
var refCorpus = []string{
	`{}`, ` {} `, `{"s": "x"}`, `{"s": 1.50, "Key": true, "ÉTÉ": false}`,
	`{"KEY": "a", "key": "b"}`, `{"Key": "a", "KEY": "b"}`, `{"été": "x", "Été": "y"}`,
	`{"s": "\ud800", "i": "12", "n": -5}`, `{"s": "\ud83d\ude00\u00e9\n"}`, `{"s": "\u0000"}`,
	`{"i": 9223372036854775807, "n": 2147483648}`, `{"i": 1.0}`, `{"i": "+3 "}`,
	`{"f": 1e308, "b": "yes"}`, `{"f": 1e309}`, `{"f": "NaN"}`, `{"f": " .5e-3 "}`, `{"f": -0}`,
	`{"ts": 1700000000123.4565}`, `{"ts": -1.5e-3}`, `{"ts": 9.223372036854775807e15}`, `{"ts": 1e99999}`,
	`{"ts": "2024-01-02T03:04:05.999999999Z"}`, `{"ts": "2024-01-02 03:04:05+05:30"}`, `{"ts": "0000-01-01T00:00:00Z"}`,
	`{"ts": "2024-02-29T00:00:00-23:59"}`, `{"ts": "2023-02-29T00:00:00Z"}`, `{"ts": " 2024-01-02 "}`,
	`{"d": "2024-12-31", "j": {"a": [1, {"b": null}]}}`, `{"d": "0001-01-01"}`, `{"d": "99999-01-01"}`,
	`{"j": [1, 2, [3, [4, [5]]]]}`, `{"j": "str"}`, `{"j": null, "s": null}`,
	`{"x": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}`, `{"x": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}`,
	`[]`, `"s"`, `1`, `null`, ``, `{`, `{"s"`, `{"s":}`, `{"s": 1,}`, `{"s": 01}`, `{"s": NaN}`,
	"{\"s\": \"\xff\"}", "{\"s\": \"\xed\xa0\x80\"}", "{\"s\": \"a\tb\"}", `{"s": "\q"}`, `{"s": "\u12"}`,
	`{"i":-0,"f":-0,"ts":-5}`, `{"f":9007199254740993,"i":123456789012345678}`, `{"i":1234567890123456789}`,
	`{"ts":999999999999999,"f":-9007199254740992}`, `{"ts":1000000000000000}`, `{"s":"a\"b","i":7}`,
	`{"b": tru}`, `{"b": true false}`, `{} x`, `{"a":1}{"b":2}`, "{\"s\":\"x\"}\n",
}

func TestJSONDifferential(t *testing.T) {
	for _, in := range refCorpus {
		checkAgainstReference(t, []byte(in))
	}
	// Every prefix of every corpus entry, and every single-byte
	// corruption of a larger valid document.
	for _, in := range refCorpus {
		for n := 0; n < len(in); n++ {
			checkAgainstReference(t, []byte(in[:n]))
		}
	}
	doc := refPrimer
	for pos := range doc {
		for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', 'e', '-', 'x', 0x00, 0x1f, 0x80, 0xff} {
			mutated := bytes.Clone(doc)
			mutated[pos] = c
			checkAgainstReference(t, mutated)
		}
	}
}

func FuzzJSONDecoder(f *testing.F) {
	for _, in := range refCorpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkAgainstReference(t, in)
	})
}

// sameJSON reports whether a and b (strings) are the same JSON value:
// jsonb prints Postgres's canonical text ("[]" for "[ ]", sorted keys,
// the last duplicate), the reference keeps the raw text. Numbers compare
// by value.
func sameJSON(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if !aok || !bok {
		return false
	}
	parse := func(s string) (any, bool) {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	av, ok1 := parse(as)
	bv, ok2 := parse(bs)
	return ok1 && ok2 && jsonEqual(av, bv)
}

func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := new(big.Rat).SetString(string(a))
		y, ok2 := new(big.Rat).SetString(string(b))
		return ok1 && ok2 && x.Cmp(y) == 0
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}
