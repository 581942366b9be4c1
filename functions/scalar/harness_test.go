package scalar

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// This file is the test harness the function-family tests share:
//
//   - evalCall runs one overload on scalar datums both through its
//     prepared kernel (constant arguments) and through the generic
//     kernel on one-row arrays, and insists that the two agree;
//   - checkRef compares a vectorised kernel with a plain per-row
//     reference written in the test, over random batches mixing arrays
//     (with NULLs, some sliced so that they carry an offset), scalars and
//     NULL scalars.

func testRegistry() *functions.Registry {
	r := functions.NewRegistry()
	Register(r)
	return r
}

// overload finds the overload of name whose parameters are exactly ts.
func overload(t testing.TB, r *functions.Registry, name string, ts []types.Type) *functions.Scalar {
	t.Helper()
	s, params, err := r.ResolveScalar(name, ts, 0)
	if err != nil {
		t.Fatalf("resolve %s%v: %v", name, ts, err)
	}
	for i := range ts {
		if params[i] != ts[i] {
			t.Fatalf("resolve %s%v picked %v", name, ts, params)
		}
	}
	return s
}

// kernelFor returns the kernel the binder would use for these constant
// arguments (nil entries are non-constant).
func kernelFor(s *functions.Scalar, consts []*types.Datum) (functions.Kernel, error) {
	if s.Prepare == nil {
		return s.Kernel, nil
	}
	return s.Prepare(consts)
}

// evalCall evaluates name(args...) on datums. It checks that the
// scalar path (prepared kernel, scalar arguments) and the array path
// (generic kernel, one-row arrays) agree, and returns the result.
func evalCall(t testing.TB, r *functions.Registry, name string, args ...types.Datum) (types.Datum, error) {
	t.Helper()
	ts := make([]types.Type, len(args))
	consts := make([]*types.Datum, len(args))
	vals := make([]functions.Value, len(args))
	arrs := make([]functions.Value, len(args))
	for i := range args {
		ts[i] = args[i].Type
		consts[i] = &args[i]
		vals[i] = functions.ScalarValue(args[i])
		arrs[i] = functions.ArrayValue(functions.BuildArray(args[i].Type, []types.Datum{args[i]}))
	}
	s := overload(t, r, name, ts)
	ret := s.ReturnType(ts)
	k, perr := kernelFor(s, consts)
	var got types.Datum
	var err error
	if perr != nil {
		err = perr
	} else {
		v, kerr := k(&functions.Context{Now: testNow}, vals, 1)
		err = kerr
		if kerr == nil {
			got = functions.ValueDatum(v, ret, 0)
			got.Type = ret
		}
	}
	v2, err2 := s.Kernel(&functions.Context{Now: testNow}, arrs, 1)
	if (err == nil) != (err2 == nil) || err != nil && sqlerr.CodeOf(err) != sqlerr.CodeOf(err2) {
		t.Fatalf("%s(%v): scalar path error %v, array path error %v", name, args, err, err2)
	}
	if err != nil {
		return got, err
	}
	got2 := functions.ValueDatum(v2, ret, 0)
	got2.Type = ret
	if !sameDatum(got, got2, 0) {
		t.Fatalf("%s(%v): scalar path %v, array path %v", name, args, got, got2)
	}
	return got, nil
}

// testNow is the statement time the harness passes (2024-05-06 07:08:09 UTC).
const testNow = int64(1714979289) * types.MicrosPerSecond

// sameDatum compares two datums of one type; floats may differ by a
// relative tol (NaN equals NaN).
func sameDatum(a, b types.Datum, tol float64) bool {
	if a.Null || b.Null {
		return a.Null == b.Null
	}
	switch a.Type.Kind {
	case types.Float32, types.Float64:
		if math.IsNaN(a.F) || math.IsNaN(b.F) {
			return math.IsNaN(a.F) && math.IsNaN(b.F)
		}
		if a.F == b.F {
			return true
		}
		return math.Abs(a.F-b.F) <= tol*math.Max(math.Abs(a.F), math.Abs(b.F))
	}
	return a.I == b.I && a.S == b.S && a.Iv == b.Iv
}

// refFunc computes one row; args are non-NULL unless the function
// handles NULLs itself.
type refFunc func(args []types.Datum) (types.Datum, error)

// refCase describes a randomized comparison of one overload with a
// reference.
type refCase struct {
	name string
	args []types.Type
	gens []func(*rand.Rand) types.Datum
	ref  refFunc
	// tol is the relative float tolerance.
	tol float64
	// scalarOnly marks arguments that are always constants (units,
	// patterns in benchmarks) — still NULL sometimes.
	scalarOnly []bool
	trials     int
	// canon, if set, normalises a result before comparing.
	canon func(types.Datum) types.Datum
}

// randomValue makes one argument of n rows: an array (sometimes a slice
// of a longer one), a scalar, or a NULL scalar, and returns the datum of
// each row.
func randomValue(rng *rand.Rand, t types.Type, gen func(*rand.Rand) types.Datum, n int, scalarOnly bool) (functions.Value, []types.Datum) {
	rows := make([]types.Datum, n)
	mode := rng.Intn(10)
	if scalarOnly && mode < 6 {
		mode = 6
	}
	switch {
	case mode >= 9:
		d := types.NullDatum(t)
		for i := range rows {
			rows[i] = d
		}
		return functions.ScalarValue(d), rows
	case mode >= 6:
		d := gen(rng)
		d.Type = t
		for i := range rows {
			rows[i] = d
		}
		return functions.ScalarValue(d), rows
	}
	pre, post := 0, 0
	if mode >= 3 {
		pre, post = rng.Intn(5)+1, rng.Intn(3)
	}
	all := make([]types.Datum, pre+n+post)
	nullRate := rng.Intn(4) // 0: no NULLs
	for i := range all {
		if nullRate > 0 && rng.Intn(8) < nullRate {
			all[i] = types.NullDatum(t)
		} else {
			all[i] = gen(rng)
			all[i].Type = t
		}
	}
	copy(rows, all[pre:pre+n])
	arr := functions.BuildArray(t, all)
	if pre+post > 0 {
		arr = array.NewSlice(arr, int64(pre), int64(pre+n))
	}
	return functions.ArrayValue(arr), rows
}

// checkRef runs rc's randomized comparison.
func checkRef(t *testing.T, r *functions.Registry, rc refCase) {
	t.Helper()
	s := overload(t, r, rc.name, rc.args)
	ret := s.ReturnType(rc.args)
	rng := rand.New(rand.NewSource(int64(len(rc.name)*7919 + len(rc.args))))
	trials := rc.trials
	if trials == 0 {
		trials = 60
	}
	for trial := 0; trial < trials; trial++ {
		n := rng.Intn(40) + 1
		if trial%10 == 0 {
			n = rng.Intn(300) + 1
		}
		vals := make([]functions.Value, len(rc.args))
		rows := make([][]types.Datum, len(rc.args))
		consts := make([]*types.Datum, len(rc.args))
		for j, at := range rc.args {
			so := j < len(rc.scalarOnly) && rc.scalarOnly[j]
			vals[j], rows[j] = randomValue(rng, at, rc.gens[j], n, so)
			if vals[j].IsScalar() {
				d := vals[j].Scalar
				consts[j] = &d
			}
		}
		// The expected rows and the first error.
		want := make([]types.Datum, n)
		var wantErr error
		for i := 0; i < n; i++ {
			row := make([]types.Datum, len(rc.args))
			anyNull := false
			for j := range row {
				row[j] = rows[j][i]
				anyNull = anyNull || row[j].Null
			}
			if anyNull && s.Nulls == functions.NullPropagate {
				want[i] = types.NullDatum(ret)
				continue
			}
			d, err := rc.ref(row)
			if err != nil {
				if wantErr == nil {
					wantErr = err
				}
				continue
			}
			d.Type = ret
			want[i] = d
		}
		desc := func(i int) string {
			parts := make([]string, len(rc.args))
			for j := range parts {
				parts[j] = fmt.Sprintf("%q", rows[j][i].String())
			}
			return rc.name + "(" + strings.Join(parts, ", ") + ")"
		}
		check := func(path string, k functions.Kernel) {
			v, err := k(&functions.Context{Now: testNow}, vals, n)
			if wantErr != nil || err != nil {
				if wantErr == nil || err == nil || sqlerr.CodeOf(err) != sqlerr.CodeOf(wantErr) {
					t.Fatalf("%s trial %d (%s path): error %v, want %v", rc.name, trial, path, err, wantErr)
				}
				return
			}
			if !v.IsScalar() && v.Array.Len() != n {
				t.Fatalf("%s trial %d (%s path): result has %d rows, want %d", rc.name, trial, path, v.Array.Len(), n)
			}
			for i := 0; i < n; i++ {
				got := functions.ValueDatum(v, ret, i)
				got.Type = ret
				if rc.canon != nil {
					got = rc.canon(got)
				}
				if !sameDatum(got, want[i], rc.tol) {
					t.Fatalf("%s trial %d (%s path) row %d: %s = %q, want %q", rc.name, trial, path, i, desc(i), got.String(), want[i].String())
				}
			}
		}
		check("generic", s.Kernel)
		if s.Prepare != nil {
			k, err := s.Prepare(consts)
			if err != nil {
				// An invalid constant fails at plan time; the generic
				// kernel must fail the same way unless no row reaches it.
				if wantErr != nil && sqlerr.CodeOf(err) != sqlerr.CodeOf(wantErr) {
					t.Fatalf("%s trial %d: prepare error %v, rows fail with %v", rc.name, trial, err, wantErr)
				}
				continue
			}
			check("prepared", k)
		}
	}
}

// Generators.

func genPick[T any](vs ...T) func(*rand.Rand) T {
	return func(rng *rand.Rand) T { return vs[rng.Intn(len(vs))] }
}

// genText returns strings over an alphabet, up to maxLen characters.
func genText(alphabet []string, maxLen int) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		var b strings.Builder
		for k := rng.Intn(maxLen + 1); k > 0; k-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		return types.StringDatum(types.TextType, b.String())
	}
}

func genInt(t types.Type, lo, hi int64) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum { return types.IntDatum(t, lo+rng.Int63n(hi-lo+1)) }
}

func genFloat(vals ...float64) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		if len(vals) > 0 && rng.Intn(4) == 0 {
			return types.FloatDatum(types.Float64Type, vals[rng.Intn(len(vals))])
		}
		return types.FloatDatum(types.Float64Type, (rng.Float64()-0.5)*200)
	}
}

func textD(s string) types.Datum { return types.StringDatum(types.TextType, s) }
func jsonD(s string) types.Datum { return types.StringDatum(types.JSONBType, s) }
func i32D(v int64) types.Datum   { return types.IntDatum(types.Int32Type, v) }
func i64D(v int64) types.Datum   { return types.IntDatum(types.Int64Type, v) }
func f64D(v float64) types.Datum { return types.FloatDatum(types.Float64Type, v) }
func boolD(b bool) types.Datum   { return types.BoolDatum(b) }
func nullD(t types.Type) types.Datum {
	return types.NullDatum(t)
}

// tsD parses a timestamp literal.
func tsD(t testing.TB, s string) types.Datum {
	t.Helper()
	us, err := types.ParseTimestamp(s)
	if err != nil {
		t.Fatal(err)
	}
	return types.IntDatum(types.TimestampType, us)
}

func tstzD(t testing.TB, s string) types.Datum {
	d := tsD(t, s)
	d.Type = types.TimestampTZType
	return d
}

func ivD(t testing.TB, s string) types.Datum {
	t.Helper()
	iv, err := types.ParseInterval(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return types.Datum{Type: types.IntervalType, Iv: iv}
}

func dateD(t testing.TB, s string) types.Datum {
	t.Helper()
	d, err := types.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return types.IntDatum(types.DateType, int64(d))
}

// tableCase is one row of a per-function table test: a call and either
// its result rendered as text ("NULL" for NULL) or an error code.
type tableCase struct {
	name string
	args []types.Datum
	want string
	code sqlerr.Code
}

func runTable(t *testing.T, cases []tableCase) {
	t.Helper()
	r := testRegistry()
	for _, c := range cases {
		got, err := evalCall(t, r, c.name, c.args...)
		if c.code != (sqlerr.Code{}) {
			if sqlerr.CodeOf(err) != c.code {
				t.Errorf("%s(%v): error %v (%v), want %v", c.name, c.args, err, sqlerr.CodeOf(err), c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s(%v): %v", c.name, c.args, err)
			continue
		}
		if s := got.String(); s != c.want {
			t.Errorf("%s(%v) = %q, want %q", c.name, c.args, s, c.want)
		}
	}
}
