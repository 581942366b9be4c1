package scalar

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

const benchRows = 4096

// benchText returns a column of log-line-like strings.
func benchText(ascii bool) functions.Value {
	rng := rand.New(rand.NewSource(1))
	words := []string{"GET", "POST", "/api/v1/orders", "/health", "status=200", "status=503", "latency_ms=12", "user=alice", "error", "timeout"}
	if !ascii {
		words = append(words, "naïve", "Ünïcödé", "日本語")
	}
	ds := make([]types.Datum, benchRows)
	for i := range ds {
		s := ""
		for k := 0; k < 6; k++ {
			s += words[rng.Intn(len(words))] + " "
		}
		ds[i] = textD(s)
	}
	return functions.ArrayValue(functions.BuildArray(types.TextType, ds))
}

func benchJSON() functions.Value {
	rng := rand.New(rand.NewSource(2))
	ds := make([]types.Datum, benchRows)
	for i := range ds {
		ds[i] = jsonD(fmt.Sprintf(`{"service":"checkout","host":"web-%d","latency_ms":%d,"status":%d,"tags":["a","b"],"user":{"id":%d,"name":"u\u00e9%d"}}`,
			rng.Intn(50), rng.Intn(900), 200+rng.Intn(4)*100, rng.Intn(1e6), i))
	}
	return functions.ArrayValue(functions.BuildArray(types.JSONBType, ds))
}

func benchTimestamps() functions.Value {
	rng := rand.New(rand.NewSource(3))
	ds := make([]types.Datum, benchRows)
	for i := range ds {
		ds[i] = types.IntDatum(types.TimestampType, testNow+rng.Int63n(400*types.MicrosPerDay))
	}
	return functions.ArrayValue(functions.BuildArray(types.TimestampType, ds))
}

// preparedKernel returns the kernel the binder would use for a call
// whose arguments at the given positions are the given constants.
func preparedKernel(b *testing.B, name string, ts []types.Type, consts map[int]types.Datum) functions.Kernel {
	b.Helper()
	s := overload(b, testRegistry(), name, ts)
	cs := make([]*types.Datum, len(ts))
	for i, d := range consts {
		d := d
		cs[i] = &d
	}
	k, err := kernelFor(s, cs)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func runBench(b *testing.B, k functions.Kernel, args ...functions.Value) {
	b.Helper()
	b.ReportAllocs()
	ctx := &functions.Context{Now: testNow}
	for i := 0; i < b.N; i++ {
		if _, err := k(ctx, args, benchRows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLike(b *testing.B) {
	col := benchText(true)
	tt := []types.Type{types.TextType, types.TextType}
	for _, pat := range []string{"%timeout%", "GET%", "%status=5__ %", "%a%b%c%"} {
		b.Run(pat, func(b *testing.B) {
			k := preparedKernel(b, "like", tt, map[int]types.Datum{1: textD(pat)})
			runBench(b, k, col, functions.ScalarValue(textD(pat)))
		})
	}
	b.Run("ilike", func(b *testing.B) {
		k := preparedKernel(b, "ilike", tt, map[int]types.Datum{1: textD("%TIMEOUT%")})
		runBench(b, k, col, functions.ScalarValue(textD("%TIMEOUT%")))
	})
}

func BenchmarkRegexMatch(b *testing.B) {
	col := benchText(true)
	pat := textD(`status=5\d\d`)
	k := preparedKernel(b, "~", []types.Type{types.TextType, types.TextType}, map[int]types.Datum{1: pat})
	runBench(b, k, col, functions.ScalarValue(pat))
}

func BenchmarkJSONGetText(b *testing.B) {
	col := benchJSON()
	for _, key := range []string{"service", "latency_ms", "user"} {
		b.Run(key, func(b *testing.B) {
			k := preparedKernel(b, "->>", []types.Type{types.JSONBType, types.TextType}, map[int]types.Datum{1: textD(key)})
			runBench(b, k, col, functions.ScalarValue(textD(key)))
		})
	}
	b.Run("path", func(b *testing.B) {
		path := textD("{user,name}")
		k := preparedKernel(b, "#>>", []types.Type{types.JSONBType, types.TextType}, map[int]types.Datum{1: path})
		runBench(b, k, col, functions.ScalarValue(path))
	})
}

func BenchmarkDateTrunc(b *testing.B) {
	col := benchTimestamps()
	for _, unit := range []string{"minute", "day", "week", "month"} {
		b.Run(unit, func(b *testing.B) {
			k := preparedKernel(b, "date_trunc", []types.Type{types.TextType, types.TimestampType}, map[int]types.Datum{0: textD(unit)})
			runBench(b, k, functions.ScalarValue(textD(unit)), col)
		})
	}
}

func BenchmarkDatePart(b *testing.B) {
	col := benchTimestamps()
	k := preparedKernel(b, "date_part", []types.Type{types.TextType, types.TimestampType}, map[int]types.Datum{0: textD("hour")})
	runBench(b, k, functions.ScalarValue(textD("hour")), col)
}

func BenchmarkToChar(b *testing.B) {
	col := benchTimestamps()
	f := textD("YYYY-MM-DD HH24:MI:SS")
	k := preparedKernel(b, "to_char", []types.Type{types.TimestampType, types.TextType}, map[int]types.Datum{1: f})
	runBench(b, k, col, functions.ScalarValue(f))
}

func BenchmarkLower(b *testing.B) {
	for _, ascii := range []bool{true, false} {
		b.Run(fmt.Sprintf("ascii=%v", ascii), func(b *testing.B) {
			col := benchText(ascii)
			k := preparedKernel(b, "lower", []types.Type{types.TextType}, nil)
			runBench(b, k, col)
		})
	}
}

func BenchmarkConcatOperator(b *testing.B) {
	col := benchText(true)
	ints := make([]types.Datum, benchRows)
	for i := range ints {
		ints[i] = i32D(int64(i))
	}
	k := preparedKernel(b, "||", []types.Type{types.TextType, types.Int32Type}, nil)
	runBench(b, k, col, functions.ArrayValue(functions.BuildArray(types.Int32Type, ints)))
}
