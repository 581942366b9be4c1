package engine

import (
	"github.com/tocsin-db/tocsin/sql/types"
)

// pgTypeInfo is what pg_type and format_type know of a type. The engine
// may not import pgwire/pgtypes (see arch_test.go), so it keeps its own
// table; the oids are PostgreSQL's (pg_type.dat), as in pgwire/pgtypes.
type pgTypeInfo struct {
	oid      uint32
	name     string // typname
	display  string // format_type's spelling
	length   int16
	category string
	array    uint32
	kind     types.Kind // the Tocsin kind, Unknown for catalog-only types
}

var pgTypeTable = []pgTypeInfo{
	{16, "bool", "boolean", 1, "B", 1000, types.Bool},
	{17, "bytea", "bytea", -1, "U", 1001, types.Bytea},
	{18, "char", `"char"`, 1, "Z", 1002, types.Unknown},
	{19, "name", "name", 64, "S", 1003, types.Name},
	{20, "int8", "bigint", 8, "N", 1016, types.Int64},
	{21, "int2", "smallint", 2, "N", 1005, types.Int16},
	{23, "int4", "integer", 4, "N", 1007, types.Int32},
	{24, "regproc", "regproc", 4, "N", 1008, types.Unknown},
	{25, "text", "text", -1, "S", 1009, types.Text},
	{26, "oid", "oid", 4, "N", 1028, types.Oid},
	{700, "float4", "real", 4, "N", 1021, types.Float32},
	{701, "float8", "double precision", 8, "N", 1022, types.Float64},
	{705, "unknown", "unknown", -2, "X", 0, types.Unknown},
	{1043, "varchar", "character varying", -1, "S", 1015, types.Varchar},
	{1082, "date", "date", 4, "D", 1182, types.Date},
	{1114, "timestamp", "timestamp without time zone", 8, "D", 1115, types.Timestamp},
	{1184, "timestamptz", "timestamp with time zone", 8, "D", 1185, types.TimestampTZ},
	{1186, "interval", "interval", 16, "T", 1187, types.Interval},
	{2205, "regclass", "regclass", 4, "N", 2210, types.Unknown},
	{2206, "regtype", "regtype", 4, "N", 2211, types.Unknown},
	{3802, "jsonb", "jsonb", -1, "U", 3807, types.JSONB},
	{4089, "regnamespace", "regnamespace", 4, "N", 4090, types.Unknown},
	{4096, "regrole", "regrole", 4, "N", 4097, types.Unknown},
	{2249, "record", "record", -1, "P", 2287, types.Unknown},
	{2278, "void", "void", 4, "P", 0, types.Unknown},
	{2276, "any", `"any"`, 4, "P", 0, types.Unknown},
	{2277, "anyarray", "anyarray", -1, "P", 0, types.Unknown},
	{2283, "anyelement", "anyelement", 4, "P", 0, types.Unknown},
}

// pgTypeByOID returns the type with the given oid; array types are
// derived from their element's entry.
func pgTypeByOID(oid uint32) (pgTypeInfo, bool) {
	for _, t := range pgTypeTable {
		switch oid {
		case t.oid:
			return t, true
		case t.array:
			return pgTypeInfo{oid: t.array, name: "_" + t.name, display: t.display + "[]", length: -1, category: "A", kind: types.Array}, true
		}
	}
	return pgTypeInfo{}, false
}

// pgTypeOf returns the oid of a Tocsin type (0 if it has none).
func pgTypeOf(t types.Type) uint32 {
	for _, info := range pgTypeTable {
		if t.Kind == types.Array && info.kind == t.Elem && info.kind != types.Unknown {
			return info.array
		}
		if t.Kind != types.Array && info.kind == t.Kind && info.kind != types.Unknown {
			return info.oid
		}
	}
	if t.Kind == types.Unknown {
		return 705
	}
	return 0
}

// formatType is format_type(oid, typmod).
func formatType(oid uint32) string {
	if t, ok := pgTypeByOID(oid); ok {
		return t.display
	}
	return "???"
}
