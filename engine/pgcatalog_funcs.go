package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The Postgres system functions that read the catalog (format_type,
// pg_get_userbyid, pg_get_viewdef, the reg* conversions, ...). They are
// closures over the engine, registered in a child of the engine's
// function registry; they evaluate row by row over Datums, as catalog
// queries read few rows.

// setupPgCatalog builds the catalog relations and registers the catalog
// functions in a child registry that becomes the engine's.
func (e *Engine) setupPgCatalog() {
	e.pg = newPgCatalogs()
	support := functions.NewRegistry()
	scalar.RegisterCatalog(support)
	e.registerPgFuncs(support)
	e.pgSupport = map[string]bool{}
	for _, n := range support.Names() {
		e.pgSupport[n] = true
	}
	child := functions.NewChildRegistry(e.opts.Functions)
	e.registerPgFuncs(child)
	e.opts.Functions = child
}

// resolver is the binder's catalog: the user catalog plus pg_catalog and
// information_schema.
func (e *Engine) resolver() pgResolver { return pgResolver{cat: e.cat, pg: e.pg} }

// catalogFn registers a row-wise function; the row function sees no NULL
// argument when strict.
func catalogFn(r *functions.Registry, name string, args []types.Type, ret types.Type, vol functions.Volatility, f func([]types.Datum) types.Datum) {
	r.AddScalar(&functions.Scalar{Name: name, Args: args, Ret: ret, Nulls: functions.NullPropagate, Vol: vol,
		Kernel: func(_ *functions.Context, vals []functions.Value, n int) (functions.Value, error) {
			out := make([]types.Datum, n)
			row := make([]types.Datum, len(vals))
			scalarOnly := true
			for i := 0; i < n; i++ {
				null := false
				for j, v := range vals {
					row[j] = functions.ValueDatum(v, args[j], i)
					null = null || row[j].Null
					scalarOnly = scalarOnly && v.IsScalar()
				}
				if null {
					out[i] = types.NullDatum(ret)
					continue
				}
				out[i] = f(row)
				out[i].Type = ret
			}
			if n == 1 && scalarOnly {
				return functions.ScalarValue(out[0]), nil
			}
			return functions.ArrayValue(functions.BuildArray(ret, out)), nil
		}})
}

func (e *Engine) registerPgFuncs(r *functions.Registry) {
	oid, text, name, i32, i64, b := types.OidType, types.TextType, types.NameType, types.Int32Type, types.Int64Type, types.BoolType
	stable := functions.Stable
	null := func(t types.Type) types.Datum { return types.NullDatum(t) }
	r.AddScalar(&functions.Scalar{Name: "format_type", Args: []types.Type{oid, i32}, Ret: text, Nulls: functions.NullCustom, Vol: stable,
		Kernel: func(_ *functions.Context, vals []functions.Value, n int) (functions.Value, error) {
			// format_type(oid, NULL) is the type without modifier.
			out := make([]types.Datum, n)
			for i := range out {
				d := functions.ValueDatum(vals[0], oid, i)
				out[i] = types.NullDatum(text)
				if !d.Null {
					out[i] = types.StringDatum(text, formatType(uint32(d.I)))
				}
			}
			if n == 1 && vals[0].IsScalar() {
				return functions.ScalarValue(out[0]), nil
			}
			return functions.ArrayValue(functions.BuildArray(text, out)), nil
		}})
	catalogFn(r, "pg_get_userbyid", []types.Type{oid}, name, stable, func(a []types.Datum) types.Datum {
		for _, role := range e.pgRoleRows() {
			if int64(role.oid) == a[0].I {
				return types.StringDatum(name, role.name)
			}
		}
		return types.StringDatum(name, fmt.Sprintf("unknown (OID=%d)", a[0].I))
	})
	yes := func([]types.Datum) types.Datum { return types.BoolDatum(true) }
	for _, f := range []string{"pg_table_is_visible", "pg_function_is_visible", "pg_type_is_visible", "pg_collation_is_visible",
		"pg_opclass_is_visible", "pg_operator_is_visible", "pg_conversion_is_visible", "pg_statistics_obj_is_visible"} {
		catalogFn(r, f, []types.Type{oid}, b, stable, yes)
	}
	viewdef := func(a []types.Datum) types.Datum {
		if o, ok := e.cat.ByID(uint32(a[0].I)); ok && o.View != nil {
			return types.StringDatum(text, viewDef(o))
		}
		return null(text)
	}
	catalogFn(r, "pg_get_viewdef", []types.Type{oid}, text, stable, viewdef)
	catalogFn(r, "pg_get_viewdef", []types.Type{oid, b}, text, stable, viewdef)
	catalogFn(r, "pg_get_viewdef", []types.Type{oid, i32}, text, stable, viewdef)
	catalogFn(r, "pg_get_viewdef", []types.Type{text}, text, stable, func(a []types.Datum) types.Datum {
		if id, ok := e.regclass(a[0].S); ok {
			return viewdef([]types.Datum{types.IntDatum(oid, int64(id))})
		}
		return null(text)
	})
	describe := func(a []types.Datum) types.Datum {
		if a[0].I == plpgsqlExtOID {
			return types.StringDatum(text, "PL/pgSQL procedural language")
		}
		for _, p := range e.pgProcs() {
			if int64(p.oid) == a[0].I && p.doc != "" {
				return types.StringDatum(text, p.doc)
			}
		}
		return null(text)
	}
	catalogFn(r, "obj_description", []types.Type{oid}, text, stable, describe)
	catalogFn(r, "obj_description", []types.Type{oid, name}, text, stable, describe)
	catalogFn(r, "shobj_description", []types.Type{oid, name}, text, stable, func([]types.Datum) types.Datum { return null(text) })
	catalogFn(r, "col_description", []types.Type{oid, i32}, text, stable, func([]types.Datum) types.Datum { return null(text) })
	zero := func([]types.Datum) types.Datum { return types.IntDatum(i64, 0) }
	for _, f := range []string{"pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size"} {
		catalogFn(r, f, []types.Type{oid}, i64, stable, zero)
	}
	catalogFn(r, "pg_relation_size", []types.Type{oid, text}, i64, stable, zero)
	proc := func(a []types.Datum) (pgProc, bool) {
		for _, p := range e.pgProcs() {
			if int64(p.oid) == a[0].I {
				return p, true
			}
		}
		return pgProc{}, false
	}
	catalogFn(r, "pg_get_function_result", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		if p, ok := proc(a); ok {
			return types.StringDatum(text, formatType(pgTypeOf(p.ret)))
		}
		return null(text)
	})
	args := func(a []types.Datum) types.Datum {
		p, ok := proc(a)
		if !ok {
			return null(text)
		}
		parts := make([]string, len(p.args))
		for i, t := range p.args {
			parts[i] = formatType(pgTypeOf(t))
			if p.variadic && i == len(p.args)-1 {
				parts[i] = "VARIADIC " + parts[i] + "[]"
			}
		}
		return types.StringDatum(text, strings.Join(parts, ", "))
	}
	catalogFn(r, "pg_get_function_arguments", []types.Type{oid}, text, stable, args)
	catalogFn(r, "pg_get_function_identity_arguments", []types.Type{oid}, text, stable, args)
	// The reg* conversions: an oid to its object's name, a name to its
	// oid (NULL if there is none, as to_regclass).
	catalogFn(r, "regclassout", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		for _, rel := range e.pgRelations() {
			if int64(rel.oid) == a[0].I {
				return types.StringDatum(text, scalar.QuoteIdent(rel.name))
			}
		}
		return types.StringDatum(text, strconv.FormatInt(a[0].I, 10))
	})
	catalogFn(r, "to_regclass", []types.Type{text}, oid, stable, func(a []types.Datum) types.Datum {
		if id, ok := e.regclass(a[0].S); ok {
			return types.IntDatum(oid, int64(id))
		}
		return null(oid)
	})
	catalogFn(r, "regtypeout", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		if _, ok := pgTypeByOID(uint32(a[0].I)); ok {
			return types.StringDatum(text, formatType(uint32(a[0].I)))
		}
		return types.StringDatum(text, strconv.FormatInt(a[0].I, 10))
	})
	catalogFn(r, "to_regtype", []types.Type{text}, oid, stable, func(a []types.Datum) types.Datum {
		s := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(a[0].S)), "pg_catalog.")
		for _, t := range pgTypeTable {
			if s == t.name || s == strings.Trim(t.display, `"`) {
				return types.IntDatum(oid, int64(t.oid))
			}
		}
		if t, ok := types.LookupName(s); ok {
			if id := pgTypeOf(t); id != 0 {
				return types.IntDatum(oid, int64(id))
			}
		}
		return null(oid)
	})
	catalogFn(r, "regnamespaceout", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		if n := nspName(uint32(a[0].I)); n != "" {
			return types.StringDatum(text, n)
		}
		return types.StringDatum(text, strconv.FormatInt(a[0].I, 10))
	})
	catalogFn(r, "to_regnamespace", []types.Type{text}, oid, stable, func(a []types.Datum) types.Datum {
		for _, n := range []uint32{nspPgCatalog, nspPublic, nspInfo} {
			if strings.EqualFold(nspName(n), strings.TrimSpace(a[0].S)) {
				return types.IntDatum(oid, int64(n))
			}
		}
		return null(oid)
	})
	catalogFn(r, "regprocout", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		if p, ok := proc(a); ok {
			return types.StringDatum(text, p.name)
		}
		return types.StringDatum(text, strconv.FormatInt(a[0].I, 10))
	})
	catalogFn(r, "to_regproc", []types.Type{text}, oid, stable, func(a []types.Datum) types.Datum {
		s := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(a[0].S)), "pg_catalog.")
		for _, p := range e.pgProcs() {
			if p.name == s {
				return types.IntDatum(oid, int64(p.oid))
			}
		}
		return null(oid)
	})
	catalogFn(r, "regroleout", []types.Type{oid}, text, stable, func(a []types.Datum) types.Datum {
		for _, role := range e.pgRoleRows() {
			if int64(role.oid) == a[0].I {
				return types.StringDatum(text, role.name)
			}
		}
		return types.StringDatum(text, strconv.FormatInt(a[0].I, 10))
	})
	catalogFn(r, "to_regrole", []types.Type{text}, oid, stable, func(a []types.Datum) types.Datum {
		for _, role := range e.pgRoleRows() {
			if role.name == a[0].S {
				return types.IntDatum(oid, int64(role.oid))
			}
		}
		return null(oid)
	})
	catalogFn(r, "current_database", nil, name, stable, func([]types.Datum) types.Datum { return types.StringDatum(name, databaseName) })
	catalogFn(r, "current_catalog", nil, name, stable, func([]types.Datum) types.Datum { return types.StringDatum(name, databaseName) })
	catalogFn(r, "current_schema", nil, name, stable, func([]types.Datum) types.Datum { return types.StringDatum(name, "public") })
	// version() starts as PostgreSQL's ("PostgreSQL 15.18 ..."): drivers
	// (SQLAlchemy, pgJDBC) parse the server version out of it.
	catalogFn(r, "version", nil, text, stable, func([]types.Datum) types.Datum {
		return types.StringDatum(text, "PostgreSQL "+e.opts.ServerVersion+" on x86_64-pc-linux-gnu, compiled by Go, 64-bit")
	})
	// Tocsin has no sequences: no column owns one.
	catalogFn(r, "pg_get_serial_sequence", []types.Type{text, text}, text, stable, func([]types.Datum) types.Datum { return null(text) })
}

// regclass resolves a relation name as text ("pg_catalog.pg_class",
// "alerts", "public.alerts") to its oid.
func (e *Engine) regclass(s string) (uint32, bool) {
	var parts []string
	for _, p := range strings.Split(strings.TrimSpace(s), ".") {
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			parts = append(parts, strings.ReplaceAll(p[1:len(p)-1], `""`, `"`))
		} else {
			parts = append(parts, strings.ToLower(p))
		}
	}
	o, err := e.resolver().Relation(ast.Ident{Parts: parts})
	if err != nil {
		return 0, false
	}
	return o.ID, true
}
