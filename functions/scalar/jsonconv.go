package scalar

import (
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// to_jsonb / to_json: a value as jsonb text, as Postgres's
// datum_to_jsonb renders it. Postgres declares them over anyelement; the
// registry has no such pseudo-type, so there is one overload per scalar
// type.

var toJSONTypes = []types.Type{
	types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type,
	types.Float64Type, types.TextType, types.TimestampType, types.TimestampTZType, types.DateType,
	types.IntervalType, types.JSONBType, types.OidType,
}

func toJSONKernel(t types.Type) functions.Kernel {
	return func(_ *functions.Context, args []functions.Value, n int) (functions.Value, error) {
		return toJSON(t, args, n)
	}
}

func toJSON(t types.Type, args []functions.Value, n int) (functions.Value, error) {
	w := newTextWriter(args[0], t)
	validity := validityOf(n, args)
	offsets := make([]int32, n+1)
	var data, buf []byte
	for i := 0; i < n; i++ {
		data = presize(data, i, n)
		if valid(validity, i) {
			buf = w.appendRow(buf[:0], i)
			data = appendJSONOf(data, buf, t)
			if len(data) > maxTextBytes {
				return functions.Value{}, tooLarge()
			}
		}
		offsets[i+1] = int32(len(data))
	}
	return textResult(types.JSONBType, offsets, data, validity), nil
}

// appendJSONOf appends a value of type t, given as its text, as JSON.
func appendJSONOf(dst, text []byte, t types.Type) []byte {
	switch {
	case t.Kind == types.JSONB, t.Kind == types.Bool, t.IsInteger(), t.Kind == types.Oid:
		return append(dst, text...)
	case t.IsFloat():
		if s := string(text); s == "NaN" || s == "Infinity" || s == "-Infinity" {
			return types.AppendJSONString(dst, text)
		}
		return append(dst, text...)
	case t.IsTimestamp():
		// ISO 8601 with a 'T' and, for timestamptz, a full offset.
		if len(text) > 10 && text[10] == ' ' {
			text[10] = 'T'
			if t.Kind == types.TimestampTZ {
				if k := len(text) - 3; k > 10 && text[k] == '+' {
					text = append(text, ":00"...)
				}
			}
		}
		return types.AppendJSONString(dst, text)
	}
	return types.AppendJSONString(dst, text)
}
