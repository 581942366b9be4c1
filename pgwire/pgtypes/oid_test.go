package pgtypes

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/types"
)

func TestInfo(t *testing.T) {
	cases := []struct {
		t    types.Type
		oid  uint32
		name string
		len  int16
	}{
		{types.BoolType, 16, "bool", 1},
		{types.Int16Type, 21, "int2", 2},
		{types.Int32Type, 23, "int4", 4},
		{types.Int64Type, 20, "int8", 8},
		{types.Float32Type, 700, "float4", 4},
		{types.Float64Type, 701, "float8", 8},
		{types.TextType, 25, "text", -1},
		{types.VarcharType, 1043, "varchar", -1},
		{types.NameType, 19, "name", 64},
		{types.JSONBType, 3802, "jsonb", -1},
		{types.ByteaType, 17, "bytea", -1},
		{types.TimestampType, 1114, "timestamp", 8},
		{types.TimestampTZType, 1184, "timestamptz", 8},
		{types.DateType, 1082, "date", 4},
		{types.IntervalType, 1186, "interval", 16},
		{types.OidType, 26, "oid", 4},
		{types.UnknownType, 705, "unknown", -2},
		{types.ArrayOf(types.Int16), 1005, "_int2", -1},
		{types.ArrayOf(types.Int32), 1007, "_int4", -1},
		{types.ArrayOf(types.Int64), 1016, "_int8", -1},
		{types.ArrayOf(types.Text), 1009, "_text", -1},
		{types.ArrayOf(types.Varchar), 1015, "_varchar", -1},
		{types.ArrayOf(types.Float64), 1022, "_float8", -1},
		{types.ArrayOf(types.Oid), 1028, "_oid", -1},
		{types.ArrayOf(types.Name), 1003, "_name", -1},
		{types.ArrayOf(types.Bool), 1000, "_bool", -1},
		{types.ArrayOf(types.TimestampTZ), 1185, "_timestamptz", -1},
		{types.ArrayOf(types.JSONB), 3807, "_jsonb", -1},
	}
	for _, c := range cases {
		info, ok := Info(c.t)
		if !ok || info.OID != c.oid || info.Name != c.name || info.Len != c.len {
			t.Errorf("Info(%v) = %+v, %v; want oid %d name %s len %d", c.t, info, ok, c.oid, c.name, c.len)
		}
		back, ok := ForOID(c.oid)
		if !ok || back != c.t {
			t.Errorf("ForOID(%d) = %v, %v; want %v", c.oid, back, ok, c.t)
		}
	}
	if info, _ := Info(types.ArrayOf(types.Int32)); info.Elem != OIDInt4 {
		t.Errorf("_int4 elem = %d", info.Elem)
	}
	for _, bad := range []types.Type{types.ArrayOf(types.Unknown), types.ArrayOf(types.Array), {Kind: types.Kind(200)}} {
		if _, ok := Info(bad); ok {
			t.Errorf("Info(%v) accepted", bad)
		}
	}
	for _, oid := range []uint32{0, 1700, 99999} {
		if typ, ok := ForOID(oid); ok {
			t.Errorf("ForOID(%d) = %v", oid, typ)
		}
	}
}

func TestResultType(t *testing.T) {
	if got := ResultType(types.UnknownType); got != types.TextType {
		t.Errorf("unknown -> %v", got)
	}
	if got := ResultType(types.ArrayOf(types.Unknown)); got != types.ArrayOf(types.Text) {
		t.Errorf("unknown[] -> %v", got)
	}
	if got := ResultType(types.DateType); got != types.DateType {
		t.Errorf("date -> %v", got)
	}
}

func TestAllTypesRoundTrip(t *testing.T) {
	all := AllTypes()
	seen := map[uint32]bool{}
	for _, info := range all {
		if seen[info.OID] {
			t.Errorf("duplicate OID %d", info.OID)
		}
		seen[info.OID] = true
		typ, ok := ForOID(info.OID)
		if !ok {
			t.Errorf("ForOID(%d) failed", info.OID)
			continue
		}
		if back, _ := Info(typ); back != info {
			t.Errorf("Info(ForOID(%d)) = %+v, want %+v", info.OID, back, info)
		}
	}
	// 17 scalars (unknown has no array type) and 16 array types.
	if len(all) != 33 {
		t.Errorf("AllTypes has %d entries", len(all))
	}
}
