package view

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
)

// TestApplyDiffMatchesReference applies random chunks (upserts,
// unchanged rows, deletions, a key changed several times in one chunk;
// sizes on both sides of sortedApplyMin) and checks each changelog
// against a plain loop over a map: the retractions of the replaced rows,
// then the insertions, each in the chunk's order.
func TestApplyDiffMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	s := NewStore(schema, []int{0}, true)
	ref := map[string]int64{}
	for round := range 300 {
		n := 1 + rng.IntN(3*sortedApplyMin)
		keys := make([]string, n)
		vals := make([]int64, n)
		signs := make([]int8, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%02d", rng.IntN(40))
			vals[i] = int64(rng.IntN(4))
			signs[i] = 1
			if rng.IntN(5) == 0 {
				signs[i] = -1
			}
		}
		var olds, news []string
		for i, k := range keys {
			old, had := ref[k]
			if signs[i] > 0 && had && old == vals[i] {
				continue
			}
			if had {
				olds = append(olds, fmt.Sprintf("-%s=%d", k, old))
			}
			if signs[i] < 0 {
				delete(ref, k)
				continue
			}
			ref[k] = vals[i]
			news = append(news, fmt.Sprintf("+%s=%d", k, vals[i]))
		}
		want := strings.Join(append(olds, news...), " ")
		d, err := s.ApplyDiff(chunk(keys, vals, signs))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := 0; i < d.Len(); i++ {
			sign := "+"
			if d.Signs[i] < 0 {
				sign = "-"
			}
			got = append(got, fmt.Sprintf("%s%s=%d", sign, d.Rec.Column(0).(*array.String).Value(i), d.Rec.Column(1).(*array.Int64).Value(i)))
		}
		if g := strings.Join(got, " "); g != want {
			t.Fatalf("round %d, chunk %v %v %v:\n got %s\nwant %s", round, keys, vals, signs, g, want)
		}
	}
	s.Publish()
	var want []string
	for k, v := range ref {
		want = append(want, fmt.Sprintf("%s=%d ", k, v))
	}
	slices.Sort(want)
	if got := contents(t, s.Read()); got != strings.Join(want, "") {
		t.Fatalf("contents %q, want %q", got, strings.Join(want, ""))
	}
}

// BenchmarkStoreApplyDiff updates 256 random rows of a 5,000-row TUMBLE
// view per chunk with a changelog, as an aggregate feeding a
// subscription or a downstream view does between checkpoints: ns/op is
// per chunk, ns/row per row of the chunk.
//
//	go test ./engine/view -run '^$' -bench StoreApplyDiff -count 5
func BenchmarkStoreApplyDiff(b *testing.B) {
	s := NewStore(tumbleSchema, []int{0, 1}, true)
	if err := s.Apply(tumbleChunk(0, 5000)); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// Each chunk's count differs from the other chunks', so that most
	// rows of a chunk change.
	chunks := make([]batch.Chunk, 64)
	for i := range chunks {
		c := tumbleChunkAt(rng.IntN(5000-256), 256, i+1)
		idx := rng.Perm(256)
		perm := make([]int32, len(idx))
		for j, v := range idx {
			perm[j] = int32(v)
		}
		chunks[i] = batch.Chunk{Rec: batch.Take(c.Rec, perm)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := s.ApplyDiff(chunks[i%len(chunks)])
		if err != nil {
			b.Fatal(err)
		}
		if d.Rec != nil {
			d.Rec.Release()
		}
		if i%16 == 15 {
			s.Publish()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/row")
}
