package types

// numericRank orders the numeric kinds for promotion.
func numericRank(k Kind) int {
	switch k {
	case Int16:
		return 1
	case Int32:
		return 2
	case Int64:
		return 3
	case Float32:
		return 4
	case Float64:
		return 5
	}
	return 0
}

// CommonNumeric returns the type both numeric operands promote to, as
// Postgres's implicit casts choose it (int2 < int4 < int8 < float4 <
// float8; an integer mixed with real widens to double precision). ok is
// false if either type is not numeric.
func CommonNumeric(a, b Type) (Type, bool) {
	ra, rb := numericRank(a.Kind), numericRank(b.Kind)
	if ra == 0 || rb == 0 {
		return Type{}, false
	}
	if (a.Kind == Float32 && b.IsInteger()) || (b.Kind == Float32 && a.IsInteger()) {
		return Float64Type, true
	}
	if ra >= rb {
		return a, true
	}
	return b, true
}

// ImplicitCast reports whether a value of type from may be used where to
// is expected without an explicit CAST, following Postgres's implicit
// cast table for the types Tocsin has. Unknown (an untyped literal or
// NULL) casts implicitly to anything.
func ImplicitCast(from, to Type) bool {
	if from == to || from.Kind == Unknown {
		return true
	}
	if from.IsNumeric() && to.IsNumeric() {
		return numericRank(from.Kind) <= numericRank(to.Kind)
	}
	if from.IsString() && to.IsString() {
		return true
	}
	switch {
	case from.Kind == Timestamp && to.Kind == TimestampTZ,
		from.Kind == Date && to.IsTimestamp(),
		from.Kind == Oid && to.Kind == Int64:
		return true
	}
	return false
}

// Comparable reports whether values of a and b can be compared after
// implicit casts, and the type they are compared as.
func Comparable(a, b Type) (Type, bool) {
	switch {
	case a == b:
		return a, true
	case a.Kind == Unknown:
		return b, true
	case b.Kind == Unknown:
		return a, true
	}
	if t, ok := CommonNumeric(a, b); ok {
		return t, true
	}
	if a.IsString() && b.IsString() {
		return TextType, true
	}
	if (a.IsTimestamp() || a.Kind == Date) && (b.IsTimestamp() || b.Kind == Date) {
		if a.Kind == TimestampTZ || b.Kind == TimestampTZ {
			return TimestampTZType, true
		}
		return TimestampType, true
	}
	if a.Kind == Oid && b.IsInteger() || b.Kind == Oid && a.IsInteger() {
		return Int64Type, true
	}
	return Type{}, false
}
