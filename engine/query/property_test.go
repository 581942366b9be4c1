package query_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// randInts returns n values in [0, max) with about one in nullEvery NULL.
func randInts(rng *rand.Rand, n, max, nullEvery int) []any {
	out := make([]any, n)
	for i := range out {
		if nullEvery > 0 && rng.IntN(nullEvery) == 0 {
			continue
		}
		out[i] = rng.IntN(max)
	}
	return out
}

func fmtInt(v any) string {
	if v == nil {
		return "NULL"
	}
	return strconv.Itoa(v.(int))
}

// TestJoinProperty checks the hash join and the nested-loop join against
// a reference loop on random inputs with NULL and duplicate keys, for
// every join kind, with and without a residual condition.
func TestJoinProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 12; iter++ {
		e := newEnv()
		e.batchRows = 1 + rng.IntN(5)
		nl, nr := rng.IntN(25), rng.IntN(25)
		lk, la := randInts(rng, nl, 6, 5), randInts(rng, nl, 10, 6)
		rk, rb := randInts(rng, nr, 6, 5), randInts(rng, nr, 10, 6)
		var lrows, rrows [][]any
		for i := 0; i < nl; i++ {
			lrows = append(lrows, []any{i, lk[i], la[i]})
		}
		for i := 0; i < nr; i++ {
			rrows = append(rrows, []any{i, rk[i], rb[i]})
		}
		e.table(t, "l", cols("id int", "k int", "a int"), lrows...)
		e.table(t, "r", cols("id int", "k bigint", "b int"), rrows...)
		for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL"} {
			for _, residual := range []bool{false, true} {
				match := func(i, j int) bool {
					if lk[i] == nil || rk[j] == nil || lk[i].(int) != rk[j].(int) {
						return false
					}
					if residual {
						return la[i] != nil && rb[j] != nil && la[i].(int) < rb[j].(int)
					}
					return true
				}
				var want []string
				lm, rm := make([]bool, nl), make([]bool, nr)
				for i := 0; i < nl; i++ {
					for j := 0; j < nr; j++ {
						if match(i, j) {
							lm[i], rm[j] = true, true
							want = append(want, fmt.Sprintf("%d|%d", i, j))
						}
					}
				}
				if kind == "LEFT" || kind == "FULL" {
					for i, m := range lm {
						if !m {
							want = append(want, fmt.Sprintf("%d|NULL", i))
						}
					}
				}
				if kind == "RIGHT" || kind == "FULL" {
					for j, m := range rm {
						if !m {
							want = append(want, fmt.Sprintf("NULL|%d", j))
						}
					}
				}
				extra := ""
				if residual {
					extra = " AND l.a < r.b"
				}
				hash := fmt.Sprintf("SELECT l.id, r.id FROM l %s JOIN r ON l.k = r.k%s", kind, extra)
				loop := fmt.Sprintf("SELECT l.id, r.id FROM l %s JOIN r ON l.k + 0 = r.k%s", kind, extra)
				e.check(t, hash, false, want...)
				e.check(t, loop, false, want...)
			}
		}
	}
}

// wrow is one row of the random window input.
type wrow struct {
	id      int
	p, o, v any
}

// TestWindowProperty checks window functions against a per-partition
// reference loop that tests every row for frame membership.
func TestWindowProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 10; iter++ {
		e := newEnv()
		e.batchRows = 1 + rng.IntN(7)
		n := 1 + rng.IntN(40)
		rows := make([]wrow, n)
		var data [][]any
		ps, os, vs := randInts(rng, n, 3, 6), randInts(rng, n, 8, 6), randInts(rng, n, 20, 5)
		for i := range rows {
			rows[i] = wrow{id: i, p: ps[i], o: os[i], v: vs[i]}
			data = append(data, []any{i, ps[i], os[i], vs[i]})
		}
		e.table(t, "w", cols("id int", "p int", "o int", "v int"), data...)
		for _, desc := range []bool{false, true} {
			k1, k2 := rng.IntN(4), rng.IntN(4)
			dir := ""
			if desc {
				dir = " DESC"
			}
			q := fmt.Sprintf(`SELECT id,
				row_number() OVER (PARTITION BY p ORDER BY o%[1]s, id),
				rank() OVER (PARTITION BY p ORDER BY o%[1]s),
				dense_rank() OVER (PARTITION BY p ORDER BY o%[1]s),
				sum(v) OVER (PARTITION BY p ORDER BY o%[1]s, id ROWS BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				min(v) OVER (PARTITION BY p ORDER BY o%[1]s, id ROWS BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				first_value(v) OVER (PARTITION BY p ORDER BY o%[1]s, id ROWS BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				sum(v) OVER (PARTITION BY p ORDER BY o%[1]s RANGE BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				max(v) OVER (PARTITION BY p ORDER BY o%[1]s RANGE BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				count(v) OVER (PARTITION BY p ORDER BY o%[1]s GROUPS BETWEEN %[2]d PRECEDING AND %[3]d FOLLOWING),
				sum(v) OVER (PARTITION BY p ORDER BY o%[1]s),
				lag(v, %[2]d) OVER (PARTITION BY p ORDER BY o%[1]s, id)
				FROM w ORDER BY id`, dir, k1, k2)
			want := windowReference(rows, desc, k1, k2)
			e.check(t, q, true, want...)
		}
	}
}

// windowReference computes TestWindowProperty's query naively.
func windowReference(rows []wrow, desc bool, k1, k2 int) []string {
	// cmpO orders o values with NULLs last ascending, first descending.
	cmpO := func(a, b any) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			if desc {
				return -1
			}
			return 1
		case b == nil:
			if desc {
				return 1
			}
			return -1
		}
		c := a.(int) - b.(int)
		if desc {
			c = -c
		}
		return c
	}
	out := make([]string, len(rows))
	for _, r := range rows {
		var part []wrow
		for _, x := range rows {
			if (x.p == nil && r.p == nil) || (x.p != nil && r.p != nil && x.p.(int) == r.p.(int)) {
				part = append(part, x)
			}
		}
		// Sorted by (o, id): positions for ROWS frames.
		sort.Slice(part, func(i, j int) bool {
			if c := cmpO(part[i].o, part[j].o); c != 0 {
				return c < 0
			}
			return part[i].id < part[j].id
		})
		pos := 0
		for i, x := range part {
			if x.id == r.id {
				pos = i
			}
		}
		rank, dense := 1, 1
		var seen []any
		for _, x := range part {
			if cmpO(x.o, r.o) < 0 {
				rank++
				dup := false
				for _, s := range seen {
					dup = dup || cmpO(s, x.o) == 0
				}
				if !dup {
					seen = append(seen, x.o)
					dense++
				}
			}
		}
		agg := func(in func(i int, x wrow) bool) (sum, min, max, first string, count int) {
			sum, min, max, first = "NULL", "NULL", "NULL", "NULL"
			s, mn, mx, seenV := 0, 0, 0, false
			firstSet := false
			for i, x := range part {
				if !in(i, x) {
					continue
				}
				if !firstSet {
					first, firstSet = fmtInt(x.v), true
				}
				if x.v == nil {
					continue
				}
				v := x.v.(int)
				count++
				if !seenV || v < mn {
					mn = v
				}
				if !seenV || v > mx {
					mx = v
				}
				s += v
				seenV = true
			}
			if seenV {
				sum, min, max = strconv.Itoa(s), strconv.Itoa(mn), strconv.Itoa(mx)
			}
			return
		}
		inRows := func(i int, _ wrow) bool { return i >= pos-k1 && i <= pos+k2 }
		inRange := func(_ int, x wrow) bool {
			if r.o == nil || x.o == nil {
				return r.o == nil && x.o == nil
			}
			lo, hi := r.o.(int)-k1, r.o.(int)+k2
			if desc {
				lo, hi = r.o.(int)-k2, r.o.(int)+k1
			}
			return x.o.(int) >= lo && x.o.(int) <= hi
		}
		// Peer-group numbers for GROUPS.
		group := func(o any) int {
			g := 0
			var prev any
			for i, x := range part {
				if i > 0 && cmpO(prev, x.o) != 0 {
					g++
				}
				prev = x.o
				if cmpO(x.o, o) == 0 {
					return g
				}
			}
			return g
		}
		gr := group(r.o)
		inGroups := func(_ int, x wrow) bool { g := group(x.o); return g >= gr-k1 && g <= gr+k2 }
		inDefault := func(_ int, x wrow) bool { return cmpO(x.o, r.o) <= 0 }
		rowsSum, rowsMin, _, rowsFirst, _ := agg(inRows)
		rangeSum, _, rangeMax, _, _ := agg(inRange)
		_, _, _, _, groupsCount := agg(inGroups)
		defSum, _, _, _, _ := agg(inDefault)
		lag := "NULL"
		if pos-k1 >= 0 {
			lag = fmtInt(part[pos-k1].v)
		}
		out[r.id] = strings.Join([]string{
			strconv.Itoa(r.id), strconv.Itoa(pos + 1), strconv.Itoa(rank), strconv.Itoa(dense),
			rowsSum, rowsMin, rowsFirst, rangeSum, rangeMax, strconv.Itoa(groupsCount), defSum, lag,
		}, "|")
	}
	return out
}
