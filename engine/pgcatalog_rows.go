package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/types"
)

// pgRows builds the rows of one catalog relation: row takes the values a
// row sets by column name; the others get their declared default or NULL.
type pgRows struct {
	rel *pgCatalogRel
	add func(...types.Datum)
}

func (w pgRows) row(vals map[string]types.Datum) {
	out := make([]types.Datum, len(w.rel.cols))
	for i, c := range w.rel.cols {
		if v, ok := vals[c.Name]; ok {
			v.Type = c.Type
			out[i] = v
			continue
		}
		out[i] = types.NullDatum(c.Type)
		if c.hasDef {
			if d, err := scalar.ParseText(c.def, c.Type); err == nil {
				out[i] = d
			}
		}
	}
	w.add(out...)
}

func dOID(v uint32) types.Datum  { return types.IntDatum(types.OidType, int64(v)) }
func dName(s string) types.Datum { return types.StringDatum(types.NameType, s) }
func dBool(b bool) types.Datum   { return types.BoolDatum(b) }
func dInt(v int) types.Datum     { return types.IntDatum(types.Int32Type, int64(v)) }

// pgRelation is a relation as pg_class shows it.
type pgRelation struct {
	oid       uint32
	name      string
	namespace uint32
	kind      string
	schema    types.Schema
	obj       *catalog.Object // nil for the catalogs
}

// pgRelations lists every relation: the user catalog's (sinks are not
// relations) and the catalogs themselves.
func (e *Engine) pgRelations() []pgRelation {
	var out []pgRelation
	for _, o := range e.cat.List(0) {
		kind := ""
		switch o.Kind {
		case catalog.KindSource:
			kind = "f"
		case catalog.KindTable:
			kind = "r"
		case catalog.KindMaterializedView:
			kind = "m"
		case catalog.KindSystem:
			kind = "v"
		default:
			continue
		}
		out = append(out, pgRelation{oid: o.ID, name: o.Name, namespace: nspPublic, kind: kind, schema: visibleColumns(o.Schema), obj: o})
	}
	for _, r := range e.pg.list {
		nsp, kind := uint32(nspPgCatalog), "r"
		if r.schema == "information_schema" {
			nsp = nspInfo
		}
		if r.view {
			kind = "v"
		}
		out = append(out, pgRelation{oid: r.oid, name: r.name, namespace: nsp, kind: kind, schema: r.obj.Schema})
	}
	return out
}

func visibleColumns(s types.Schema) types.Schema {
	var out types.Schema
	for _, c := range s {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

func nspName(oid uint32) string {
	switch oid {
	case nspPgCatalog:
		return "pg_catalog"
	case nspPublic:
		return "public"
	case nspInfo:
		return "information_schema"
	}
	return ""
}

// pgCatalogRows adds the rows of catalog relation obj; false if obj is
// not one.
func (e *Engine) pgCatalogRows(obj *catalog.Object, add func(...types.Datum)) bool {
	if !strings.HasPrefix(obj.System, pgSystemPrefix) {
		return false
	}
	rel := e.pg.byOID[obj.ID]
	w := pgRows{rel: rel, add: add}
	switch rel.schema + "." + rel.name {
	case "pg_catalog.pg_namespace":
		for _, n := range []uint32{nspPgCatalog, nspPublic, nspInfo} {
			w.row(map[string]types.Datum{"oid": dOID(n), "nspname": dName(nspName(n))})
		}
	case "pg_catalog.pg_class":
		for _, r := range e.pgRelations() {
			am := uint32(0)
			if r.kind == "r" || r.kind == "m" {
				am = 2
			}
			w.row(map[string]types.Datum{"oid": dOID(r.oid), "relname": dName(r.name), "relnamespace": dOID(r.namespace),
				"relkind": text(r.kind), "relnatts": types.IntDatum(types.Int16Type, int64(len(r.schema))), "relam": dOID(am)})
		}
	case "pg_catalog.pg_attribute":
		for _, r := range e.pgRelations() {
			for i, c := range r.schema {
				t, _ := pgTypeByOID(pgTypeOf(c.Type))
				storage := "p"
				if t.length < 0 {
					storage = "x"
				}
				notNull := r.obj != nil && r.obj.Kind == catalog.KindTable && !c.Nullable
				w.row(map[string]types.Datum{"attrelid": dOID(r.oid), "attname": dName(c.Name), "atttypid": dOID(pgTypeOf(c.Type)),
					"attlen": types.IntDatum(types.Int16Type, int64(t.length)), "attnum": types.IntDatum(types.Int16Type, int64(i+1)),
					"attstorage": text(storage), "attnotnull": dBool(notNull), "attbyval": dBool(t.length > 0 && t.length <= 8)})
			}
		}
	case "pg_catalog.pg_type":
		for _, t := range pgTypeTable {
			w.row(map[string]types.Datum{"oid": dOID(t.oid), "typname": dName(t.name), "typlen": types.IntDatum(types.Int16Type, int64(t.length)),
				"typcategory": text(t.category), "typarray": dOID(t.array), "typbyval": dBool(t.length > 0 && t.length <= 8),
				"typtype": text(map[bool]string{true: "p", false: "b"}[t.category == "P"])})
			if t.array != 0 {
				w.row(map[string]types.Datum{"oid": dOID(t.array), "typname": dName("_" + t.name), "typlen": types.IntDatum(types.Int16Type, -1),
					"typcategory": text("A"), "typelem": dOID(t.oid)})
			}
		}
	case "pg_catalog.pg_proc":
		for _, p := range e.pgProcs() {
			w.row(map[string]types.Datum{"oid": dOID(p.oid), "proname": dName(p.name), "pronamespace": dOID(p.namespace),
				"prokind": text(p.kind), "pronargs": types.IntDatum(types.Int16Type, int64(len(p.args))), "prorettype": dOID(pgTypeOf(p.ret)),
				"proargtypes": text(oidVector(p.args)), "provolatile": text(p.volatility)})
		}
	case "pg_catalog.pg_description":
		w.row(map[string]types.Datum{"objoid": dOID(plpgsqlExtOID), "classoid": dOID(3079), "description": text("PL/pgSQL procedural language")})
		for _, p := range e.pgProcs() {
			if p.doc != "" {
				w.row(map[string]types.Datum{"objoid": dOID(p.oid), "classoid": dOID(1255), "description": text(p.doc)})
			}
		}
	case "pg_catalog.pg_database":
		w.row(map[string]types.Datum{"oid": dOID(databaseOID), "datname": dName(databaseName)})
	case "pg_catalog.pg_authid", "pg_catalog.pg_roles", "pg_catalog.pg_user":
		e.roleRows(rel.schema+"."+rel.name, w)
	case "pg_catalog.pg_am":
		for _, a := range []struct {
			oid        uint32
			name, kind string
		}{{2, "heap", "t"}, {403, "btree", "i"}, {405, "hash", "i"}} {
			w.row(map[string]types.Datum{"oid": dOID(a.oid), "amname": dName(a.name), "amtype": text(a.kind)})
		}
	case "pg_catalog.pg_extension":
		w.row(map[string]types.Datum{"oid": dOID(plpgsqlExtOID), "extname": dName("plpgsql"), "extversion": text("1.0")})
	case "pg_catalog.pg_language":
		for _, l := range []struct {
			oid  uint32
			name string
		}{{12, "internal"}, {13, "c"}, {14, "sql"}, {plpgsqlLangOID, "plpgsql"}} {
			w.row(map[string]types.Datum{"oid": dOID(l.oid), "lanname": dName(l.name)})
		}
	case "pg_catalog.pg_tablespace":
		w.row(map[string]types.Datum{"oid": dOID(1663), "spcname": dName("pg_default")})
	case "pg_catalog.pg_settings":
		for _, s := range pgSettings(e) {
			w.row(map[string]types.Datum{"name": text(s[0]), "setting": text(s[1]), "reset_val": text(s[1]), "boot_val": text(s[1])})
		}
	case "pg_catalog.pg_matviews":
		for _, o := range e.cat.List(catalog.KindMaterializedView) {
			w.row(map[string]types.Datum{"matviewname": dName(o.Name), "definition": text(viewDef(o))})
		}
	case "pg_catalog.pg_views":
		for _, r := range e.pgRelations() {
			if r.kind == "v" {
				w.row(map[string]types.Datum{"schemaname": dName(nspName(r.namespace)), "viewname": dName(r.name)})
			}
		}
	case "pg_catalog.pg_tables":
		for _, r := range e.pgRelations() {
			if r.kind == "r" {
				w.row(map[string]types.Datum{"schemaname": dName(nspName(r.namespace)), "tablename": dName(r.name)})
			}
		}
	case "pg_catalog.pg_foreign_data_wrapper":
		w.row(map[string]types.Datum{"oid": dOID(fdwOID), "fdwname": dName("tocsin")})
	case "pg_catalog.pg_foreign_server":
		for i, name := range e.pgServers() {
			w.row(map[string]types.Datum{"oid": dOID(serverOID(i)), "srvname": dName(name), "srvfdw": dOID(fdwOID)})
		}
	case "pg_catalog.pg_foreign_table":
		servers := e.pgServers()
		for _, o := range e.cat.List(catalog.KindSource) {
			i := sort.SearchStrings(servers, o.Source.Connector)
			w.row(map[string]types.Datum{"ftrelid": dOID(o.ID), "ftserver": dOID(serverOID(i)), "ftoptions": text(sourceOptions(o))})
		}
	case "information_schema.schemata":
		for _, n := range []uint32{nspPgCatalog, nspPublic, nspInfo} {
			w.row(map[string]types.Datum{"schema_name": dName(nspName(n))})
		}
	case "information_schema.tables":
		for _, r := range e.pgRelations() {
			kind := map[string]string{"r": "BASE TABLE", "f": "FOREIGN", "m": "VIEW", "v": "VIEW"}[r.kind]
			w.row(map[string]types.Datum{"table_schema": dName(nspName(r.namespace)), "table_name": dName(r.name),
				"table_type":         types.StringDatum(types.VarcharType, kind),
				"is_insertable_into": types.StringDatum(types.VarcharType, map[bool]string{true: "YES", false: "NO"}[r.kind == "r"])})
		}
	case "information_schema.columns":
		for _, r := range e.pgRelations() {
			for i, c := range r.schema {
				t, _ := pgTypeByOID(pgTypeOf(c.Type))
				nullable := "YES"
				if r.obj != nil && r.obj.Kind == catalog.KindTable && !c.Nullable {
					nullable = "NO"
				}
				dataType := t.display
				if c.Type.Kind == types.Array {
					dataType = "ARRAY"
				}
				w.row(map[string]types.Datum{"table_schema": dName(nspName(r.namespace)), "table_name": dName(r.name),
					"column_name": dName(c.Name), "ordinal_position": dInt(i + 1),
					"is_nullable": types.StringDatum(types.VarcharType, nullable), "data_type": types.StringDatum(types.VarcharType, dataType),
					"udt_name": dName(t.name)})
			}
		}
	case "information_schema.views":
		for _, r := range e.pgRelations() {
			if r.kind == "m" || r.kind == "v" {
				def := types.NullDatum(types.VarcharType)
				if r.obj != nil && r.obj.View != nil {
					def = types.StringDatum(types.VarcharType, viewDef(r.obj))
				}
				w.row(map[string]types.Datum{"table_schema": dName(nspName(r.namespace)), "table_name": dName(r.name), "view_definition": def})
			}
		}
	}
	return true
}

const (
	plpgsqlExtOID  = 13500
	plpgsqlLangOID = 13499
	fdwOID         = 1<<26 - 1
)

func serverOID(i int) uint32 { return 1<<26 + uint32(i) }

// pgServers lists the connectors the sources use, sorted: each is a
// foreign server.
func (e *Engine) pgServers() []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range e.cat.List(catalog.KindSource) {
		if !seen[o.Source.Connector] {
			seen[o.Source.Connector] = true
			out = append(out, o.Source.Connector)
		}
	}
	sort.Strings(out)
	return out
}

// sourceOptions renders a source's WITH options as an ftoptions array
// literal ({key=value,...}), with secrets masked.
func sourceOptions(o *catalog.Object) string {
	keys := make([]string, 0, len(o.Source.Options))
	for k := range o.Source.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	elems := make([]*string, len(keys))
	for i, k := range keys {
		v := o.Source.Options[k]
		if lk := strings.ToLower(k); strings.Contains(lk, "password") || strings.Contains(lk, "secret") {
			v = "********"
		}
		s := k + "=" + v
		elems[i] = &s
	}
	return scalar.FormatArray(elems)
}

// viewDef is pg_get_viewdef's text for a materialized view.
func viewDef(o *catalog.Object) string {
	if o.View == nil {
		return ""
	}
	return " " + strings.TrimSuffix(strings.TrimSpace(o.View.QueryText), ";") + ";"
}

func oidVector(ts []types.Type) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.FormatUint(uint64(pgTypeOf(t)), 10)
	}
	return strings.Join(parts, " ")
}

// pgSettings are pg_settings' rows: the server-wide defaults a session
// starts with.
func pgSettings(e *Engine) [][2]string {
	return [][2]string{
		{"DateStyle", "ISO, MDY"}, {"IntervalStyle", "postgres"}, {"TimeZone", "UTC"},
		{"client_encoding", "UTF8"}, {"default_transaction_read_only", "off"}, {"extra_float_digits", "1"},
		{"integer_datetimes", "on"}, {"max_identifier_length", "63"}, {"search_path", `"$user", public`},
		{"server_encoding", "UTF8"}, {"server_version", e.opts.ServerVersion}, {"server_version_num", "150018"},
		{"standard_conforming_strings", "on"}, {"transaction_isolation", "read committed"},
	}
}

// pgProc is one function overload as pg_proc shows it.
type pgProc struct {
	oid        uint32
	name       string
	namespace  uint32
	kind       string
	args       []types.Type
	variadic   bool
	ret        types.Type
	volatility string
	doc        string
}

// pgProcs lists the registry's functions, sorted by name, overloads in
// registration order. Operators (non-identifier names) are pg_operator
// entries, not functions. The catalog-support functions (format_type,
// has_table_privilege, ...) are in pg_catalog; every other function is
// in public, so that \df lists Tocsin's functions and detectors.
func (e *Engine) pgProcs() []pgProc {
	var out []pgProc
	reg := e.opts.Functions
	vol := map[functions.Volatility]string{functions.Immutable: "i", functions.Stable: "s", functions.Volatile: "v"}
	for _, name := range reg.Names() {
		if !isIdentifier(name) || strings.HasPrefix(name, "tocsin_") {
			continue
		}
		nsp := uint32(nspPublic)
		if e.pgSupport[name] {
			nsp = nspPgCatalog
		}
		for _, s := range reg.Scalars(name) {
			ret := s.Ret
			if s.ReturnFn != nil {
				ret = s.ReturnFn(s.Args)
			}
			out = append(out, pgProc{name: name, namespace: nsp, kind: "f", args: s.Args, variadic: s.Variadic, ret: ret, volatility: vol[s.Vol], doc: s.Doc})
		}
		for _, a := range reg.Aggregates(name) {
			ret := a.Ret
			if a.ReturnFn != nil {
				ret = a.ReturnFn(a.Args)
			}
			out = append(out, pgProc{name: name, namespace: nsp, kind: "a", args: a.Args, ret: ret, volatility: "i", doc: a.Doc})
		}
		if d, ok := reg.Detector(name); ok {
			args := []types.Type{types.Float64Type}
			for range d.Params {
				args = append(args, types.Float64Type)
			}
			out = append(out, pgProc{name: name, namespace: nsp, kind: "w", args: args, ret: d.Ret, volatility: "i", doc: d.Doc})
		}
	}
	for i := range out {
		out[i].oid = 1<<27 + uint32(i)
	}
	return out
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
