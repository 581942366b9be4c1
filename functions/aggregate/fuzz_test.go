package aggregate

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// fuzzCases picks one call per kind of state: every decoder of
// UnmarshalGroup.
func fuzzCases() []aggCase {
	want := map[string]bool{}
	var out []aggCase
	for _, c := range allCases() {
		key := c.name + c.args[0].String()
		if c.opts.Distinct {
			key += "/d"
		}
		if c.opts.Retractable {
			key += "/r"
		}
		if len(c.opts.Order) > 0 {
			key += "/o"
		}
		if !want[key] {
			want[key] = true
			out = append(out, c)
		}
	}
	return out
}

// filledState returns a state of c whose group 1 holds a few dozen rows.
func filledState(t testing.TB, c aggCase, r *functions.Registry, seed int64) functions.GroupState {
	rng := rand.New(rand.NewSource(seed))
	s, _ := c.newState(t, r)
	s.Resize(2)
	const n = 40
	rows := make([]row, n)
	for i := range rows {
		rows[i] = c.gen(rng)
	}
	args := make([]arrow.Array, len(c.args))
	for k, at := range c.args {
		col := make([]types.Datum, n)
		for i := range rows {
			col[i] = rows[i][k]
		}
		args[k] = functions.BuildArray(at, col)
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = 1
	}
	if err := s.Update(args, groups, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzUnmarshalGroup feeds arbitrary bytes to every state's decoder: it
// must return an error or a state that finalizes and marshals to bytes
// it accepts again, and never panic.
func FuzzUnmarshalGroup(f *testing.F) {
	r := testRegistry()
	cases := fuzzCases()
	for i, c := range cases {
		s := filledState(f, c, r, int64(i))
		f.Add(uint16(i), s.MarshalGroup(nil, 1))
		f.Add(uint16(i), s.MarshalGroup(nil, 0))
	}
	f.Add(uint16(0), []byte{})
	f.Add(uint16(3), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, which uint16, data []byte) {
		c := cases[int(which)%len(cases)]
		s, _ := c.newState(t, r)
		s.Resize(2)
		rest, err := s.UnmarshalGroup(1, data)
		if err != nil {
			return
		}
		if len(rest) > len(data) {
			t.Fatalf("%v: rest longer than input", c)
		}
		if _, err := s.Finalize([]uint32{0, 1}); err != nil {
			t.Fatalf("%v: accepted state does not finalize: %v", c, err)
		}
		again := s.MarshalGroup(nil, 1)
		s2, _ := c.newState(t, r)
		s2.Resize(2)
		if rest, err := s2.UnmarshalGroup(1, again); err != nil || len(rest) != 0 {
			t.Fatalf("%v: re-marshalled state rejected: %v", c, err)
		}
	})
}

// FuzzKeyDecode decodes arbitrary bytes as keys of every type: errors
// are fine, panics are not, and whatever decodes must build an array.
func FuzzKeyDecode(f *testing.F) {
	ts := []types.Type{types.BoolType, types.Int16Type, types.Int32Type, types.Int64Type, types.Float32Type,
		types.Float64Type, types.TextType, types.ByteaType, types.DateType, types.TimestampType, types.IntervalType, types.OidType}
	rng := rand.New(rand.NewSource(1))
	for i, t := range ts {
		c, _ := newKeyCodec("fuzz", []types.Type{t}, nil)
		gen := map[types.Kind]func(*rand.Rand) types.Datum{
			types.Bool: genBool, types.Float32: genFloat(t, 0, true), types.Float64: genFloat(t, 0, true),
			types.Text: genText(t), types.Bytea: genText(t), types.Interval: genInterval,
		}[t.Kind]
		if gen == nil {
			gen = genInt(t, -300, 300)
		}
		ds := []types.Datum{gen(rng), gen(rng), types.NullDatum(t)}
		bufs := make([][]byte, len(ds))
		c.encode(bufs, []arrow.Array{functions.BuildArray(t, ds)}, zeros(len(ds)))
		for _, b := range bufs {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := ts[int(which)%len(ts)]
		b := newColumnBuilder(typ, 1)
		for len(data) > 0 {
			rest, err := b.appendKey(data)
			if err != nil {
				break
			}
			data = rest
		}
		if arr := b.finish(); arr.Len() != b.n {
			t.Fatalf("%v: built %d values, decoded %d", typ, arr.Len(), b.n)
		}
	})
}
