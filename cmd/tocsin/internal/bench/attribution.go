package bench

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/functions/vec"
)

// tracker attributes the changes a view's subscription delivers to the
// events that caused them, and so measures each event's latency from its
// send to its effect being visible. The producer registers events (sent)
// and the subscription reports changes (Rows); both hold mu.
type tracker struct {
	w     *Workload
	start time.Time

	mu sync.Mutex
	// Per event, indexed by seq (the latency phase numbers events 0..).
	sendNs []int64
	// ackNs is when the broker acknowledged each event (kafka mode; the
	// producer reports them once it is done).
	ackNs     []int64
	visNs     []int64 // -1 until visible
	trackable []bool
	tsOf      []int64
	// byGroupCount: each group's events in send order, how many of them
	// the view reflects, and how many of its groups each event still
	// waits for.
	groups map[groupID][]int32
	seen   map[groupID]int64
	need   []uint8
	// byWatermark: the watermark after each event.
	wmt     watermarkTracker
	wmAfter []int64

	cols  []engine.Column
	idx   struct{ diff, seq, window, service, n int }
	ready chan struct{}
	once  sync.Once
}

type groupID struct {
	window  int64
	service int
}

var _ engine.ResultWriter = (*tracker)(nil)

func newTracker(w *Workload, capacity int) *tracker {
	t := &tracker{w: w, start: time.Now(), ready: make(chan struct{}),
		sendNs: make([]int64, 0, capacity), visNs: make([]int64, 0, capacity),
		trackable: make([]bool, 0, capacity), tsOf: make([]int64, 0, capacity)}
	switch w.attr {
	case byGroupCount:
		t.groups, t.seen = map[groupID][]int32{}, map[groupID]int64{}
	case byWatermark:
		t.wmAfter = make([]int64, 0, capacity)
	}
	return t
}

// now returns the nanoseconds since the tracker started (monotonic).
func (t *tracker) now() int64 { return int64(time.Since(t.start)) }

// plan registers the next event, before the run: everything about it
// but its send time. Events must be planned in seq order.
func (t *tracker) plan(e *event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	seq := int32(len(t.visNs))
	t.visNs = append(t.visNs, -1)
	t.tsOf = append(t.tsOf, e.ts)
	ok := true
	switch t.w.attr {
	case bySeq:
		ok = e.req == nil || t.w.passes == nil || t.w.passes(e.req)
	case byGroupCount:
		var n uint8
		windowsOf(e.ts, t.w.sizeMs, t.w.slideMs, func(s int64) {
			g := groupID{window: s, service: e.req.Service}
			t.groups[g] = append(t.groups[g], seq)
			n++
		})
		t.need = append(t.need, n)
	case byWatermark:
		t.wmAfter = append(t.wmAfter, t.wmt.observe(e.part, e.ts))
	}
	t.trackable = append(t.trackable, ok)
}

// sent stamps the next n planned events with their send time, just
// before they are delivered.
func (t *tracker) sent(n int, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for range n {
		t.sendNs = append(t.sendNs, at)
	}
}

// sentUpTo stamps the planned events up to n (exclusive) not stamped
// yet with the send time at (ns since the tracker started).
func (t *tracker) sentUpTo(n int, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.sendNs) < n {
		t.sendNs = append(t.sendNs, at)
	}
}

// ackedUpTo stamps the events up to n (exclusive) not stamped yet with
// the instant the broker acknowledged them (ns since the tracker started).
func (t *tracker) ackedUpTo(n int, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.ackNs) < n {
		t.ackNs = append(t.ackNs, at)
	}
}

// Columns implements engine.ResultWriter: SUBSCRIBE's columns.
func (t *tracker) Columns(cols []engine.Column) error {
	t.cols = cols
	t.idx.diff = indexOf(cols, "tocsin_diff")
	t.idx.seq = indexOf(cols, "seq")
	t.idx.window = indexOf(cols, "window_start")
	t.idx.service = indexOf(cols, "service")
	t.idx.n = indexOf(cols, "n")
	if t.idx.diff < 0 || (t.w.attr == byGroupCount && (t.idx.window < 0 || t.idx.service < 0 || t.idx.n < 0)) ||
		(t.w.attr != byGroupCount && t.idx.seq < 0) {
		return errors.New("bench: the view lacks the columns latency attribution needs")
	}
	t.once.Do(func() { close(t.ready) })
	return nil
}

// Rows implements engine.ResultWriter: a batch of the view's changes.
// Columns of 64-bit integers or timestamps without nulls are read as
// typed slices, once per batch: the tracker runs in Tocsin's process,
// and reading every value through DatumAt was 8 % of workload 3's
// latency run.
func (t *tracker) Rows(rec arrow.RecordBatch) error {
	at := t.now()
	n := int(rec.NumRows())
	ints := func(col int) []int64 {
		if col < 0 {
			return nil
		}
		arr := rec.Column(col)
		switch arr.DataType().ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			if arr.NullN() == 0 {
				return vec.Values[int64](arr)
			}
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = functions.DatumAt(arr, t.cols[col].Type, i).I
		}
		return out
	}
	diffs := ints(t.idx.diff)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w.attr != byGroupCount {
		seqs := ints(t.idx.seq)
		for i := range n {
			if diffs[i] > 0 {
				t.observeSeq(seqs[i], at)
			}
		}
		return nil
	}
	windows, counts := ints(t.idx.window), ints(t.idx.n)
	services := rec.Column(t.idx.service)
	for i := range n {
		if diffs[i] <= 0 {
			continue
		}
		svc := functions.DatumAt(services, t.cols[t.idx.service].Type, i).S
		k, err := strconv.Atoi(strings.TrimPrefix(svc, "svc-"))
		if err != nil {
			continue
		}
		t.observeGroup(groupID{window: windows[i] / 1000, service: k}, counts[i], at)
	}
	return nil
}

// observeSeq records that the row of event seq became visible at (mu
// held).
func (t *tracker) observeSeq(seq, at int64) {
	if seq >= 0 && seq < int64(len(t.visNs)) && t.visNs[seq] < 0 {
		t.visNs[seq] = at
	}
}

// observeGroup records that group g's count reached n at (mu held): its
// first n events are reflected in that window.
func (t *tracker) observeGroup(g groupID, n, at int64) {
	list := t.groups[g]
	n = min(n, int64(len(list)))
	for j := t.seen[g]; j < n; j++ {
		seq := list[j]
		t.need[seq]--
		if t.need[seq] == 0 {
			t.visNs[seq] = at
		}
	}
	t.seen[g] = max(t.seen[g], n)
}

// Complete, Empty, Notice and CopyIn implement engine.ResultWriter.
func (t *tracker) Complete(string) error         { return nil }
func (t *tracker) Empty() error                  { return nil }
func (t *tracker) Notice(string, string) error   { return nil }
func (t *tracker) CopyIn(int) (io.Reader, error) { return nil, errors.New("bench: no COPY data") }

// origin returns the index of the event latency is measured from for
// event seq: the event itself, or (byWatermark) the first event after
// which the watermark passed its event time; -1 if none has been sent.
func (t *tracker) origin(seq int) int {
	if t.w.attr != byWatermark {
		return seq
	}
	ts := t.tsOf[seq]
	j, _ := slices.BinarySearchFunc(t.wmAfter, ts, func(wm, ts int64) int {
		if wm > ts {
			return 1
		}
		return -1
	})
	if j == len(t.wmAfter) || j >= len(t.sendNs) {
		return -1
	}
	return j
}

// pending returns how many events that must become visible are not
// visible yet (byWatermark: those the last watermark passed).
func (t *tracker) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	wm := t.wmt.current()
	n := 0
	for seq, vis := range t.visNs {
		if vis < 0 && t.trackable[seq] && (t.w.attr != byWatermark || t.tsOf[seq] < wm) {
			n++
		}
	}
	return n
}

// latencies returns the measured events' latencies in nanoseconds,
// sorted, the same from the broker's acknowledgement (kafka mode, else
// empty), and how many measured events never became visible.
func (t *tracker) latencies(fromNs int64) (lat, fromAck []int64, missing int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for seq := range t.sendNs {
		o := t.origin(seq)
		if !t.trackable[seq] || o < 0 || t.sendNs[o] < fromNs {
			continue
		}
		if t.visNs[seq] < 0 {
			missing++
			continue
		}
		lat = append(lat, t.visNs[seq]-t.sendNs[o])
		if o < len(t.ackNs) {
			fromAck = append(fromAck, t.visNs[seq]-t.ackNs[o])
		}
	}
	slices.Sort(lat)
	slices.Sort(fromAck)
	return lat, fromAck, missing
}

// percentile returns the nearest-rank p-quantile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}
