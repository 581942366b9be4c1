package engine

import (
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Rows-mode sinks send each change row as a JSON object: the row's
// visible columns by name, plus "op" ("insert" or "delete"). Numbers are
// JSON numbers (NaN and ±Infinity are strings, as Postgres's to_json
// renders them), booleans are booleans, timestamps are RFC 3339 strings
// in UTC, jsonb is embedded as JSON, NULL is null. The record key is the
// JSON array of the label columns' text, so updates of one key land in
// one Kafka partition.

// rowJSON renders row i of rec (skipping column skip) with its op.
func rowJSON(rec arrow.RecordBatch, schema types.Schema, skip int, op string, i int) []byte {
	b := []byte(`{"op":`)
	b = types.AppendJSONString(b, []byte(op))
	for _, c := range schema.Visible() {
		if c == skip {
			continue
		}
		b = append(b, ',')
		b = types.AppendJSONString(b, []byte(schema[c].Name))
		b = append(b, ':')
		b = appendJSONValue(b, rec.Column(c), schema[c].Type, i)
	}
	return append(b, '}')
}

// rowKeyJSON renders the key columns of row i as a JSON array of text.
func rowKeyJSON(rec arrow.RecordBatch, ts []types.Type, key []int, i int) []byte {
	if len(key) == 0 {
		return nil
	}
	b := []byte{'['}
	for k, c := range key {
		if k > 0 {
			b = append(b, ',')
		}
		arr := rec.Column(c)
		if arr.IsNull(i) {
			b = append(b, "null"...)
			continue
		}
		b = types.AppendJSONString(b, []byte(functions.DatumAt(arr, ts[c], i).String()))
	}
	return append(b, ']')
}

func appendJSONValue(b []byte, arr arrow.Array, t types.Type, i int) []byte {
	if arr.IsNull(i) {
		return append(b, "null"...)
	}
	d := functions.DatumAt(arr, t, i)
	switch t.Kind {
	case types.Bool:
		return strconv.AppendBool(b, d.Bool())
	case types.Int16, types.Int32, types.Int64, types.Oid:
		return strconv.AppendInt(b, d.I, 10)
	case types.Float32, types.Float64:
		if math.IsNaN(d.F) || math.IsInf(d.F, 0) {
			return types.AppendJSONString(b, []byte(d.String()))
		}
		return strconv.AppendFloat(b, d.F, 'g', -1, 64)
	case types.Timestamp, types.TimestampTZ:
		return types.AppendJSONString(b, []byte(time.UnixMicro(d.I).UTC().Format(time.RFC3339Nano)))
	case types.JSONB:
		return append(b, d.S...)
	}
	return types.AppendJSONString(b, []byte(d.String()))
}
