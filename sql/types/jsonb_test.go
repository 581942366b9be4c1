package types

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONB(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a": 2, "b": 1}`},
		{`{"bb":1,"a":2,"c":3}`, `{"a": 2, "c": 3, "bb": 1}`},
		{`{"a":1,"a":2}`, `{"a": 2}`},
		{` [ 1 , [ ] , { } , "x" ] `, `[1, [], {}, "x"]`},
		{`1.50`, `1.50`},
		{`1e2`, `100`},
		{`1.5E-2`, `0.015`},
		{`-0`, `0`},
		{`"\u00e9\/\t"`, `"é/\t"`},
		{`{"k":"\ud83d\ude00"}`, `{"k": "😀"}`},
		{`null`, `null`},
	} {
		got, err := AppendJSONB(nil, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a" 1}`, `01`, `1.`, `tru`, `"a` + "\n" + `"`, `"\u0000"`, `[1] x`, `{"a":1,}`} {
		if _, err := AppendJSONB(nil, []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzAppendJSONB: the canonical form is valid JSON, stable under a
// second canonicalisation, and produced only for valid input.
func FuzzAppendJSONB(f *testing.F) {
	for _, s := range []string{`{"b":[1,2e3,{"x":null}],"a":"\u00e9"}`, `[]`, `-0.0e-0`, `"\\"`, `{"a":{"a":{"a":1}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := AppendJSONB(nil, []byte(s))
		if err != nil {
			return
		}
		if !json.Valid([]byte(s)) || !json.Valid(out) {
			t.Fatalf("%q -> %q: invalid JSON accepted or produced", s, out)
		}
		again, err := AppendJSONB(nil, out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, out, again, err)
		}
	})
}
