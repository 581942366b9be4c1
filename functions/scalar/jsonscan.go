package scalar

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// A small lazy JSON scanner for the jsonb operators. jsonb values are
// stored as their JSON text, so an operator walks the text and returns
// offsets of the value it wants, without building a tree: skipping a
// value it does not need is a byte loop (strings jump with IndexByte).
// The scanner checks the structure it walks (keys, colons, commas) and
// reports malformed text as 22P02, but skips nested values leniently,
// matching only brackets. Nothing here allocates except unescaping.

// jsonKind is the type of a JSON value, as jsonb_typeof names it.
type jsonKind uint8

const (
	jsonBad jsonKind = iota
	jsonObject
	jsonArray
	jsonString
	jsonNumber
	jsonBool
	jsonNull
)

var jsonKindNames = [...]string{
	jsonBad: "invalid", jsonObject: "object", jsonArray: "array", jsonString: "string",
	jsonNumber: "number", jsonBool: "boolean", jsonNull: "null",
}

// jsonInputErr turns a types.JSONError into the client error Postgres
// reports.
func jsonInputErr(err error) error {
	je, ok := err.(*types.JSONError)
	if !ok {
		return err
	}
	code := sqlerr.InvalidTextRepresentation
	switch je.Code {
	case "22P05":
		code = sqlerr.UntranslatableCharacter
	case "54000":
		code = sqlerr.ProgramLimitExceeded
	}
	e := sqlerr.New(code, "%s", je.Msg)
	if je.Detail != "" {
		e = e.WithDetail("%s", je.Detail)
	}
	return e
}

// unescapeJSON is types.UnescapeJSON with client errors.
func unescapeJSON(dst, s []byte) ([]byte, error) {
	out, err := types.UnescapeJSON(dst, s)
	return out, jsonInputErr(err)
}

func errBadJSON() error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type json")
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(d []byte, i int) int {
	for i < len(d) && isJSONSpace(d[i]) {
		i++
	}
	return i
}

// kindAt classifies the value starting at d[i] (no leading space).
func kindAt(d []byte, i int) jsonKind {
	if i >= len(d) {
		return jsonBad
	}
	switch c := d[i]; {
	case c == '{':
		return jsonObject
	case c == '[':
		return jsonArray
	case c == '"':
		return jsonString
	case c == '-' || c >= '0' && c <= '9':
		return jsonNumber
	case c == 't' || c == 'f':
		return jsonBool
	case c == 'n':
		return jsonNull
	}
	return jsonBad
}

// Word-at-a-time constants for skipString.
const (
	swarOnes      = 0x0101010101010101
	swarHigh      = 0x8080808080808080
	swarQuote     = swarOnes * '"'
	swarBackslash = swarOnes * '\\'
)

// skipString returns the offset just past the string starting at d[i]
// (a '"') and whether it holds escapes.
func skipString(d []byte, i int) (int, bool, error) {
	esc := false
	for j := i + 1; ; j += 2 {
		if j = quoteOrBackslash(d, j); j < 0 {
			return 0, false, errBadJSON()
		}
		if d[j] == '"' {
			return j + 1, esc, nil
		}
		esc = true // skip the backslash and the character it escapes
	}
}

// quoteOrBackslash returns the index of the first '"' or '\\' in d at or
// after j, or -1. It tests eight bytes at a time (the has-zero-byte
// trick; its lowest flagged byte is always a true match), which keeps
// the common short strings to one or two word tests and avoids
// IndexByte's call overhead.
func quoteOrBackslash(d []byte, j int) int {
	for ; j+8 <= len(d); j += 8 {
		x := binary.LittleEndian.Uint64(d[j:])
		q, b := x^swarQuote, x^swarBackslash
		if m := ((q-swarOnes)&^q | (b-swarOnes)&^b) & swarHigh; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for ; j < len(d); j++ {
		if c := d[j]; c == '"' || c == '\\' {
			return j
		}
	}
	return -1
}

// skipValue returns the offset just past the value starting at d[i].
func skipValue(d []byte, i int) (int, error) {
	if i >= len(d) {
		return 0, errBadJSON()
	}
	switch c := d[i]; c {
	case '"':
		end, _, err := skipString(d, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(d); {
			switch d[j] {
			case '"':
				end, _, err := skipString(d, j)
				if err != nil {
					return 0, err
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, errBadJSON()
	case 't':
		return skipWord(d, i, "true")
	case 'f':
		return skipWord(d, i, "false")
	case 'n':
		return skipWord(d, i, "null")
	}
	j := i
	if d[j] == '-' {
		j++
	}
	start := j
	for j < len(d) {
		c := d[j]
		if c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			j++
			continue
		}
		break
	}
	if j == start {
		return 0, errBadJSON()
	}
	return j, nil
}

func skipWord(d []byte, i int, w string) (int, error) {
	if len(d)-i < len(w) || string(d[i:i+len(w)]) != w {
		return 0, errBadJSON()
	}
	return i + len(w), nil
}

// objectField finds key in the object starting at d[i] and returns the
// bounds of its value. Like jsonb, a repeated key yields its last value.
func objectField(d []byte, i int, key []byte, scratch *[]byte) (int, int, bool, error) {
	vs, ve, found := 0, 0, false
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return 0, 0, false, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return 0, 0, false, errBadJSON()
		}
		kend, esc, err := skipString(d, i)
		if err != nil {
			return 0, 0, false, err
		}
		match := false
		if !esc {
			match = bytes.Equal(d[i+1:kend-1], key)
		} else {
			if *scratch, err = unescapeJSON((*scratch)[:0], d[i+1:kend-1]); err != nil {
				return 0, 0, false, err
			}
			match = bytes.Equal(*scratch, key)
		}
		i = skipWS(d, kend)
		if i >= len(d) || d[i] != ':' {
			return 0, 0, false, errBadJSON()
		}
		i = skipWS(d, i+1)
		end, err := skipValue(d, i)
		if err != nil {
			return 0, 0, false, err
		}
		if match {
			vs, ve, found = i, end, true
		}
		i = skipWS(d, end)
		if i >= len(d) {
			return 0, 0, false, errBadJSON()
		}
		if d[i] == '}' {
			return vs, ve, found, nil
		}
		if d[i] != ',' {
			return 0, 0, false, errBadJSON()
		}
		i = skipWS(d, i+1)
	}
}

// arrayElems calls f with the bounds of each element of the array
// starting at d[i] until f returns false.
func arrayElems(d []byte, i int, f func(k, s, e int) bool) error {
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		return nil
	}
	for k := 0; ; k++ {
		end, err := skipValue(d, i)
		if err != nil {
			return err
		}
		if !f(k, i, end) {
			return nil
		}
		i = skipWS(d, end)
		if i >= len(d) {
			return errBadJSON()
		}
		if d[i] == ']' {
			return nil
		}
		if d[i] != ',' {
			return errBadJSON()
		}
		i = skipWS(d, i+1)
	}
}

// arrayLen counts the elements of the array starting at d[i].
func arrayLen(d []byte, i int) (int, error) {
	n := 0
	err := arrayElems(d, i, func(int, int, int) bool { n++; return true })
	return n, err
}

// arrayElem returns the bounds of element idx of the array starting at
// d[i]; a negative idx counts from the end, as jsonb's -> does. found is
// false when the index is out of range.
func arrayElem(d []byte, i int, idx int64) (int, int, bool, error) {
	if idx < 0 {
		n, err := arrayLen(d, i)
		if err != nil {
			return 0, 0, false, err
		}
		idx += int64(n)
		if idx < 0 {
			return 0, 0, false, nil
		}
	}
	vs, ve, found := 0, 0, false
	err := arrayElems(d, i, func(k, s, e int) bool {
		if int64(k) == idx {
			vs, ve, found = s, e, true
			return false
		}
		return true
	})
	if err != nil {
		return 0, 0, false, err
	}
	return vs, ve, found, nil
}
