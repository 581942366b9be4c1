package aggregate

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// benchCase is one aggregate call benchmarked on 4096-row batches over
// 1,000 groups.
type benchCase struct {
	label string
	c     aggCase
	// grows marks append-only states that keep every input; they are
	// rebuilt (untimed) every few batches so memory stays bounded.
	grows bool
}

func benchCases() []benchCase {
	f8, i4, i8, txt, ts := types.Float64Type, types.Int32Type, types.Int64Type, types.TextType, types.TimestampType
	fl := func(rng *rand.Rand) types.Datum { return types.FloatDatum(f8, rng.NormFloat64()*100+1000) }
	in := func(t types.Type, n int64) func(*rand.Rand) types.Datum {
		return func(rng *rand.Rand) types.Datum { return types.IntDatum(t, rng.Int63n(n)) }
	}
	word := func(rng *rand.Rand) types.Datum {
		return types.StringDatum(txt, textPool[rng.Intn(len(textPool))]+"-word")
	}
	comma := genConst(types.StringDatum(txt, ","))
	half := genConst(types.FloatDatum(f8, 0.5))
	asc := []functions.OrderKey{{}}
	one := func(label, name string, t types.Type, gen func(*rand.Rand) types.Datum, opts functions.AggOptions) benchCase {
		return benchCase{label: label, c: aggCase{name: name, resolve: []types.Type{t}, args: []types.Type{t}, opts: opts, gen: genRow(gen)}}
	}
	rt := functions.AggOptions{Retractable: true}
	return []benchCase{
		one("count", "count", i8, in(i8, 1000), functions.AggOptions{}),
		one("count_distinct", "count", i8, in(i8, 1000), functions.AggOptions{Distinct: true}),
		one("count_distinct_retract", "count", i8, in(i8, 1000), functions.AggOptions{Distinct: true, Retractable: true}),
		one("sum_float8", "sum", f8, fl, functions.AggOptions{}),
		one("avg_int4", "avg", i4, in(i4, 1000), functions.AggOptions{}),
		one("var_samp_float8", "var_samp", f8, fl, functions.AggOptions{}),
		one("stddev_int4_retract", "stddev", i4, in(i4, 1000), rt),
		one("bool_and", "bool_and", types.BoolType, genBool, functions.AggOptions{}),
		one("max_float8", "max", f8, fl, functions.AggOptions{}),
		one("max_float8_retract", "max", f8, fl, rt),
		one("min_text_retract", "min", txt, word, rt),
		{label: "string_agg", grows: true, c: aggCase{name: "string_agg", resolve: []types.Type{txt, txt},
			args: []types.Type{txt, txt}, gen: genRow(word, comma)}},
		{label: "string_agg_order_retract", c: aggCase{name: "string_agg", resolve: []types.Type{txt, txt},
			args: []types.Type{txt, txt, i8}, opts: functions.AggOptions{Retractable: true, Order: asc}, gen: genRow(word, comma, in(i8, 1<<40))}},
		{label: "first_value", c: aggCase{name: "first_value", resolve: []types.Type{f8}, args: []types.Type{f8, ts},
			opts: functions.AggOptions{Order: asc}, gen: genRow(fl, in(ts, 1<<40))}},
		{label: "last_value_retract", c: aggCase{name: "last_value", resolve: []types.Type{f8}, args: []types.Type{f8, ts},
			opts: functions.AggOptions{Order: asc, Retractable: true}, gen: genRow(fl, in(ts, 1<<40))}},
		{label: "percentile_cont", grows: true, c: aggCase{name: "percentile_cont", resolve: []types.Type{f8, f8}, args: []types.Type{f8, f8},
			opts: functions.AggOptions{Order: asc}, gen: genRow(half, fl)}},
		{label: "percentile_cont_retract", c: aggCase{name: "percentile_cont", resolve: []types.Type{f8, f8}, args: []types.Type{f8, f8},
			opts: functions.AggOptions{Order: asc, Retractable: true}, gen: genRow(half, fl)}},
		{label: "percentile_disc_int4_retract", c: aggCase{name: "percentile_disc", resolve: []types.Type{f8, i4}, args: []types.Type{f8, i4},
			opts: functions.AggOptions{Order: asc, Retractable: true}, gen: genRow(half, in(i4, 1000))}},
		{label: "approx_percentile", c: aggCase{name: "approx_percentile", resolve: []types.Type{f8, f8}, args: []types.Type{f8, f8},
			gen: genRow(fl, half)}},
		one("approx_count_distinct_int8", "approx_count_distinct", i8, in(i8, 1<<40), functions.AggOptions{}),
		one("approx_count_distinct_text", "approx_count_distinct", txt, word, functions.AggOptions{}),
	}
}

// BenchmarkAggregates folds 4096-row batches into 1,000 groups. States
// that accept retractions start with one batch of other rows and then
// alternate an inserting batch with the batch that retracts it, so their
// size stays constant and groups never empty; Finalize of every group
// runs once per 16 batches.
func BenchmarkAggregates(b *testing.B) { benchAggregates(b, 4096, nil) }

// BenchmarkAggregateKernels is BenchmarkAggregates on 1,024-row batches
// for the kernels of the common windowed views (count, sum, avg, min,
// max, approx_percentile): ns/op is per batch of 1,024 rows over 1,000
// groups.
//
//	go test ./functions/aggregate -run '^$' -bench AggregateKernels -count 5
func BenchmarkAggregateKernels(b *testing.B) {
	benchAggregates(b, 1024, map[string]bool{
		"count": true, "sum_float8": true, "avg_int4": true, "min_float8": true,
		"max_float8": true, "approx_percentile": true,
	})
}

// benchAggregates runs the bench cases (those in only, if set) on n-row
// batches over 1,000 groups.
func benchAggregates(b *testing.B, n int, only map[string]bool) {
	r := testRegistry()
	const groups = 1000
	cases := benchCases()
	if only != nil {
		fl := func(rng *rand.Rand) types.Datum {
			return types.FloatDatum(types.Float64Type, rng.NormFloat64()*100+1000)
		}
		f8 := types.Float64Type
		cases = append(cases, benchCase{label: "min_float8", c: aggCase{name: "min", resolve: []types.Type{f8}, args: []types.Type{f8}, gen: genRow(fl)}})
	}
	for _, bc := range cases {
		if only != nil && !only[bc.label] {
			continue
		}
		b.Run(bc.label, func(b *testing.B) {
			rng := rand.New(rand.NewSource(1))
			c := bc.c
			batch := func() []arrow.Array {
				cols := make([][]types.Datum, len(c.args))
				for i := 0; i < n; i++ {
					rw := c.gen(rng)
					for k := range cols {
						cols[k] = append(cols[k], rw[k])
					}
				}
				args := make([]arrow.Array, len(c.args))
				for k, t := range c.args {
					args[k] = functions.BuildArray(t, cols[k])
				}
				return args
			}
			base, args := batch(), batch()
			gs := make([]uint32, n)
			for i := range gs {
				gs[i] = uint32(i * 7919 % groups)
			}
			all := make([]uint32, groups)
			for i := range all {
				all[i] = uint32(i)
			}
			ins, del := make([]int8, n), make([]int8, n)
			for i := range ins {
				ins[i], del[i] = 1, -1
			}
			fresh := func() functions.GroupState {
				s, _ := c.newState(b, r)
				s.Resize(groups)
				if c.opts.Retractable {
					if err := s.Update(base, gs, nil); err != nil {
						b.Fatal(err)
					}
				}
				return s
			}
			s := fresh()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var signs []int8
				if c.opts.Retractable {
					signs = ins
					if i%2 == 1 {
						signs = del
					}
				}
				if err := s.Update(args, gs, signs); err != nil {
					b.Fatal(err)
				}
				if i%16 == 15 {
					if _, err := s.Finalize(all); err != nil {
						b.Fatal(err)
					}
				}
				if bc.grows && i%64 == 63 {
					b.StopTimer()
					s = fresh()
					b.StartTimer()
				}
			}
		})
	}
}
