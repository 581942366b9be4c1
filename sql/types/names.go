package types

import "strings"

// typeNames maps every accepted spelling of a type name, lower-cased and
// with runs of spaces collapsed, to its type.
var typeNames = map[string]Type{
	"bool":                        BoolType,
	"boolean":                     BoolType,
	"smallint":                    Int16Type,
	"int2":                        Int16Type,
	"int":                         Int32Type,
	"integer":                     Int32Type,
	"int4":                        Int32Type,
	"bigint":                      Int64Type,
	"int8":                        Int64Type,
	"real":                        Float32Type,
	"float4":                      Float32Type,
	"double":                      Float64Type,
	"double precision":            Float64Type,
	"float":                       Float64Type,
	"float8":                      Float64Type,
	"text":                        TextType,
	"string":                      TextType,
	"varchar":                     VarcharType,
	"character varying":           VarcharType,
	"char varying":                VarcharType,
	"name":                        NameType,
	"json":                        JSONBType,
	"jsonb":                       JSONBType,
	"bytea":                       ByteaType,
	"timestamp":                   TimestampType,
	"timestamp without time zone": TimestampType,
	"timestamptz":                 TimestampTZType,
	"timestamp with time zone":    TimestampTZType,
	"date":                        DateType,
	"interval":                    IntervalType,
	"oid":                         OidType,
}

// LookupName returns the type a SQL type name denotes. The name may carry
// a "pg_catalog." prefix and a trailing "[]" for arrays. Length and
// precision modifiers are not part of name; callers parse and drop them.
func LookupName(name string) (Type, bool) {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	n = strings.TrimPrefix(n, "pg_catalog.")
	if elem, ok := strings.CutSuffix(n, "[]"); ok {
		t, ok := typeNames[strings.TrimSpace(elem)]
		if !ok || t.Kind == Array {
			return Type{}, false
		}
		return ArrayOf(t.Kind), true
	}
	t, ok := typeNames[n]
	return t, ok
}
