package ops

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/expr"
	"github.com/tocsin-db/tocsin/engine/view"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/scalar"
	"github.com/tocsin-db/tocsin/sql/plan"
	"github.com/tocsin-db/tocsin/sql/types"
)

var (
	streamSchema = types.Schema{{Name: "svc", Type: types.VarcharType, Nullable: true}, {Name: "lat", Type: types.Float64Type}}
	tableSchema  = types.Schema{{Name: "service", Type: types.TextType}, {Name: "max_ms", Type: types.Float64Type, Nullable: true}, {Name: "tier", Type: types.Int32Type}}
)

func datumRec(schema types.Schema, rows [][]types.Datum) arrow.RecordBatch {
	cols := make([]arrow.Array, len(schema))
	for c, col := range schema {
		ds := make([]types.Datum, len(rows))
		for i, r := range rows {
			ds[i] = r[c]
			ds[i].Type = col.Type
		}
		cols[c] = functions.BuildArray(col.Type, ds)
	}
	return array.NewRecordBatch(schema.Arrow(), cols, int64(len(rows)))
}

func renderRows(rec arrow.RecordBatch, schema types.Schema) []string {
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		parts := make([]string, len(schema))
		for c, col := range schema {
			parts[c] = functions.DatumAt(rec.Column(c), col.Type, i).String()
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// TestLookupJoinAgainstNestedLoop compares the stream-table join (inner
// and left, point lookups and hash index, with and without a residual,
// either side first) with a plain nested loop.
func TestLookupJoinAgainstNestedLoop(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	var tabRows [][]types.Datum
	for i := 0; i < 12; i++ {
		tabRows = append(tabRows, []types.Datum{
			types.StringDatum(types.TextType, fmt.Sprintf("s%d", i)),
			types.FloatDatum(types.Float64Type, float64(rng.Intn(300))),
			types.IntDatum(types.Int32Type, int64(i%3)),
		})
	}
	tabRows[5][1] = types.NullDatum(types.Float64Type)
	var streamRows [][]types.Datum
	for i := 0; i < 200; i++ {
		svc := types.StringDatum(types.VarcharType, fmt.Sprintf("s%d", rng.Intn(16)))
		if rng.Intn(15) == 0 {
			svc = types.NullDatum(types.VarcharType)
		}
		streamRows = append(streamRows, []types.Datum{svc, types.FloatDatum(types.Float64Type, float64(rng.Intn(400)))})
	}
	reg := functions.NewRegistry()
	scalar.Register(reg)
	gt, _, _ := reg.ResolveScalar(">", []types.Type{types.Float64Type, types.Float64Type}, 0)

	for _, pk := range []bool{true, false} {
		keyCols := []int{0}
		if !pk {
			keyCols = []int{2} // join on tier: several rows per key
		}
		store := view.NewStore(tableSchema, []int{0}, true)
		_ = store.Apply(batch.Chunk{Rec: datumRec(tableSchema, tabRows)})
		store.Publish()
		for _, left := range []bool{false, true} {
			for _, streamFirst := range []bool{true, false} {
				for _, residual := range []bool{false, true} {
					streamKey := 0
					if !pk {
						streamKey = 1 // lat (float) = tier (int) never equal... use a derived int below
					}
					out := append(append(types.Schema{}, streamSchema...), tableSchema...)
					latCol, maxCol := 1, 3
					if !streamFirst {
						out = append(append(types.Schema{}, tableSchema...), streamSchema...)
						latCol, maxCol = 4, 1
					}
					for i := range out {
						out[i].Nullable = true
					}
					cfg := LookupJoinConfig{Stream: streamSchema, Table: tableSchema, StreamKeys: []int{streamKey}, TableKeys: keyCols,
						TableKeyIsPK: pk, Left: left, StreamFirst: streamFirst, Snapshot: store.Read, Out: out}
					stream := streamSchema
					rows := streamRows
					if !pk {
						// Join the stream's lat (as int tier 0..2) with the table's tier.
						stream = types.Schema{{Name: "svc", Type: types.VarcharType, Nullable: true}, {Name: "tier", Type: types.Int32Type}}
						rows = nil
						for _, r := range streamRows {
							rows = append(rows, []types.Datum{r[0], types.IntDatum(types.Int32Type, int64(r[1].F)%4)})
						}
						cfg.Stream = stream
						out = append(append(types.Schema{}, stream...), tableSchema...)
						if !streamFirst {
							out = append(append(types.Schema{}, tableSchema...), stream...)
						}
						cfg.Out = out
					}
					var resid plan.Expr
					if residual {
						resid = &plan.Call{Fn: gt, Kernel: gt.Kernel, Typ: types.BoolType, Args: []plan.Expr{
							&plan.ColRef{Idx: maxCol, Typ: types.Float64Type}, &plan.Const{Val: types.FloatDatum(types.Float64Type, 100)}}}
						if !pk {
							resid = &plan.Call{Fn: gt, Kernel: gt.Kernel, Typ: types.BoolType, Args: []plan.Expr{
								&plan.ColRef{Idx: maxCol, Typ: types.Float64Type}, &plan.Const{Val: types.FloatDatum(types.Float64Type, 100)}}}
						}
						ev, err := expr.Compile(resid)
						if err != nil {
							t.Fatal(err)
						}
						cfg.Residual = ev
					}
					_ = latCol
					j := NewLookupJoin(cfg)
					var got []string
					err := j.Push(&functions.Context{}, batch.Chunk{Rec: datumRec(stream, rows)}, func(c batch.Chunk) error {
						got = append(got, renderRows(c.Rec, out)...)
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					// Reference: nested loop.
					var want []string
					sk, tk := streamKey, keyCols[0]
					if !pk {
						sk = 1
					}
					for _, s := range rows {
						found := false
						for _, tr := range tabRows {
							if s[sk].Null || tr[tk].Null || s[sk].String() != tr[tk].String() {
								continue
							}
							if residual && (tr[1].Null || tr[1].F <= 100) {
								continue
							}
							found = true
							want = append(want, joinRow(s, tr, streamFirst))
						}
						if !found && left {
							nulls := []types.Datum{types.NullDatum(types.TextType), types.NullDatum(types.Float64Type), types.NullDatum(types.Int32Type)}
							want = append(want, joinRow(s, nulls, streamFirst))
						}
					}
					sort.Strings(got)
					sort.Strings(want)
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("pk=%v left=%v streamFirst=%v residual=%v:\n got %d rows\nwant %d rows\n%v\n%v", pk, left, streamFirst, residual, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
					}
				}
			}
		}
	}
}

func joinRow(s, t []types.Datum, streamFirst bool) string {
	var parts []string
	first, second := s, t
	if !streamFirst {
		first, second = t, s
	}
	for _, d := range first {
		parts = append(parts, d.String())
	}
	for _, d := range second {
		parts = append(parts, d.String())
	}
	return strings.Join(parts, "|")
}
