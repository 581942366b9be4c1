package aggregate

import (
	"bytes"
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// merger is the method merge.go gives exact states (the hash aggregate
// declares the same interface).
type merger interface {
	MergeGroups(from functions.GroupState, dst []uint32) error
}

// genTies draws few distinct values, with both zeros and two NaNs of
// different bits, so that which of equal extremes a state keeps shows.
func genTies(t types.Type) func(*rand.Rand) types.Datum {
	return func(rng *rand.Rand) types.Datum {
		if d, ok := maybeNull(rng, t, 6); ok {
			return d
		}
		if !t.IsFloat() {
			return types.IntDatum(t, int64(rng.Intn(5)-2))
		}
		vals := []float64{0, math.Copysign(0, -1), 1.5, -2, math.NaN(), math.Float64frombits(0x7ff8000000000001)}
		v := vals[rng.Intn(len(vals))]
		if t.Kind == types.Float32 {
			v = float64(float32(v))
		}
		return types.FloatDatum(t, v)
	}
}

// TestMergeGroupsEqualsUpdate checks every merging state: rows folded
// into a fresh state by part and merged into the groups the parts map to
// leave exactly (byte for byte) the state that updating the rows into
// those groups directly, part after part, leaves, over groups with
// earlier rows, parts that map to no group and parts that share one.
func TestMergeGroupsEqualsUpdate(t *testing.T) {
	r := testRegistry()
	var cases []aggCase
	cases = append(cases, aggCase{name: "count"})
	for _, ty := range []types.Type{types.Int16Type, types.Int32Type, types.Int64Type, types.DateType, types.TimestampType, types.Float32Type, types.Float64Type} {
		one := func(name string) aggCase {
			return aggCase{name: name, resolve: []types.Type{ty}, args: []types.Type{ty}, gen: genRow(genTies(ty))}
		}
		cases = append(cases, one("count"), one("min"), one("max"))
	}
	const groups, parts = 6, 8
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			for round := 0; round < 40; round++ {
				direct, _ := c.newState(t, r)
				merged, _ := c.newState(t, r)
				partial, _ := c.newState(t, r)
				m, ok := merged.(merger)
				if !ok {
					t.Fatalf("%T does not merge", merged)
				}
				direct.Resize(groups)
				merged.Resize(groups)
				partial.Resize(parts)
				batchOf := func(n int, group func() uint32) ([]arrow.Array, []uint32) {
					cols := make([][]types.Datum, len(c.args))
					gs := make([]uint32, n)
					for i := range gs {
						if c.gen != nil {
							for k, d := range c.gen(rng) {
								cols[k] = append(cols[k], d)
							}
						}
						gs[i] = group()
					}
					args := make([]arrow.Array, len(cols))
					for k := range cols {
						args[k] = functions.BuildArray(c.args[k], cols[k])
					}
					return args, gs
				}
				// Earlier rows, the same in both.
				pre, preG := batchOf(rng.Intn(12), func() uint32 { return uint32(rng.Intn(groups)) })
				for _, s := range []functions.GroupState{direct, merged} {
					if err := s.Update(pre, preG, nil); err != nil {
						t.Fatal(err)
					}
				}
				dst := make([]uint32, parts)
				for p := range dst {
					dst[p] = uint32(rng.Intn(groups + 1))
					if dst[p] == groups {
						dst[p] = functions.NoGroup
					}
				}
				args, part := batchOf(1+rng.Intn(40), func() uint32 { return uint32(rng.Intn(parts)) })
				// Directly: the rows part by part (in their order within a
				// part), as merging the parts in order adds them.
				for p := range uint32(parts) {
					gids := make([]uint32, len(part))
					for i, q := range part {
						gids[i] = functions.NoGroup
						if q == p {
							gids[i] = dst[p]
						}
					}
					if err := direct.Update(args, gids, nil); err != nil {
						t.Fatal(err)
					}
				}
				if err := partial.Update(args, part, nil); err != nil {
					t.Fatal(err)
				}
				if err := m.MergeGroups(partial, dst); err != nil {
					t.Fatal(err)
				}
				for g := uint32(0); g < groups; g++ {
					want, got := direct.MarshalGroup(nil, g), merged.MarshalGroup(nil, g)
					if !bytes.Equal(got, want) {
						t.Fatalf("round %d, group %d: merged state %x, updated %x", round, g, got, want)
					}
				}
			}
		})
	}
}

// TestMergeGroupsRefusesOtherStates checks that merging a state of
// another aggregate (or the other extreme) is an error, not a panic, and
// that the float sums, which would round differently, do not merge.
func TestMergeGroupsRefusesOtherStates(t *testing.T) {
	r := testRegistry()
	f8 := []types.Type{types.Float64Type}
	mk := func(name string, args []types.Type) functions.GroupState {
		s, _ := aggCase{name: name, resolve: args, args: args}.newState(t, r)
		s.Resize(1)
		return s
	}
	for _, p := range [][2]functions.GroupState{
		{mk("max", f8), mk("min", f8)},
		{mk("max", f8), mk("count", nil)},
		{mk("count", nil), mk("sum", f8)},
		{mk("max", []types.Type{types.Int64Type}), mk("min", []types.Type{types.Int64Type})},
	} {
		if err := p[0].(merger).MergeGroups(p[1], []uint32{0}); err == nil {
			t.Errorf("merging a %T into a %T: no error", p[1], p[0])
		}
	}
	for _, name := range []string{"sum", "avg"} {
		if _, ok := mk(name, f8).(merger); ok {
			t.Errorf("%s(float8) merges, but partial float sums round differently", name)
		}
	}
}
