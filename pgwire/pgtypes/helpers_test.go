package pgtypes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/sql/types"
)

// fromJSON builds an Arrow array of typ's physical type from a JSON list
// (Arrow's JSON conventions: bytea as base64, intervals as objects).
func fromJSON(t testing.TB, mem memory.Allocator, typ types.Type, js string) arrow.Array {
	t.Helper()
	arr, _, err := array.FromJSON(mem, typ.Arrow(), strings.NewReader(js))
	if err != nil {
		t.Fatalf("FromJSON(%s, %s): %v", typ, js, err)
	}
	return arr
}

// newRecord assembles equally long columns into a record batch and
// releases the caller's references to them.
func newRecord(t testing.TB, cols ...arrow.Array) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: c.DataType(), Nullable: true}
	}
	rows := 0
	if len(cols) > 0 {
		rows = cols[0].Len()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// checkedMem returns an allocator that fails the test if anything built
// from it is still allocated when the test ends.
func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// rowsAsText renders every row of the last encoded batch, NULL as nil.
func rowsAsText(e *Encoder) [][]*string {
	var out [][]*string
	var buf [][]byte
	for r := range e.Rows() {
		buf = e.Row(r, buf)
		row := make([]*string, len(buf))
		for c, v := range buf {
			if v != nil {
				s := string(v)
				row[c] = &s
			}
		}
		out = append(out, row)
	}
	return out
}
