package aggregate

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// row is one input row of an aggregate: every argument Update receives.
type row []types.Datum

// aggCase describes one aggregate call for the randomized harness.
type aggCase struct {
	name string
	// resolve are the argument types the binder resolves the overload
	// with; args are the types of every argument Update receives.
	resolve, args []types.Type
	opts          functions.AggOptions
	gen           func(rng *rand.Rand) row
	// ref computes the result from the live rows of a group, in arrival
	// order (a retraction removed the earliest equal row).
	ref func(rows []row) types.Datum
	// check, if set, replaces exact comparison with ref's result.
	check func(got types.Datum, rows []row) error
	// nonCanonical marks states whose bytes may differ after a round
	// trip (sketches).
	nonCanonical bool
}

func (c aggCase) String() string {
	s := c.name + "("
	for i, t := range c.args {
		if i > 0 {
			s += ","
		}
		s += t.String()
	}
	s += ")"
	if c.opts.Distinct {
		s += "/distinct"
	}
	if c.opts.Retractable {
		s += "/retract"
	}
	for _, k := range c.opts.Order {
		s += fmt.Sprintf("/order%v%v", map[bool]string{false: "Asc", true: "Desc"}[k.Desc], map[bool]string{false: "", true: "NullsFirst"}[k.NullsFirst])
	}
	return s
}

func testRegistry() *functions.Registry {
	r := functions.NewRegistry()
	Register(r)
	return r
}

func (c aggCase) newState(t testing.TB, r *functions.Registry) (functions.GroupState, types.Type) {
	t.Helper()
	a, params, err := r.ResolveAggregate(c.name, c.resolve, 0)
	if err != nil {
		t.Fatalf("%v: resolve: %v", c, err)
	}
	for i, p := range params {
		if p != c.args[i] {
			t.Fatalf("%v: resolved parameter %d is %v, want %v", c, i, p, c.args[i])
		}
	}
	s, err := a.New(c.args, c.opts)
	if err != nil {
		t.Fatalf("%v: new: %v", c, err)
	}
	return s, a.ReturnType(params)
}

// rowKey identifies a row for "remove the earliest equal row".
func rowKey(r row) string {
	var b []byte
	for _, d := range r {
		b = append(b, datumKey(d)...)
		b = append(b, 0xff)
	}
	return string(b)
}

func datumKey(d types.Datum) string {
	if d.Null {
		return "N"
	}
	switch d.Type.Kind {
	case types.Float32, types.Float64:
		f := d.F
		if f != f {
			return "NaN"
		}
		if f == 0 {
			f = 0
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case types.Interval:
		return fmt.Sprintf("%d/%d/%d", d.Iv.Months, d.Iv.Days, d.Iv.Micros)
	}
	return strconv.FormatInt(d.I, 10) + ":" + d.S
}

// cmpDatum compares two non-null datums of one type in SQL order.
func cmpDatum(a, b types.Datum) int {
	switch a.Type.Kind {
	case types.Float32, types.Float64:
		an, bn := a.F != a.F, b.F != b.F
		switch {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		case a.F < b.F:
			return -1
		case a.F > b.F:
			return 1
		}
		return 0
	case types.Interval:
		span := func(iv types.IntervalValue) float64 {
			return (float64(iv.Months)*30+float64(iv.Days))*86400e6 + float64(iv.Micros)
		}
		if sa, sb := span(a.Iv), span(b.Iv); sa != sb {
			return cmpOrdered(sa, sb)
		}
		if a.Iv.Months != b.Iv.Months {
			return cmpOrdered(a.Iv.Months, b.Iv.Months)
		}
		if a.Iv.Days != b.Iv.Days {
			return cmpOrdered(a.Iv.Days, b.Iv.Days)
		}
		return cmpOrdered(a.Iv.Micros, b.Iv.Micros)
	}
	if a.Type.IsString() || a.Type.Kind == types.Bytea || a.Type.Kind == types.JSONB {
		return cmpOrdered(a.S, b.S)
	}
	return cmpOrdered(a.I, b.I)
}

func cmpOrdered[T int32 | int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpKeys compares rows by the ordering arguments from column first on.
func cmpKeys(a, b row, first int, order []functions.OrderKey) int {
	for k, o := range order {
		x, y := a[first+k], b[first+k]
		var c int
		switch {
		case x.Null && y.Null:
			c = 0
		case x.Null || y.Null:
			c = 1
			if x.Null == o.NullsFirst {
				c = -1
			}
		default:
			c = cmpDatum(x, y)
			if o.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func sameDatum(got, want types.Datum, relTol float64) bool {
	if got.Null || want.Null {
		return got.Null == want.Null
	}
	switch want.Type.Kind {
	case types.Float32, types.Float64:
		if want.F != want.F || got.F != got.F {
			return (want.F != want.F) == (got.F != got.F)
		}
		if math.IsInf(want.F, 0) {
			return got.F == want.F
		}
		return math.Abs(got.F-want.F) <= relTol*math.Max(1, math.Abs(want.F))
	case types.Interval:
		return got.Iv == want.Iv
	}
	return got.I == want.I && got.S == want.S
}

// buildColumn builds an Arrow array of the datums that is a slice (with
// a non-zero offset) of a longer array, so that offset handling is
// exercised.
func buildColumn(rng *rand.Rand, t types.Type, ds []types.Datum, pad types.Datum) arrow.Array {
	lead := rng.Intn(3)
	all := make([]types.Datum, 0, len(ds)+lead+1)
	for i := 0; i < lead; i++ {
		all = append(all, pad)
	}
	all = append(all, ds...)
	all = append(all, pad)
	full := functions.BuildArray(t, all)
	return array.NewSlice(full, int64(lead), int64(lead+len(ds)))
}

const harnessGroups = 9

// runCase drives one aggregate with random batches of inserts,
// retractions (if retractable), NULLs, NoGroup rows and FILTER-like
// masks, resets a group now and then, round-trips every group through
// MarshalGroup/UnmarshalGroup into a fresh state halfway, and compares
// every group's result with the reference after each batch.
func runCase(t *testing.T, c aggCase, seed int64) {
	t.Helper()
	r := testRegistry()
	rng := rand.New(rand.NewSource(seed))
	state, ret := c.newState(t, r)
	state.Resize(4)
	state.Resize(harnessGroups)
	live := make([][]row, harnessGroups)
	keys := make([][]string, harnessGroups) // rowKey of each live row
	const batches = 24
	pad := c.gen(rng)
	for b := 0; b < batches; b++ {
		n := rng.Intn(70)
		if b == 0 {
			n = 0
		}
		rows := make([]row, n)
		groups := make([]uint32, n)
		var signs []int8
		if c.opts.Retractable || rng.Intn(2) == 0 {
			signs = make([]int8, n)
		}
		for i := range rows {
			g := uint32(rng.Intn(harnessGroups))
			skip := rng.Intn(10) == 0
			filtered := rng.Intn(7) == 0
			retract := c.opts.Retractable && len(live[g]) > 0 && rng.Intn(3) == 0
			if retract {
				pick := live[g][rng.Intn(len(live[g]))]
				rows[i] = append(row(nil), pick...)
			} else {
				rows[i] = c.gen(rng)
			}
			if signs != nil {
				signs[i] = 1
				if retract {
					signs[i] = -1
				}
			}
			if skip || filtered {
				groups[i] = functions.NoGroup
				continue
			}
			groups[i] = g
			k := rowKey(rows[i])
			if !retract {
				live[g] = append(live[g], rows[i])
				keys[g] = append(keys[g], k)
				continue
			}
			for j, lk := range keys[g] {
				if lk == k {
					live[g] = append(live[g][:j:j], live[g][j+1:]...)
					keys[g] = append(keys[g][:j:j], keys[g][j+1:]...)
					break
				}
			}
		}
		args := make([]arrow.Array, len(c.args))
		for k, at := range c.args {
			col := make([]types.Datum, n)
			for i := range rows {
				col[i] = rows[i][k]
			}
			args[k] = buildColumn(rng, at, col, pad[k])
		}
		if err := state.Update(args, groups, signs); err != nil {
			t.Fatalf("%v batch %d: update: %v", c, b, err)
		}
		if b%5 == 3 {
			g := uint32(rng.Intn(harnessGroups))
			state.Reset(g)
			live[g], keys[g] = nil, nil
		}
		if b == batches/2 {
			state = roundTrip(t, c, r, state)
		}
		if b%3 == 0 || b == batches/2 || b == batches-1 {
			checkAll(t, c, state, ret, live, fmt.Sprintf("batch %d", b))
		}
	}
}

func roundTrip(t *testing.T, c aggCase, r *functions.Registry, state functions.GroupState) functions.GroupState {
	t.Helper()
	fresh, _ := c.newState(t, r)
	fresh.Resize(harnessGroups)
	for g := uint32(0); g < harnessGroups; g++ {
		buf := state.MarshalGroup([]byte("prefix"), g)
		if !bytes.HasPrefix(buf, []byte("prefix")) {
			t.Fatalf("%v: MarshalGroup does not append", c)
		}
		buf = append(buf[len("prefix"):], "tail"...)
		rest, err := fresh.UnmarshalGroup(g, buf)
		if err != nil || string(rest) != "tail" {
			t.Fatalf("%v: unmarshal group %d: %v (rest %q)", c, g, err, rest)
		}
		if !c.nonCanonical {
			again := fresh.MarshalGroup(nil, g)
			if !bytes.Equal(again, buf[:len(buf)-len("tail")]) {
				t.Fatalf("%v: group %d marshals differently after a round trip", c, g)
			}
		}
	}
	return fresh
}

func checkAll(t *testing.T, c aggCase, state functions.GroupState, ret types.Type, live [][]row, when string) {
	t.Helper()
	// Ask for the groups in a scrambled order, some twice.
	ids := []uint32{3, 0, 8, 1, 7, 2, 6, 4, 5, 3}
	out, err := state.Finalize(ids)
	if err != nil {
		t.Fatalf("%v %s: finalize: %v", c, when, err)
	}
	if out.Len() != len(ids) {
		t.Fatalf("%v %s: finalize returned %d rows for %d groups", c, when, out.Len(), len(ids))
	}
	if !arrow.TypeEqual(out.DataType(), ret.Arrow()) {
		t.Fatalf("%v %s: result type %v, want %v", c, when, out.DataType(), ret.Arrow())
	}
	for i, g := range ids {
		got := functions.DatumAt(out, ret, i)
		if c.check != nil {
			if err := c.check(got, live[g]); err != nil {
				t.Fatalf("%v %s group %d (%d rows): %v", c, when, g, len(live[g]), err)
			}
		} else if want := c.ref(live[g]); !sameDatum(got, want, 1e-9) {
			t.Fatalf("%v %s group %d (%d rows): got %v, want %v", c, when, g, len(live[g]), got, want)
		}
		if len(live[g]) == 0 && !state.Empty(g) {
			t.Fatalf("%v %s: group %d has no rows but is not Empty", c, when, g)
		}
	}
}
