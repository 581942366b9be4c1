package types

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is the SQL type family of a value.
type Kind uint8

// The kinds. Unknown is the type of an untyped NULL or string literal
// before coercion, and of a parameter whose type is not yet inferred.
const (
	Unknown Kind = iota
	Bool
	Int16
	Int32
	Int64
	Float32
	Float64
	Text
	Varchar
	Name
	JSONB
	Bytea
	Timestamp
	TimestampTZ
	Date
	Interval
	Oid
	Array
	numKinds
)

var kindNames = [numKinds]string{
	Unknown:     "unknown",
	Bool:        "boolean",
	Int16:       "smallint",
	Int32:       "integer",
	Int64:       "bigint",
	Float32:     "real",
	Float64:     "double precision",
	Text:        "text",
	Varchar:     "character varying",
	Name:        "name",
	JSONB:       "jsonb",
	Bytea:       "bytea",
	Timestamp:   "timestamp without time zone",
	TimestampTZ: "timestamp with time zone",
	Date:        "date",
	Interval:    "interval",
	Oid:         "oid",
	Array:       "array",
}

// String returns the Postgres name of the kind, as format_type prints it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Type is a SQL type. Elem is the element kind of an Array and Unknown
// otherwise. Types are comparable with ==.
type Type struct {
	Kind Kind
	Elem Kind
}

// Convenience values for the scalar types.
var (
	UnknownType     = Type{Kind: Unknown}
	BoolType        = Type{Kind: Bool}
	Int16Type       = Type{Kind: Int16}
	Int32Type       = Type{Kind: Int32}
	Int64Type       = Type{Kind: Int64}
	Float32Type     = Type{Kind: Float32}
	Float64Type     = Type{Kind: Float64}
	TextType        = Type{Kind: Text}
	VarcharType     = Type{Kind: Varchar}
	NameType        = Type{Kind: Name}
	JSONBType       = Type{Kind: JSONB}
	ByteaType       = Type{Kind: Bytea}
	TimestampType   = Type{Kind: Timestamp}
	TimestampTZType = Type{Kind: TimestampTZ}
	DateType        = Type{Kind: Date}
	IntervalType    = Type{Kind: Interval}
	OidType         = Type{Kind: Oid}
)

// ArrayOf returns the array type with element kind k.
func ArrayOf(k Kind) Type { return Type{Kind: Array, Elem: k} }

// String returns the Postgres spelling of the type.
func (t Type) String() string {
	if t.Kind == Array {
		return t.Elem.String() + "[]"
	}
	return t.Kind.String()
}

// IsNumeric reports whether t is an integer or floating-point type.
func (t Type) IsNumeric() bool { return t.IsInteger() || t.IsFloat() }

// IsInteger reports whether t is an integer type.
func (t Type) IsInteger() bool { return t.Kind == Int16 || t.Kind == Int32 || t.Kind == Int64 }

// IsFloat reports whether t is a floating-point type.
func (t Type) IsFloat() bool { return t.Kind == Float32 || t.Kind == Float64 }

// IsString reports whether t is stored as Arrow strings and compares as
// text (text, varchar, name).
func (t Type) IsString() bool { return t.Kind == Text || t.Kind == Varchar || t.Kind == Name }

// IsTimestamp reports whether t is timestamp or timestamptz.
func (t Type) IsTimestamp() bool { return t.Kind == Timestamp || t.Kind == TimestampTZ }

// Arrow returns the physical Arrow type of t.
func (t Type) Arrow() arrow.DataType {
	switch t.Kind {
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Int16:
		return arrow.PrimitiveTypes.Int16
	case Int32:
		return arrow.PrimitiveTypes.Int32
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float32:
		return arrow.PrimitiveTypes.Float32
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Text, Varchar, Name, JSONB, Unknown:
		return arrow.BinaryTypes.String
	case Bytea:
		return arrow.BinaryTypes.Binary
	case Timestamp:
		return arrow.FixedWidthTypes.Timestamp_us
	case TimestampTZ:
		return timestampTZ
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Interval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	case Oid:
		return arrow.PrimitiveTypes.Uint32
	case Array:
		return arrow.ListOf(Type{Kind: t.Elem}.Arrow())
	}
	panic(fmt.Sprintf("BUG: no Arrow type for %v", t))
}

var timestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// Column is a named, typed column of a relation.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	// Hidden columns (stream keys, row ids) are carried through plans but
	// not shown by SELECT * or DESCRIBE.
	Hidden bool
}

// Schema is an ordered list of columns.
type Schema []Column

// Index returns the index of the visible column named name
// (case-insensitively, as unquoted identifiers are folded), or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Arrow returns the Arrow schema of s.
func (s Schema) Arrow() *arrow.Schema {
	fields := make([]arrow.Field, len(s))
	for i, c := range s {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// Visible returns the indexes of the columns that are not hidden.
func (s Schema) Visible() []int {
	idx := make([]int, 0, len(s))
	for i, c := range s {
		if !c.Hidden {
			idx = append(idx, i)
		}
	}
	return idx
}
