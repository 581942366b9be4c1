package scalar

import (
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file reads the two text forms in which Tocsin carries array
// values (see pgarray.go):
//
//   - an array literal, '{a,"b c",NULL}', optionally with explicit
//     bounds ('[0:1]={5,6}'); its first subscript is 1 unless the bounds
//     say otherwise;
//   - the output form of PostgreSQL's int2vector and oidvector catalog
//     columns (pg_index.indkey, pg_constraint.conkey, pg_proc.proargtypes,
//     ...): integers separated by spaces ('1 3'), whose first subscript
//     is 0, as in PostgreSQL.
//
// Keeping the text means a client receives exactly the text PostgreSQL
// sends for these columns; the array functions (unnest,
// generate_subscripts, array_lower, array_upper, subscripts, ...) read
// either form through ParseArrayText.

// TextArray is a parsed one-dimensional array value.
type TextArray struct {
	// Elems are the elements' text forms; Null[i] marks a NULL element.
	Elems []string
	Null  []bool
	// Lower is the first subscript: 1 for a plain literal, 0 for an
	// int2vector or oidvector.
	Lower int
}

// Upper returns the last subscript (Lower-1 for an empty array).
func (a TextArray) Upper() int { return a.Lower + len(a.Elems) - 1 }

// ParseArrayText parses an array value in either text form.
func ParseArrayText(s string) (TextArray, error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		// An empty int2vector or oidvector.
		return TextArray{}, nil
	case t[0] == '{':
		elems, null, err := parseArrayLiteral(s, t)
		return TextArray{Elems: elems, Null: null, Lower: 1}, err
	case t[0] == '[':
		dims, body, ok := strings.Cut(t, "=")
		lo, hi, ok2 := strings.Cut(strings.Trim(dims, "[]"), ":")
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if !ok || !ok2 || err1 != nil || err2 != nil || !strings.HasPrefix(dims, "[") || !strings.HasSuffix(dims, "]") {
			return TextArray{}, malformedArray(s)
		}
		elems, null, err := parseArrayLiteral(s, strings.TrimSpace(body))
		if err != nil {
			return TextArray{}, err
		}
		if h-l+1 != len(elems) {
			return TextArray{}, sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s).
				WithDetail("Specified array dimensions do not match array contents.")
		}
		return TextArray{Elems: elems, Null: null, Lower: l}, nil
	}
	fields := strings.Fields(t)
	for _, f := range fields {
		if _, err := strconv.ParseInt(f, 10, 64); err != nil {
			return TextArray{}, malformedArray(s)
		}
	}
	return TextArray{Elems: fields, Null: make([]bool, len(fields)), Lower: 0}, nil
}

func malformedArray(s string) error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
}

// parseArrayLiteral parses t, the trimmed '{...}' form of s.
func parseArrayLiteral(s, t string) (elems []string, null []bool, err error) {
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, nil, malformedArray(s)
	}
	body := t[1 : len(t)-1]
	if strings.TrimSpace(body) == "" {
		return nil, nil, nil
	}
	var cur strings.Builder
	quoted, inQuote, escaped := false, false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		elems = append(elems, v)
		null = append(null, !quoted && strings.EqualFold(v, "NULL"))
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
			quoted = true
		case c == ',' && !inQuote:
			flush()
		case c == '{' && !inQuote:
			return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported: %q", s)
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote || escaped {
		return nil, nil, malformedArray(s)
	}
	flush()
	return elems, null, nil
}

// FormatRecord renders the fields of a composite value in PostgreSQL's
// record output form: "(1,abc)", a NULL field empty, a field quoted when
// it is empty or holds a quote, backslash, parenthesis, comma or space.
func FormatRecord(fields []types.Datum) string {
	b := []byte{'('}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if f.Null {
			continue
		}
		s := f.String()
		if s != "" && !strings.ContainsAny(s, "\"\\(), \t\n\r\v\f") {
			b = append(b, s...)
			continue
		}
		b = append(b, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b = append(b, s[j])
			}
			b = append(b, s[j])
		}
		b = append(b, '"')
	}
	return string(append(b, ')'))
}

// RecordFields parses PostgreSQL's record output form into its fields;
// null[i] marks a NULL (empty, unquoted) field.
func RecordFields(s string) (fields []string, null []bool, err error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '(' || t[len(t)-1] != ')' {
		return nil, nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed record literal: %q", s)
	}
	body := t[1 : len(t)-1]
	var cur strings.Builder
	quoted, inQuote := false, false
	for i := 0; i <= len(body); i++ {
		if i == len(body) || body[i] == ',' && !inQuote {
			fields = append(fields, cur.String())
			null = append(null, !quoted && cur.Len() == 0)
			cur.Reset()
			quoted = false
			continue
		}
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"' && inQuote && i+1 < len(body) && body[i+1] == '"':
			i++
			cur.WriteByte('"')
		case c == '"':
			inQuote, quoted = !inQuote, true
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed record literal: %q", s)
	}
	return fields, null, nil
}
