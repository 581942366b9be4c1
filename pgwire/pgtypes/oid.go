package pgtypes

import "github.com/tocsin-db/tocsin/sql/types"

// OIDs of the Postgres types Tocsin exposes, as in PostgreSQL's
// pg_type.dat.
const (
	OIDBool             uint32 = 16
	OIDBytea            uint32 = 17
	OIDName             uint32 = 19
	OIDInt8             uint32 = 20
	OIDInt2             uint32 = 21
	OIDInt4             uint32 = 23
	OIDText             uint32 = 25
	OIDOid              uint32 = 26
	OIDFloat4           uint32 = 700
	OIDFloat8           uint32 = 701
	OIDUnknown          uint32 = 705
	OIDBoolArray        uint32 = 1000
	OIDByteaArray       uint32 = 1001
	OIDNameArray        uint32 = 1003
	OIDInt2Array        uint32 = 1005
	OIDInt4Array        uint32 = 1007
	OIDTextArray        uint32 = 1009
	OIDVarcharArray     uint32 = 1015
	OIDInt8Array        uint32 = 1016
	OIDFloat4Array      uint32 = 1021
	OIDFloat8Array      uint32 = 1022
	OIDOidArray         uint32 = 1028
	OIDVarchar          uint32 = 1043
	OIDDate             uint32 = 1082
	OIDTimestamp        uint32 = 1114
	OIDTimestampArray   uint32 = 1115
	OIDDateArray        uint32 = 1182
	OIDTimestampTZ      uint32 = 1184
	OIDTimestampTZArray uint32 = 1185
	OIDInterval         uint32 = 1186
	OIDIntervalArray    uint32 = 1187
	OIDJSONB            uint32 = 3802
	OIDJSONBArray       uint32 = 3807
)

// TypeInfo is what pg_type records about a type.
type TypeInfo struct {
	// OID is the type's object identifier (pg_type.oid).
	OID uint32
	// Name is pg_type.typname, e.g. "int4" or "_int4".
	Name string
	// Len is pg_type.typlen: the byte width of fixed-width types, -1 for
	// variable-length types and -2 for C strings (unknown).
	Len int16
	// Elem is the element type OID of an array type, 0 otherwise.
	Elem uint32
	// Array is the OID of the array type whose elements have this type,
	// 0 for array types and types without one.
	Array uint32
}

// scalarInfo holds the pg_type facts of each scalar kind; an entry with
// OID 0 means the kind has no Postgres counterpart.
var scalarInfo = [types.Array]TypeInfo{
	types.Unknown:     {OID: OIDUnknown, Name: "unknown", Len: -2},
	types.Bool:        {OID: OIDBool, Name: "bool", Len: 1, Array: OIDBoolArray},
	types.Int16:       {OID: OIDInt2, Name: "int2", Len: 2, Array: OIDInt2Array},
	types.Int32:       {OID: OIDInt4, Name: "int4", Len: 4, Array: OIDInt4Array},
	types.Int64:       {OID: OIDInt8, Name: "int8", Len: 8, Array: OIDInt8Array},
	types.Float32:     {OID: OIDFloat4, Name: "float4", Len: 4, Array: OIDFloat4Array},
	types.Float64:     {OID: OIDFloat8, Name: "float8", Len: 8, Array: OIDFloat8Array},
	types.Text:        {OID: OIDText, Name: "text", Len: -1, Array: OIDTextArray},
	types.Varchar:     {OID: OIDVarchar, Name: "varchar", Len: -1, Array: OIDVarcharArray},
	types.Name:        {OID: OIDName, Name: "name", Len: 64, Array: OIDNameArray},
	types.JSONB:       {OID: OIDJSONB, Name: "jsonb", Len: -1, Array: OIDJSONBArray},
	types.Bytea:       {OID: OIDBytea, Name: "bytea", Len: -1, Array: OIDByteaArray},
	types.Timestamp:   {OID: OIDTimestamp, Name: "timestamp", Len: 8, Array: OIDTimestampArray},
	types.TimestampTZ: {OID: OIDTimestampTZ, Name: "timestamptz", Len: 8, Array: OIDTimestampTZArray},
	types.Date:        {OID: OIDDate, Name: "date", Len: 4, Array: OIDDateArray},
	types.Interval:    {OID: OIDInterval, Name: "interval", Len: 16, Array: OIDIntervalArray},
	types.Oid:         {OID: OIDOid, Name: "oid", Len: 4, Array: OIDOidArray},
}

// Info returns the pg_type facts of t. ok is false for types with no
// Postgres counterpart: arrays of arrays and arrays of unknown (use
// ResultType first to resolve unknown to text).
func Info(t types.Type) (TypeInfo, bool) {
	if t.Kind != types.Array {
		if int(t.Kind) >= len(scalarInfo) || scalarInfo[t.Kind].OID == 0 {
			return TypeInfo{}, false
		}
		return scalarInfo[t.Kind], true
	}
	if int(t.Elem) >= len(scalarInfo) {
		return TypeInfo{}, false
	}
	elem := scalarInfo[t.Elem]
	if elem.Array == 0 {
		return TypeInfo{}, false
	}
	return TypeInfo{OID: elem.Array, Name: "_" + elem.Name, Len: -1, Elem: elem.OID}, true
}

// ForOID returns the type whose OID is oid. The unknown OID (705) maps to
// types.UnknownType; OID 0 (unspecified) is not a type and reports false.
func ForOID(oid uint32) (types.Type, bool) {
	if oid == 0 {
		return types.Type{}, false
	}
	for k, info := range scalarInfo {
		switch oid {
		case info.OID:
			return types.Type{Kind: types.Kind(k)}, true
		case info.Array:
			return types.ArrayOf(types.Kind(k)), true
		}
	}
	return types.Type{}, false
}

// ResultType returns the type a result column of type t is described
// and encoded as: unknown (an untyped literal or NULL) resolves to text,
// as in Postgres; every other type is returned unchanged.
func ResultType(t types.Type) types.Type {
	switch {
	case t.Kind == types.Unknown:
		return types.TextType
	case t.Kind == types.Array && t.Elem == types.Unknown:
		return types.ArrayOf(types.Text)
	}
	return t
}

// AllTypes returns the pg_type facts of every type Tocsin exposes,
// scalars first, then their array types, each group in kind order. The
// slice is freshly allocated; callers may keep and modify it.
func AllTypes() []TypeInfo {
	out := make([]TypeInfo, 0, 2*len(scalarInfo))
	for _, info := range scalarInfo {
		if info.OID != 0 {
			out = append(out, info)
		}
	}
	for k, info := range scalarInfo {
		if info.Array != 0 {
			a, _ := Info(types.ArrayOf(types.Kind(k)))
			out = append(out, a)
		}
	}
	return out
}
