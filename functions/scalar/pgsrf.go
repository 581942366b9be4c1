package scalar

import (
	"regexp"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the set-returning functions over arrays that client
// catalog queries call, in FROM or in a select list: unnest,
// generate_subscripts and information_schema._pg_expandarray (pgJDBC's
// getPrimaryKeys), plus record_field, which reads one field of a
// composite value carried in record text form.

// unnestRows returns the elements of an array, untyped.
func unnestRows(a []types.Datum) ([][]types.Datum, error) {
	arr, err := ParseArrayText(a[0].S)
	if err != nil {
		return nil, err
	}
	col := make([]types.Datum, len(arr.Elems))
	for i, e := range arr.Elems {
		col[i] = types.StringDatum(types.UnknownType, e)
		col[i].Null = arr.Null[i]
	}
	return [][]types.Datum{col}, nil
}

// generateSubscripts is generate_subscripts(array, dim [, reverse]): the
// subscripts of dimension dim (only 1 for Tocsin's one-dimensional
// arrays; any other yields no rows), from array_lower to array_upper, or
// the other way with reverse.
func generateSubscripts() []SetFunc {
	col := types.Schema{{Name: "generate_subscripts", Type: types.Int32Type, Nullable: true}}
	gen := func(a []types.Datum) ([][]types.Datum, error) {
		arr, err := ParseArrayText(a[0].S)
		if err != nil || a[1].I != 1 {
			return [][]types.Datum{nil}, err
		}
		out := make([]types.Datum, len(arr.Elems))
		reverse := len(a) > 2 && a[2].Bool()
		for i := range out {
			v := arr.Lower + i
			if reverse {
				v = arr.Upper() - i
			}
			out[i] = types.IntDatum(types.Int32Type, int64(v))
		}
		return [][]types.Datum{out}, nil
	}
	return []SetFunc{
		{Args: []types.Type{types.TextType, types.Int32Type}, Cols: col, Gen: gen},
		{Args: []types.Type{types.TextType, types.Int32Type, types.BoolType}, Cols: col, Gen: gen},
	}
}

// expandArray is information_schema._pg_expandarray(array): one row per
// element, x the element and n its position counted from 1, whatever the
// array's lower bound (PostgreSQL defines it as
// SELECT $1[s], s - array_lower($1, 1) + 1 FROM generate_series(...) s).
func expandArray() []SetFunc {
	cols := types.Schema{{Name: "x", Type: types.UnknownType, Nullable: true}, {Name: "n", Type: types.Int32Type, Nullable: true}}
	return []SetFunc{{Args: []types.Type{types.TextType}, Cols: cols, Gen: func(a []types.Datum) ([][]types.Datum, error) {
		rows, err := unnestRows(a)
		if err != nil {
			return nil, err
		}
		n := make([]types.Datum, len(rows[0]))
		for i := range n {
			n[i] = types.IntDatum(types.Int32Type, int64(i+1))
		}
		return [][]types.Datum{rows[0], n}, nil
	}}}
}

// regexpSplitToTable is regexp_split_to_table(string, pattern [, flags]):
// the pieces of string between the pattern's matches. As in
// PostgreSQL, an empty match at the start or end of the string or right
// after another match does not split.
func regexpSplitToTable() []SetFunc {
	col := types.Schema{{Name: "regexp_split_to_table", Type: types.TextType, Nullable: true}}
	gen := func(a []types.Datum) ([][]types.Datum, error) {
		flags := ""
		if len(a) > 2 {
			flags = a[2].S
		}
		o, err := parseRegexFlags(flags, false)
		if err != nil {
			return nil, err
		}
		re, err := compileRegex(a[1].S, o)
		if err != nil {
			return nil, err
		}
		var out []types.Datum
		for _, p := range regexpSplit(re, a[0].S) {
			out = append(out, types.StringDatum(types.TextType, p))
		}
		return [][]types.Datum{out}, nil
	}
	text := types.TextType
	return []SetFunc{
		{Args: []types.Type{text, text}, Cols: col, Gen: gen},
		{Args: []types.Type{text, text, text}, Cols: col, Gen: gen},
	}
}

// regexpSplit splits s at re's matches with PostgreSQL's rules for
// empty matches.
func regexpSplit(re *regexp.Regexp, s string) []string {
	var out []string
	start, prevEnd := 0, -1
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] == m[1] && (m[0] == 0 || m[0] == len(s) || m[0] == prevEnd) {
			continue
		}
		out = append(out, s[start:m[0]])
		start, prevEnd = m[1], m[1]
	}
	return append(out, s[start:])
}

// registerRecords adds record_field(record text, i int4), the text of
// field i (counted from 1) of a composite value in record form, untyped
// (the binder casts it to the field's type); NULL for a NULL field.
func registerRecords(r *functions.Registry) {
	scalarFn(r, "record_field", []types.Type{types.TextType, types.Int32Type}, types.UnknownType, true, func(a []types.Datum) (types.Datum, error) {
		fields, null, err := RecordFields(a[0].S)
		if err != nil {
			return types.Datum{}, err
		}
		i := int(a[1].I) - 1
		if i < 0 || i >= len(fields) || null[i] {
			return types.NullDatum(types.UnknownType), nil
		}
		return types.StringDatum(types.UnknownType, fields[i]), nil
	})
}
