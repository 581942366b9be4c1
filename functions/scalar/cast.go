package scalar

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

var castableScalars = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type,
	types.Float64Type, types.TextType, types.VarcharType, types.NameType, types.JSONBType,
	types.TimestampType, types.TimestampTZType, types.DateType, types.IntervalType, types.OidType,
	types.ByteaType,
}

func registerCasts(r *functions.Registry) {
	for _, from := range castableScalars {
		for _, to := range castableScalars {
			if from == to {
				continue
			}
			if ctx, ok := castAllowed(from, to); ok {
				r.AddCast(&functions.Cast{From: from, To: to, Context: ctx, Kernel: CastValue})
			}
		}
	}
}

// castAllowed says whether Tocsin can cast from → to and in which
// context, following Postgres's pg_cast for these types.
func castAllowed(from, to types.Type) (functions.CastContext, bool) {
	switch {
	case types.ImplicitCast(from, to):
		return functions.CastImplicit, true
	case to.IsString():
		return functions.CastAssignment, true
	case from.IsString():
		return functions.CastExplicit, true
	case from.IsNumeric() && to.IsNumeric():
		return functions.CastAssignment, true
	case from.Kind == types.Bool && to.Kind == types.Int32, from.Kind == types.Int32 && to.Kind == types.Bool:
		return functions.CastExplicit, true
	case from.IsTimestamp() && (to.IsTimestamp() || to.Kind == types.Date):
		return functions.CastAssignment, true
	case from.IsInteger() && to.Kind == types.Oid, from.Kind == types.Oid && to.IsInteger():
		return functions.CastImplicit, true
	}
	return 0, false
}

// CastValue converts v from one type to another.
func CastValue(_ *functions.Context, v functions.Value, from, to types.Type, n int) (functions.Value, error) {
	if from == to || (from.IsString() && to.IsString() && to.Kind != types.JSONB) {
		if v.IsScalar() {
			v.Scalar.Type = to
		}
		return v, nil
	}
	if v.IsScalar() {
		d, err := CastDatum(v.Scalar, to)
		return functions.ScalarValue(d), err
	}
	// Widening between fixed-width numerics is the common case in plans;
	// give it a direct loop.
	if from.IsInteger() && to.Kind == types.Int64 {
		return widen[int64](v, from, to, n), nil
	}
	if from.IsNumeric() && to.Kind == types.Float64 {
		return widen[float64](v, from, to, n), nil
	}
	if from.IsTimestamp() && to.IsTimestamp() {
		out := make([]int64, n)
		copy(out, vec.Values[int64](v.Array))
		bm, _ := vec.Validity(v.Array)
		return functions.ArrayValue(vec.NewFixed(to.Arrow(), out, cloneValidity(v, n, bm), v.Array.NullN())), nil
	}
	ds := make([]types.Datum, n)
	for i := 0; i < n; i++ {
		d := functions.DatumAt(v.Array, from, i)
		if d.Null {
			ds[i] = types.NullDatum(to)
			continue
		}
		c, err := CastDatum(d, to)
		if err != nil {
			return functions.Value{}, err
		}
		ds[i] = c
	}
	return functions.ArrayValue(functions.BuildArray(to, ds)), nil
}

func cloneValidity(v functions.Value, n int, bm []byte) []byte {
	if bm == nil {
		return nil
	}
	return vec.AndValidity(n, v.Array)
}

func widen[O int64 | float64](v functions.Value, from, to types.Type, n int) functions.Value {
	out := make([]O, n)
	switch physOf(from) {
	case physI16:
		for i, x := range vec.Values[int16](v.Array) {
			out[i] = O(x)
		}
	case physI32:
		for i, x := range vec.Values[int32](v.Array) {
			out[i] = O(x)
		}
	case physI64:
		for i, x := range vec.Values[int64](v.Array) {
			out[i] = O(x)
		}
	case physF32:
		for i, x := range vec.Values[float32](v.Array) {
			out[i] = O(x)
		}
	case physF64:
		for i, x := range vec.Values[float64](v.Array) {
			out[i] = O(x)
		}
	}
	return functions.ArrayValue(vec.NewFixed(to.Arrow(), out, vec.AndValidity(n, v.Array), -1))
}

func invalidInput(to types.Type, s string) error {
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", to, s)
}

// CastDatum converts one non-NULL or NULL datum.
func CastDatum(d types.Datum, to types.Type) (types.Datum, error) {
	if d.Null {
		return types.NullDatum(to), nil
	}
	from := d.Type
	if from == to {
		return d, nil
	}
	switch {
	case to.IsString():
		return types.StringDatum(to, TextOf(d)), nil
	case from.IsString() || from.Kind == types.Unknown:
		return ParseText(d.S, to)
	case to.IsInteger() || to.Kind == types.Oid:
		var v int64
		switch {
		case from.IsFloat():
			f := math.RoundToEven(d.F)
			if math.IsNaN(f) || f < -9.2233720368547758e18 || f >= 9.2233720368547758e18 {
				return types.Datum{}, outOfRange(to)
			}
			v = int64(f)
		default:
			v = d.I
		}
		if to.Kind == types.Oid {
			if v < 0 || v > math.MaxUint32 {
				return types.Datum{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "OID out of range")
			}
			return types.IntDatum(to, v), nil
		}
		if lo, hi := intRange(to); v < lo || v > hi {
			return types.Datum{}, outOfRange(to)
		}
		return types.IntDatum(to, v), nil
	case to.IsFloat():
		f := d.F
		if !from.IsFloat() {
			f = float64(d.I)
		}
		if to.Kind == types.Float32 {
			if !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
				return types.Datum{}, outOfRange(to)
			}
			f = float64(float32(f))
		}
		return types.FloatDatum(to, f), nil
	case to.Kind == types.Bool && from.IsInteger():
		return types.BoolDatum(d.I != 0), nil
	case to.IsTimestamp() && from.IsTimestamp():
		return types.IntDatum(to, d.I), nil
	case to.IsTimestamp() && from.Kind == types.Date:
		return types.IntDatum(to, d.I*types.MicrosPerDay), nil
	case to.Kind == types.Date && from.IsTimestamp():
		days := d.I / types.MicrosPerDay
		if d.I%types.MicrosPerDay < 0 {
			days--
		}
		return types.IntDatum(to, days), nil
	}
	return types.Datum{}, sqlerr.New(sqlerr.InvalidParameterType, "cannot cast type %s to %s", from, to)
}

// TextOf renders a non-NULL datum as Postgres's cast to text does (which
// differs from the wire output only for booleans: 'true'/'false').
func TextOf(d types.Datum) string {
	if d.Type.Kind == types.Bool {
		if d.I != 0 {
			return "true"
		}
		return "false"
	}
	return d.String()
}

// ParseText converts text input to a datum of type to, as Postgres's
// type input functions do.
func ParseText(s string, to types.Type) (types.Datum, error) {
	t := strings.TrimSpace(s)
	switch {
	case to.IsString():
		return types.StringDatum(to, s), nil
	case to.IsInteger() || to.Kind == types.Oid:
		v, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return types.Datum{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "value %q is out of range for type %s", s, to)
			}
			return types.Datum{}, invalidInput(to, s)
		}
		if lo, hi := intRange(to); to.Kind != types.Oid && (v < lo || v > hi) {
			return types.Datum{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "value %q is out of range for type %s", s, to)
		}
		return types.IntDatum(to, v), nil
	case to.IsFloat():
		var f float64
		switch strings.ToLower(t) {
		case "nan":
			f = math.NaN()
		case "infinity", "inf", "+infinity", "+inf":
			f = math.Inf(1)
		case "-infinity", "-inf":
			f = math.Inf(-1)
		default:
			var err error
			f, err = strconv.ParseFloat(t, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return types.Datum{}, sqlerr.New(sqlerr.NumericValueOutOfRange, "%q is out of range for type %s", s, to)
				}
				return types.Datum{}, invalidInput(to, s)
			}
		}
		if to.Kind == types.Float32 {
			f = float64(float32(f))
		}
		return types.FloatDatum(to, f), nil
	case to.Kind == types.Bool:
		switch strings.ToLower(t) {
		case "t", "true", "y", "yes", "on", "1":
			return types.BoolDatum(true), nil
		case "f", "false", "n", "no", "off", "0":
			return types.BoolDatum(false), nil
		}
		return types.Datum{}, invalidInput(to, s)
	case to.IsTimestamp():
		us, err := types.ParseTimestamp(t)
		if err != nil {
			if errors.Is(err, types.ErrFieldRange) {
				return types.Datum{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
			}
			return types.Datum{}, sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", to, s)
		}
		return types.IntDatum(to, us), nil
	case to.Kind == types.Date:
		days, err := types.ParseDate(t)
		if err != nil {
			us, err2 := types.ParseTimestamp(t)
			if errors.Is(err, types.ErrFieldRange) || errors.Is(err2, types.ErrFieldRange) {
				return types.Datum{}, sqlerr.New(sqlerr.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
			}
			if err2 != nil {
				return types.Datum{}, sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type date: %q", s)
			}
			days = int32(us / types.MicrosPerDay)
		}
		return types.IntDatum(to, int64(days)), nil
	case to.Kind == types.Interval:
		iv, err := types.ParseInterval(t, "")
		if err != nil {
			return types.Datum{}, sqlerr.New(sqlerr.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
		}
		return types.Datum{Type: to, Iv: iv}, nil
	case to.Kind == types.JSONB:
		if !utf8.ValidString(s) {
			return types.Datum{}, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type json")
		}
		canon, err := types.AppendJSONB(nil, []byte(s))
		if err != nil {
			return types.Datum{}, jsonInputErr(err)
		}
		return types.StringDatum(to, string(canon)), nil
	case to.Kind == types.Bytea:
		return types.StringDatum(to, s), nil
	}
	return types.Datum{}, sqlerr.New(sqlerr.InvalidParameterType, "cannot cast text to %s", to)
}
