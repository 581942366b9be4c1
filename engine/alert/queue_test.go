package alert

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type qitem struct{ key, pos int }

// TestTimerQueueMatchesSort drives random fix/remove operations and
// checks the queue always yields the minimum of a plain reference set.
func TestTimerQueueMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	q := timerQueue[*qitem]{
		less: func(a, b *qitem) bool { return a.key < b.key },
		pos:  func(x *qitem) *int { return &x.pos },
	}
	items := make([]*qitem, 50)
	for i := range items {
		items[i] = &qitem{}
	}
	queued := map[*qitem]bool{}
	for op := 0; op < 20000; op++ {
		x := items[rng.IntN(len(items))]
		if rng.IntN(3) == 0 {
			q.remove(x)
			delete(queued, x)
		} else {
			x.key = rng.IntN(1000)
			q.fix(x)
			queued[x] = true
		}
		var keys []int
		for x := range queued {
			keys = append(keys, x.key)
		}
		top, ok := q.peek()
		if ok != (len(keys) > 0) || len(q.items) != len(keys) {
			t.Fatalf("op %d: queue holds %d, want %d", op, len(q.items), len(keys))
		}
		if ok && top.key != slices.Min(keys) {
			t.Fatalf("op %d: top %d, want %d", op, top.key, slices.Min(keys))
		}
		for i, it := range q.items {
			if it.pos != i+1 {
				t.Fatalf("op %d: item at %d records %d", op, i, it.pos)
			}
		}
	}
}
