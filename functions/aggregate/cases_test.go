package aggregate

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Value generators: small domains so that duplicates, ties and
// retractions of equal values are common.

func maybeNull(rng *rand.Rand, t types.Type, p int) (types.Datum, bool) {
	if rng.Intn(p) == 0 {
		return types.NullDatum(t), true
	}
	return types.Datum{}, false
}

func genInt(t types.Type, lo, hi int64) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		if d, ok := maybeNull(rng, t, 9); ok {
			return d
		}
		return types.IntDatum(t, lo+rng.Int63n(hi-lo+1))
	}
}

// genFloat draws quarter-integers with a large offset, NaN and ±Inf
// now and then when special is set.
func genFloat(t types.Type, offset float64, special bool) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		if d, ok := maybeNull(rng, t, 9); ok {
			return d
		}
		if special && rng.Intn(25) == 0 {
			return types.FloatDatum(t, []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.Intn(3)])
		}
		v := offset + math.Round(rng.NormFloat64()*40)/4
		if t.Kind == types.Float32 {
			v = float64(float32(v))
		}
		return types.FloatDatum(t, v)
	}
}

var textPool = []string{"", "a", "ab", "b", "a\x00b", "a\x00", "zz", "é", "abc", "B"}

func genText(t types.Type) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		if d, ok := maybeNull(rng, t, 9); ok {
			return d
		}
		return types.StringDatum(t, textPool[rng.Intn(len(textPool))])
	}
}

func genBool(rng *rand.Rand) types.Datum {
	if d, ok := maybeNull(rng, types.BoolType, 8); ok {
		return d
	}
	return types.BoolDatum(rng.Intn(3) != 0)
}

func genInterval(rng *rand.Rand) types.Datum {
	if d, ok := maybeNull(rng, types.IntervalType, 9); ok {
		return d
	}
	d := types.Datum{Type: types.IntervalType}
	d.Iv = types.IntervalValue{Months: int32(rng.Intn(5) - 2), Days: int32(rng.Intn(61) - 30), Micros: int64(rng.Intn(5)-2) * 3600e6}
	return d
}

func genConst(d types.Datum) func(*rand.Rand) types.Datum {
	return func(*rand.Rand) types.Datum { return d }
}

func genRow(cols ...func(*rand.Rand) types.Datum) func(*rand.Rand) row {
	return func(rng *rand.Rand) row {
		r := make(row, len(cols))
		for i, c := range cols {
			r[i] = c(rng)
		}
		return r
	}
}

// nonNull returns column k of the rows whose column k is not NULL.
func nonNull(rows []row, k int) []types.Datum {
	var out []types.Datum
	for _, r := range rows {
		if !r[k].Null {
			out = append(out, r[k])
		}
	}
	return out
}

func distinctDatums(ds []types.Datum) []types.Datum {
	seen := map[string]bool{}
	var out []types.Datum
	for _, d := range ds {
		if k := datumKey(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}

func floats(ds []types.Datum) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.F
		if !d.Type.IsFloat() {
			out[i] = float64(d.I)
		}
	}
	return out
}

func refCount(distinct bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := nonNull(rows, 0)
		if distinct {
			vs = distinctDatums(vs)
		}
		return types.IntDatum(types.Int64Type, int64(len(vs)))
	}
}

func refSum(ret types.Type, avg, distinct bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := nonNull(rows, 0)
		if distinct {
			vs = distinctDatums(vs)
		}
		if len(vs) == 0 {
			return types.NullDatum(ret)
		}
		s := 0.0
		for _, f := range floats(vs) {
			s += f
		}
		if avg {
			s /= float64(len(vs))
		}
		if ret.IsInteger() {
			return types.IntDatum(ret, int64(s))
		}
		return types.FloatDatum(ret, s)
	}
}

// refVariance is the two-pass definition.
func refVariance(kind varKind, distinct bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := nonNull(rows, 0)
		if distinct {
			vs = distinctDatums(vs)
		}
		n := len(vs)
		samp := kind == varSamp || kind == stddevSamp
		if n == 0 || (samp && n < 2) {
			return types.NullDatum(types.Float64Type)
		}
		xs := floats(vs)
		mean := 0.0
		for _, x := range xs {
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return types.FloatDatum(types.Float64Type, math.NaN())
			}
			mean += x
		}
		mean /= float64(n)
		ss := 0.0
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		d := float64(n)
		if samp {
			d--
		}
		v := ss / d
		if kind == stddevPop || kind == stddevSamp {
			v = math.Sqrt(v)
		}
		return types.FloatDatum(types.Float64Type, v)
	}
}

func withCheck(c aggCase, check func(types.Datum, []row) error) aggCase {
	c.check = check
	return c
}

// checkVariance compares with the two-pass reference. Welford's update
// (and more so its reverse, for retractions) rounds differently, with an
// absolute error in the variance that scales with the square of the
// data's magnitude, so that is the tolerance; the standard deviations
// are compared squared, as the square root magnifies errors near 0.
func checkVariance(kind varKind, distinct bool) func(types.Datum, []row) error {
	ref := refVariance(kind, distinct)
	return func(got types.Datum, rows []row) error {
		want := ref(rows)
		if got.Null || want.Null || want.F != want.F {
			if !sameDatum(got, want, 0) {
				return fmt.Errorf("got %v, want %v", got, want)
			}
			return nil
		}
		g, w := got.F, want.F
		if kind == stddevPop || kind == stddevSamp {
			g, w = g*g, w*w
		}
		scale := 1.0
		for _, x := range floats(nonNull(rows, 0)) {
			scale = math.Max(scale, x*x)
		}
		if math.Abs(g-w) > 1e-12*scale*float64(len(rows)+1) {
			return fmt.Errorf("got %v, want %v", got.F, want.F)
		}
		return nil
	}
}

func refBool(isAnd bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := nonNull(rows, 0)
		if len(vs) == 0 {
			return types.NullDatum(types.BoolType)
		}
		acc := isAnd
		for _, v := range vs {
			if isAnd {
				acc = acc && v.Bool()
			} else {
				acc = acc || v.Bool()
			}
		}
		return types.BoolDatum(acc)
	}
}

// sortedRows returns the rows stably sorted by the ordering arguments
// that start at column first.
func sortedRows(rows []row, first int, order []functions.OrderKey) []row {
	out := append([]row(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool { return cmpKeys(out[i], out[j], first, order) < 0 })
	return out
}

func refStringAgg(t types.Type, order []functions.OrderKey, distinct bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		if distinct {
			seen := map[string]bool{}
			var d []row
			for _, r := range rows {
				if k := rowKey(r); !seen[k] {
					seen[k] = true
					d = append(d, r)
				}
			}
			rows = d
		}
		rows = sortedRows(rows, 2, order)
		var sb strings.Builder
		first := true
		for _, r := range rows {
			if r[0].Null {
				continue
			}
			if !first && !r[1].Null {
				sb.WriteString(r[1].S)
			}
			sb.WriteString(r[0].S)
			first = false
		}
		if first {
			return types.NullDatum(t)
		}
		return types.StringDatum(t, sb.String())
	}
}

func refFirstLast(t types.Type, order []functions.OrderKey, isLast bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		if len(rows) == 0 {
			return types.NullDatum(t)
		}
		s := sortedRows(rows, 1, order)
		if isLast {
			return s[len(s)-1][0]
		}
		return s[0][0]
	}
}

func sortDatums(ds []types.Datum, desc bool) []types.Datum {
	out := append([]types.Datum(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		if desc {
			return cmpDatum(out[j], out[i]) < 0
		}
		return cmpDatum(out[i], out[j]) < 0
	})
	return out
}

func refPercentile(t types.Type, frac float64, cont, desc, distinct bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := nonNull(rows, 1)
		if distinct {
			vs = distinctDatums(vs)
		}
		vs = sortDatums(vs, desc)
		n := len(vs)
		if n == 0 {
			return types.NullDatum(t)
		}
		if cont {
			pos := frac * float64(n-1)
			lo, hi := math.Floor(pos), math.Ceil(pos)
			v := vs[int(lo)].F
			if hi != lo {
				v += (vs[int(hi)].F - v) * (pos - lo)
			}
			return types.FloatDatum(types.Float64Type, v)
		}
		k := int(math.Ceil(frac * float64(n)))
		k = min(max(k, 1), n)
		return vs[k-1]
	}
}

func refExtremum(t types.Type, isMax bool) func([]row) types.Datum {
	return func(rows []row) types.Datum {
		vs := sortDatums(nonNull(rows, 0), false)
		if len(vs) == 0 {
			return types.NullDatum(t)
		}
		if isMax {
			return vs[len(vs)-1]
		}
		return vs[0]
	}
}

// checkApproxPercentile accepts a result within 1% (plus float slack)
// of the input at rank floor(p·(n−1)).
func checkApproxPercentile(p float64, distinct bool) func(types.Datum, []row) error {
	return func(got types.Datum, rows []row) error {
		vs := nonNull(rows, 0)
		if distinct {
			vs = distinctDatums(vs)
		}
		vs = sortDatums(vs, false)
		if len(vs) == 0 {
			if !got.Null {
				return fmt.Errorf("got %v for no input", got)
			}
			return nil
		}
		want := floats(vs[int(math.Floor(p*float64(len(vs)-1))):])[0]
		if got.Null {
			return fmt.Errorf("got NULL, want about %v", want)
		}
		if math.IsNaN(want) || math.IsInf(want, 0) {
			if !sameDatum(got, types.FloatDatum(types.Float64Type, want), 0) {
				return fmt.Errorf("got %v, want %v", got.F, want)
			}
			return nil
		}
		if math.Abs(got.F-want) > approxRelativeAccuracy*math.Abs(want)*(1+1e-9)+1e-300 {
			return fmt.Errorf("got %v, want %v within 1%%", got.F, want)
		}
		return nil
	}
}

// checkApproxDistinct accepts an estimate within three standard errors
// (plus one).
func checkApproxDistinct(got types.Datum, rows []row) error {
	exact := float64(len(distinctDatums(nonNull(rows, 0))))
	if got.Null || math.Abs(float64(got.I)-exact) > 3*0.0081*exact+1 {
		return fmt.Errorf("estimate %v, exact %v", got, exact)
	}
	return nil
}

func ord(desc, nullsFirst bool) functions.OrderKey {
	return functions.OrderKey{Desc: desc, NullsFirst: nullsFirst}
}

// allCases lists the calls the harness runs.
func allCases() []aggCase {
	f8, i4, i8, txt := types.Float64Type, types.Int32Type, types.Int64Type, types.TextType
	var cs []aggCase
	one := func(name string, t types.Type, gen func(*rand.Rand) types.Datum, ref func([]row) types.Datum, opts functions.AggOptions) aggCase {
		return aggCase{name: name, resolve: []types.Type{t}, args: []types.Type{t}, opts: opts, gen: genRow(gen), ref: ref}
	}
	for _, retract := range []bool{false, true} {
		for _, distinct := range []bool{false, true} {
			o := functions.AggOptions{Retractable: retract, Distinct: distinct}
			cs = append(cs,
				one("count", i4, genInt(i4, -5, 5), refCount(distinct), o),
				one("count", txt, genText(txt), refCount(distinct), o),
				one("sum", i8, genInt(i8, -50, 50), refSum(i8, false, distinct), o),
				one("avg", i4, genInt(i4, -50, 50), refSum(f8, true, distinct), o),
				one("sum", f8, genFloat(f8, 0, false), refSum(f8, false, distinct), o),
			)
			for _, f := range varianceFuncs {
				cs = append(cs,
					withCheck(one(f.name, f8, genFloat(f8, 0, true), nil, o), checkVariance(f.kind, distinct)),
					withCheck(one(f.name, i4, genInt(i4, -100, 100), nil, o), checkVariance(f.kind, distinct)),
				)
			}
			for _, isMax := range []bool{false, true} {
				name := map[bool]string{false: "min", true: "max"}[isMax]
				cs = append(cs,
					one(name, f8, genFloat(f8, 0, true), refExtremum(f8, isMax), o),
					one(name, types.Float32Type, genFloat(types.Float32Type, 0, true), refExtremum(types.Float32Type, isMax), o),
					one(name, i4, genInt(i4, -20, 20), refExtremum(i4, isMax), o),
					one(name, types.Int16Type, genInt(types.Int16Type, -20, 20), refExtremum(types.Int16Type, isMax), o),
					one(name, types.TimestampType, genInt(types.TimestampType, 0, 40), refExtremum(types.TimestampType, isMax), o),
					one(name, types.DateType, genInt(types.DateType, 0, 40), refExtremum(types.DateType, isMax), o),
					one(name, txt, genText(txt), refExtremum(txt, isMax), o),
				)
			}
			for _, name := range []string{"bool_and", "every", "bool_or"} {
				cs = append(cs, one(name, types.BoolType, genBool, refBool(name != "bool_or"), o))
			}
			// string_agg without and with ORDER BY keys. With DISTINCT,
			// Postgres requires the ORDER BY expressions among the
			// arguments: string_agg(DISTINCT x, ',' ORDER BY x).
			sep := genText(txt)
			if distinct {
				if !retract {
					cs = append(cs, aggCase{name: "string_agg", resolve: []types.Type{txt, txt}, args: []types.Type{txt, txt}, opts: o,
						gen: genRow(genText(txt), sep), ref: refStringAgg(txt, nil, true)})
				}
				for _, k := range []functions.OrderKey{ord(false, false), ord(true, true)} {
					oo := o
					oo.Order = []functions.OrderKey{k}
					gen := genRow(genText(txt), genConst(types.StringDatum(txt, ",")))
					cs = append(cs, aggCase{name: "string_agg", resolve: []types.Type{txt, txt}, args: []types.Type{txt, txt, txt}, opts: oo,
						gen: func(rng *rand.Rand) row { r := gen(rng); return append(r, r[0]) }, ref: refStringAgg(txt, oo.Order, true)})
				}
			}
			for _, order := range [][]functions.OrderKey{nil, {ord(false, false)}, {ord(true, true), ord(false, true)}} {
				if distinct {
					break
				}
				args := []types.Type{txt, txt}
				gens := []func(*rand.Rand) types.Datum{genText(txt), sep}
				for k := range order {
					if k == 0 {
						args = append(args, i8)
						gens = append(gens, genInt(i8, 0, 6))
					} else {
						args = append(args, f8)
						gens = append(gens, genFloat(f8, 0, true))
					}
				}
				oo := o
				oo.Order = order
				cs = append(cs, aggCase{name: "string_agg", resolve: []types.Type{txt, txt}, args: args, opts: oo,
					gen: genRow(gens...), ref: refStringAgg(txt, order, false)})
			}
			if !distinct || !retract {
				cs = append(cs, aggCase{name: "string_agg", resolve: []types.Type{types.ByteaType, types.ByteaType},
					args: []types.Type{types.ByteaType, types.ByteaType}, opts: o,
					gen: genRow(genText(types.ByteaType), genConst(types.StringDatum(types.ByteaType, "\x00"))),
					ref: refStringAgg(types.ByteaType, nil, distinct)})
			}
			// Exact percentiles, ascending and descending.
			for _, desc := range []bool{false, true} {
				for _, frac := range []float64{0, 0.3, 0.5, 1} {
					fracText := frac == 0.3 || (frac == 1) == desc
					oo := o
					oo.Order = []functions.OrderKey{ord(desc, desc)}
					fr := genConst(types.FloatDatum(f8, frac))
					cs = append(cs,
						aggCase{name: "percentile_cont", resolve: []types.Type{f8, f8}, args: []types.Type{f8, f8}, opts: oo,
							gen: genRow(fr, genFloat(f8, 0, frac == 0.5)), ref: refPercentile(f8, frac, true, desc, distinct)},
						aggCase{name: "percentile_disc", resolve: []types.Type{f8, i4}, args: []types.Type{f8, i4}, opts: oo,
							gen: genRow(fr, genInt(i4, -9, 9)), ref: refPercentile(i4, frac, false, desc, distinct)},
					)
					if fracText {
						cs = append(cs, aggCase{name: "percentile_disc", resolve: []types.Type{f8, txt}, args: []types.Type{f8, txt}, opts: oo,
							gen: genRow(fr, genText(txt)), ref: refPercentile(txt, frac, false, desc, distinct)})
					}
				}
			}
		}
		// first_value / last_value (DISTINCT is ignored; tested below).
		o := functions.AggOptions{Retractable: retract}
		for _, isLast := range []bool{false, true} {
			name := map[bool]string{false: "first_value", true: "last_value"}[isLast]
			orders := [][]functions.OrderKey{{ord(false, false)}, {ord(true, true)}, {ord(false, true), ord(true, false)}}
			for vi, vt := range []struct {
				t   types.Type
				gen func(*rand.Rand) types.Datum
			}{
				{f8, genFloat(f8, 0, true)}, {txt, genText(txt)}, {types.BoolType, genBool},
				{types.IntervalType, genInterval}, {types.Int16Type, genInt(types.Int16Type, -3, 3)},
				{types.DateType, genInt(types.DateType, -3, 3)}, {types.OidType, genInt(types.OidType, 0, 9)},
				{types.JSONBType, genText(types.JSONBType)},
			} {
				// Every value type with one ordering, rotating; the first
				// two types with all three.
				for oi, order := range orders {
					if vi >= 2 && oi != vi%len(orders) {
						continue
					}
					args := []types.Type{vt.t, types.TimestampType}
					gens := []func(*rand.Rand) types.Datum{vt.gen, genInt(types.TimestampType, -5, 5)}
					if len(order) > 1 {
						args = append(args, txt)
						gens = append(gens, genText(txt))
					}
					oo := o
					oo.Order = order
					cs = append(cs, aggCase{name: name, resolve: []types.Type{vt.t}, args: args, opts: oo,
						gen: genRow(gens...), ref: refFirstLast(vt.t, order, isLast)})
				}
			}
			// Ordered by an interval and by a float key.
			for _, kt := range []struct {
				t   types.Type
				gen func(*rand.Rand) types.Datum
			}{{types.IntervalType, genInterval}, {types.Float32Type, genFloat(types.Float32Type, 0, true)}} {
				order := []functions.OrderKey{ord(false, false)}
				cs = append(cs, aggCase{name: name, resolve: []types.Type{i8}, args: []types.Type{i8, kt.t},
					opts: functions.AggOptions{Retractable: retract, Order: order},
					gen:  genRow(genInt(i8, 0, 1000), kt.gen), ref: refFirstLast(i8, order, isLast)})
			}
		}
	}
	for _, distinct := range []bool{false, true} {
		for _, p := range []float64{0, 0.5, 0.9, 1} {
			o := functions.AggOptions{Distinct: distinct}
			cs = append(cs,
				aggCase{name: "approx_percentile", resolve: []types.Type{f8, f8}, args: []types.Type{f8, f8}, opts: o,
					gen: genRow(genFloat(f8, 100, true), genConst(types.FloatDatum(f8, p))), check: checkApproxPercentile(p, distinct), nonCanonical: true},
				aggCase{name: "approx_percentile", resolve: []types.Type{i4, f8}, args: []types.Type{i4, f8}, opts: o,
					gen: genRow(genInt(i4, -1000, 1000), genConst(types.FloatDatum(f8, p))), check: checkApproxPercentile(p, distinct), nonCanonical: true},
			)
		}
		o := functions.AggOptions{Distinct: distinct}
		for _, vt := range []struct {
			t   types.Type
			gen func(*rand.Rand) types.Datum
		}{{i8, genInt(i8, 0, 200)}, {txt, genText(txt)}, {f8, genFloat(f8, 0, true)}, {types.IntervalType, genInterval}} {
			cs = append(cs, aggCase{name: "approx_count_distinct", resolve: []types.Type{vt.t}, args: []types.Type{vt.t}, opts: o,
				gen: genRow(vt.gen), check: checkApproxDistinct, nonCanonical: true})
		}
	}
	return cs
}

// TestAggregatesAgainstReference runs every case against its plain-loop
// reference with two seeds.
func TestAggregatesAgainstReference(t *testing.T) {
	for i, c := range allCases() {
		runCase(t, c, int64(i)+1)
	}
}
