package alert

// timerQueue is an indexed binary min-heap: each element records its
// position (index+1, 0 when not queued) through pos, so a changed timer
// is re-ordered in O(log n) instead of the manager scanning every alert.
type timerQueue[T any] struct {
	items []T
	less  func(a, b T) bool
	pos   func(T) *int
}

// peek returns the earliest element.
func (q *timerQueue[T]) peek() (T, bool) {
	if len(q.items) == 0 {
		var zero T
		return zero, false
	}
	return q.items[0], true
}

// fix re-orders x after its key changed, queueing it if needed.
func (q *timerQueue[T]) fix(x T) {
	p := q.pos(x)
	if *p == 0 {
		q.items = append(q.items, x)
		*p = len(q.items)
		q.up(len(q.items) - 1)
		return
	}
	i := *p - 1
	if !q.down(i) {
		q.up(i)
	}
}

// remove takes x out of the queue if it is queued.
func (q *timerQueue[T]) remove(x T) {
	p := q.pos(x)
	if *p == 0 {
		return
	}
	i, last := *p-1, len(q.items)-1
	*p = 0
	if i != last {
		q.items[i] = q.items[last]
		*q.pos(q.items[i]) = i + 1
	}
	var zero T
	q.items[last] = zero
	q.items = q.items[:last]
	if i != last && !q.down(i) {
		q.up(i)
	}
}

func (q *timerQueue[T]) swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	*q.pos(q.items[i]) = i + 1
	*q.pos(q.items[j]) = j + 1
}

func (q *timerQueue[T]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !q.less(q.items[i], q.items[parent]) {
			return
		}
		q.swap(i, parent)
		i = parent
	}
}

// down sifts i down and reports whether it moved.
func (q *timerQueue[T]) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(q.items) {
			break
		}
		c := l
		if r := l + 1; r < len(q.items) && q.less(q.items[r], q.items[l]) {
			c = r
		}
		if !q.less(q.items[c], q.items[i]) {
			break
		}
		q.swap(i, c)
		i = c
	}
	return i > start
}
