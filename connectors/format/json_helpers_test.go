package format

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/types"
)

// newTestDecoder returns a decoder over a checked allocator that the test
// verifies is empty at cleanup.
func newTestDecoder(t testing.TB, schema types.Schema, opts JSONOptions) *JSONDecoder {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	d, err := NewJSONDecoder(mem, schema, opts)
	if err != nil {
		t.Fatalf("NewJSONDecoder: %v", err)
	}
	t.Cleanup(func() {
		d.Release()
		mem.AssertSize(t, 0)
	})
	return d
}

// rowValues converts row i of rec into plain Go values: nil for NULL,
// bool, int64 (all integer, timestamp and date columns), float64, string,
// arrow.MonthDayNanoInterval.
func rowValues(rec arrow.RecordBatch, i int) []any {
	out := make([]any, rec.NumCols())
	for c := range out {
		col := rec.Column(c)
		if col.IsNull(i) {
			continue
		}
		switch a := col.(type) {
		case *array.Boolean:
			out[c] = a.Value(i)
		case *array.Int16:
			out[c] = int64(a.Value(i))
		case *array.Int32:
			out[c] = int64(a.Value(i))
		case *array.Int64:
			out[c] = a.Value(i)
		case *array.Uint32:
			out[c] = int64(a.Value(i))
		case *array.Float32:
			out[c] = float64(a.Value(i))
		case *array.Float64:
			out[c] = a.Value(i)
		case *array.String:
			out[c] = a.Value(i)
		case *array.Timestamp:
			out[c] = int64(a.Value(i))
		case *array.Date32:
			out[c] = int64(a.Value(i))
		case *array.MonthDayNanoInterval:
			out[c] = a.Value(i)
		default:
			panic("BUG: unhandled array type " + col.DataType().String())
		}
	}
	return out
}

// decodeOne decodes a single record with a fresh decoder and returns its
// row, or the decode error.
func decodeOne(t testing.TB, schema types.Schema, input string) ([]any, error) {
	t.Helper()
	d := newTestDecoder(t, schema, JSONOptions{})
	if err := d.Append([]byte(input)); err != nil {
		if d.Len() != 0 {
			t.Fatalf("failed Append left %d rows", d.Len())
		}
		return nil, err
	}
	rec := d.Flush()
	defer rec.Release()
	if rec.NumRows() != 1 {
		t.Fatalf("rows = %d, want 1", rec.NumRows())
	}
	return rowValues(rec, 0), nil
}

// classOf returns the reject class of a decode error, or 0.
func classOf(err error) connectors.ErrorClass {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Class
	}
	return 0
}

func col(name string, t types.Type) types.Column {
	return types.Column{Name: name, Type: t, Nullable: true}
}
