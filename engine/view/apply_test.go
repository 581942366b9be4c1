package view

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortedApplyMatchesSequential applies random chunks (large enough
// to be applied in key order, with repeated keys, deletions, keys that
// are prefixes of others, zero bytes and long shared prefixes) and checks
// the store against a map that applied every change in chunk order.
func TestSortedApplyMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var pool []string
	for i := 0; i < 60; i++ {
		switch i % 4 {
		case 0:
			pool = append(pool, fmt.Sprintf("k%d", i))
		case 1:
			pool = append(pool, strings.Repeat("shared-prefix-", 3)+fmt.Sprintf("%d-tail", i))
		case 2:
			pool = append(pool, strings.Repeat("shared-prefix-", 3)+fmt.Sprintf("%d", i/8))
		default:
			pool = append(pool, fmt.Sprintf("z\x00%d", i%3))
		}
	}
	pool = append(pool, "", "k", "k1")
	s := NewStore(schema, []int{0}, true)
	model := map[string]int64{}
	for round := 0; round < 300; round++ {
		n := rng.IntN(3 * sortedApplyMin)
		keys := make([]string, n)
		ns := make([]int64, n)
		signs := make([]int8, n)
		for i := range keys {
			keys[i] = pool[rng.IntN(len(pool))]
			if round%3 == 0 {
				// Few distinct keys: many changes to one key per chunk.
				keys[i] = pool[rng.IntN(4)]
			}
			ns[i] = int64(rng.IntN(1000))
			signs[i] = 1
			if rng.IntN(3) == 0 {
				signs[i] = -1
			}
		}
		if err := s.Apply(chunk(keys, ns, signs)); err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			if signs[i] < 0 {
				delete(model, k)
			} else {
				model[k] = ns[i]
			}
		}
		s.Publish()
		var want []string
		for k, v := range model {
			want = append(want, fmt.Sprintf("%s=%d ", k, v))
		}
		slices.SortFunc(want, func(a, b string) int {
			return strings.Compare(a[:strings.LastIndexByte(a, '=')], b[:strings.LastIndexByte(b, '=')])
		})
		if got := contents(t, s.Read()); got != strings.Join(want, "") {
			t.Fatalf("round %d (%d changes):\ngot  %q\nwant %q", round, n, got, strings.Join(want, ""))
		}
	}
}

// TestSortChangeList checks the change sort against slices.SortFunc on
// inputs with many equal abbreviations.
func TestSortChangeList(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 200; round++ {
		n := rng.IntN(300)
		cs := make([]change, n)
		rank := make([]int32, n) // the tie order: a permutation
		for i := range cs {
			cs[i] = change{hi: uint64(rng.IntN(4)), lo: uint64(rng.IntN(3)), i: int32(i)}
			rank[i] = int32(i)
		}
		rng.Shuffle(n, func(a, b int) { rank[a], rank[b] = rank[b], rank[a] })
		tie := func(a, b int32) bool { return rank[a] < rank[b] }
		want := slices.Clone(cs)
		slices.SortFunc(want, func(a, b change) int {
			switch {
			case a.hi != b.hi:
				return int(a.hi) - int(b.hi)
			case a.lo != b.lo:
				return int(a.lo) - int(b.lo)
			}
			return int(rank[a.i] - rank[b.i])
		})
		sortChangeList(cs, tie)
		if !slices.Equal(cs, want) {
			t.Fatalf("round %d: got %v, want %v", round, cs, want)
		}
	}
}
