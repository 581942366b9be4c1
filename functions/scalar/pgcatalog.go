package scalar

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file holds the Postgres system functions client catalog queries
// call that need no catalog: privileges (Tocsin has one privilege level,
// so every check is true), encodings, sizes, quoting, and the
// deparsing functions of objects Tocsin does not model (defaults,
// indexes, constraints, rules, triggers, statistics), which return NULL.
// The functions that read the catalog are registered by the engine.

func registerPgCatalog(r *functions.Registry) {
	text, oid, i32, i64, b := types.TextType, types.OidType, types.Int32Type, types.Int64Type, types.BoolType
	yes := func([]types.Datum) (types.Datum, error) { return types.BoolDatum(true), nil }
	for _, name := range []string{"has_table_privilege", "has_schema_privilege", "has_database_privilege",
		"has_function_privilege", "has_sequence_privilege", "has_any_column_privilege", "has_type_privilege",
		"has_language_privilege", "has_foreign_data_wrapper_privilege", "has_server_privilege", "has_tablespace_privilege"} {
		for _, obj := range []types.Type{text, oid} {
			scalarFn(r, name, []types.Type{obj, text}, b, true, yes)
			scalarFn(r, name, []types.Type{text, obj, text}, b, true, yes)
			scalarFn(r, name, []types.Type{oid, obj, text}, b, true, yes)
		}
	}
	for _, obj := range []types.Type{text, oid} {
		scalarFn(r, "has_column_privilege", []types.Type{obj, text, text}, b, true, yes)
		scalarFn(r, "has_column_privilege", []types.Type{obj, types.Int16Type, text}, b, true, yes)
	}
	scalarFn(r, "pg_has_role", []types.Type{text, text}, b, true, yes)
	scalarFn(r, "pg_has_role", []types.Type{oid, text}, b, true, yes)
	scalarFn(r, "pg_encoding_to_char", []types.Type{i32}, types.NameType, true, func(a []types.Datum) (types.Datum, error) {
		if a[0].I == 6 {
			return types.StringDatum(types.NameType, "UTF8"), nil
		}
		return types.StringDatum(types.NameType, ""), nil
	})
	scalarFn(r, "pg_char_to_encoding", []types.Type{types.NameType}, i32, true, func(a []types.Datum) (types.Datum, error) {
		if strings.EqualFold(a[0].S, "UTF8") {
			return types.IntDatum(i32, 6), nil
		}
		return types.IntDatum(i32, -1), nil
	})
	scalarFn(r, "pg_size_pretty", []types.Type{i64}, text, true, func(a []types.Datum) (types.Datum, error) {
		return types.StringDatum(text, SizePretty(a[0].I)), nil
	})
	scalarFn(r, "current_schemas", []types.Type{b}, text, true, func(a []types.Datum) (types.Datum, error) {
		if a[0].Bool() {
			return types.StringDatum(text, "{pg_catalog,public}"), nil
		}
		return types.StringDatum(text, "{public}"), nil
	})
	scalarFn(r, "quote_ident", []types.Type{text}, text, true, func(a []types.Datum) (types.Datum, error) {
		return types.StringDatum(text, QuoteIdent(a[0].S)), nil
	})
	scalarFn(r, "quote_literal", []types.Type{text}, text, true, func(a []types.Datum) (types.Datum, error) {
		return types.StringDatum(text, quoteLiteral(a[0].S)), nil
	})
	none := func(ret types.Type) func([]types.Datum) (types.Datum, error) {
		return func([]types.Datum) (types.Datum, error) { return types.NullDatum(ret), nil }
	}
	// pg_get_expr deparses a stored expression tree; Tocsin stores none
	// (defaults, partition bounds, policy quals are all NULL).
	// The relation argument is an oid; clients also pass a plain 0
	// (pgcli: pg_get_expr(proargdefaults, 0)), an integer that
	// PostgreSQL casts to oid implicitly.
	for _, rel := range []types.Type{oid, i32} {
		scalarFn(r, "pg_get_expr", []types.Type{text, rel}, text, true, none(text))
		scalarFn(r, "pg_get_expr", []types.Type{text, rel, b}, text, true, none(text))
	}
	for _, f := range []struct {
		name string
		args []types.Type
	}{
		{"pg_get_indexdef", []types.Type{oid}}, {"pg_get_indexdef", []types.Type{oid, i32, b}},
		{"pg_get_constraintdef", []types.Type{oid}}, {"pg_get_constraintdef", []types.Type{oid, b}},
		{"pg_get_ruledef", []types.Type{oid}}, {"pg_get_ruledef", []types.Type{oid, b}},
		{"pg_get_triggerdef", []types.Type{oid}}, {"pg_get_triggerdef", []types.Type{oid, b}},
		{"pg_get_statisticsobjdef_columns", []types.Type{oid}},
		{"pg_get_partkeydef", []types.Type{oid}},
	} {
		scalarFn(r, f.name, f.args, text, true, none(text))
	}
	scalarFn(r, "pg_relation_is_publishable", []types.Type{oid}, b, true, func([]types.Datum) (types.Datum, error) {
		return types.BoolDatum(false), nil
	})
}

// SizePretty renders a byte count as pg_size_pretty does: bytes below 10
// kB, then kB, MB, GB, TB, PB, rounding half away from zero.
func SizePretty(n int64) string {
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	v := n
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	if abs(v) < 10*1024 {
		return fmt.Sprintf("%d %s", v, units[0])
	}
	for i := 1; i < len(units); i++ {
		// Keep one extra bit to round the last division half up.
		half := v / 512
		if abs(half) < 20*1024-1 || i == len(units)-1 {
			if half < 0 {
				return fmt.Sprintf("%d %s", (half-1)/2, units[i])
			}
			return fmt.Sprintf("%d %s", (half+1)/2, units[i])
		}
		v /= 1024
	}
	return ""
}

// QuoteIdent quotes an identifier when Postgres's quote_ident would: when
// it is not all lower-case letters, digits and underscores, or starts
// with a digit.
func QuoteIdent(s string) string {
	ok := s != "" && !(s[0] >= '0' && s[0] <= '9')
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
	}
	if ok {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// SetFuncResult is the output of a set-returning function: its columns
// and one slice of Datums per column.
type SetFuncResult struct {
	Cols types.Schema
	Rows [][]types.Datum
}

// SetFunc describes a set-returning function usable in FROM.
type SetFunc struct {
	// Args are the argument types (arguments are coerced to them).
	Args []types.Type
	// Cols are the output columns; a single column takes the FROM
	// item's alias as its name, as in Postgres.
	Cols types.Schema
	// Gen returns the rows for one evaluation of the arguments, which
	// are never NULL (a NULL argument yields no rows).
	Gen func(args []types.Datum) ([][]types.Datum, error)
}

// maxSeriesRows bounds generate_series, which materialises its rows.
const maxSeriesRows = 10_000_000

// SetFuncs returns the overloads of the set-returning function name
// (generate_series, unnest, generate_subscripts, _pg_expandarray,
// regexp_split_to_table, pg_options_to_table), nil if there is none. The element columns of
// functions over arrays (unnest's, _pg_expandarray's x) are untyped:
// arrays are carried as text, and the binder gives them the element type
// when the argument's type says it.
func SetFuncs(name string) []SetFunc {
	switch strings.ToLower(name) {
	case "generate_series":
		var out []SetFunc
		for _, t := range []types.Type{types.Int32Type, types.Int64Type} {
			col := types.Schema{{Name: "generate_series", Type: t, Nullable: true}}
			out = append(out,
				SetFunc{Args: []types.Type{t, t}, Cols: col, Gen: func(a []types.Datum) ([][]types.Datum, error) {
					return series(t, a[0].I, a[1].I, 1)
				}},
				SetFunc{Args: []types.Type{t, t, t}, Cols: col, Gen: func(a []types.Datum) ([][]types.Datum, error) {
					return series(t, a[0].I, a[1].I, a[2].I)
				}})
		}
		return out
	case "unnest":
		return []SetFunc{{Args: []types.Type{types.TextType}, Cols: types.Schema{{Name: "unnest", Type: types.UnknownType, Nullable: true}},
			Gen: unnestRows}}
	case "generate_subscripts":
		return generateSubscripts()
	case "_pg_expandarray", "information_schema._pg_expandarray":
		return expandArray()
	case "regexp_split_to_table":
		return regexpSplitToTable()
	case "pg_options_to_table":
		return []SetFunc{{Args: []types.Type{types.TextType},
			Cols: types.Schema{{Name: "option_name", Type: types.TextType, Nullable: true}, {Name: "option_value", Type: types.TextType, Nullable: true}},
			Gen: func(a []types.Datum) ([][]types.Datum, error) {
				elems, null, err := ArrayElems(a[0].S)
				if err != nil {
					return nil, err
				}
				names, values := []types.Datum{}, []types.Datum{}
				for i, e := range elems {
					if null[i] {
						continue
					}
					k, v, ok := strings.Cut(e, "=")
					names = append(names, types.StringDatum(types.TextType, k))
					val := types.StringDatum(types.TextType, v)
					val.Null = !ok
					values = append(values, val)
				}
				return [][]types.Datum{names, values}, nil
			}}}
	}
	return nil
}

func series(t types.Type, from, to, step int64) ([][]types.Datum, error) {
	if step == 0 {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "step size cannot equal zero")
	}
	var col []types.Datum
	for v := from; (step > 0 && v <= to) || (step < 0 && v >= to); v += step {
		if len(col) == maxSeriesRows {
			return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "generate_series would return more than %d rows", maxSeriesRows)
		}
		col = append(col, types.IntDatum(t, v))
		if (step > 0 && v > to-step) || (step < 0 && v < to-step) {
			break
		}
	}
	return [][]types.Datum{col}, nil
}
