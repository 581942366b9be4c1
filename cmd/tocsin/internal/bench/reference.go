package bench

import (
	"fmt"
	"sort"
)

// Seeds of the generators: fixed, so every run sees the same events.
const (
	requestSeed = 1
	logSeed     = 2
	latencySeed = 3
)

// event is one generated event with its encoding. rec is valid only
// during the callback.
type event struct {
	part int32
	ts   int64
	req  *Request
	line *LogLine
	rec  []byte
}

// forEach generates the events of a throughput run of w, in order.
func forEach(w *Workload, events, keys int, fn func(e *event)) {
	var buf []byte
	switch w.Stream {
	case Logs:
		g := NewLogGen(logSeed, keys)
		for range events {
			l := g.Next()
			buf = l.AppendJSON(buf[:0])
			fn(&event{part: l.Partition(), ts: l.TS, line: &l, rec: buf})
		}
	default:
		g := NewRequestGen(requestSeed, w.keysFor(events, keys))
		g.oneWindow = w.ID == "mem1m"
		for range events {
			r := g.Next()
			buf = r.AppendJSON(buf[:0])
			fn(&event{part: r.Partition(), ts: r.TS, req: &r, rec: buf})
		}
	}
}

// windowsOf calls fn with the start of every window of size sizeMs,
// starting every slideMs, that contains ts.
func windowsOf(ts, sizeMs, slideMs int64, fn func(start int64)) {
	last := floorDiv(ts, slideMs) * slideMs
	for s := last - sizeMs + slideMs; s <= last; s += slideMs {
		fn(s)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// watermarkTracker follows the sources' watermark as events are sent:
// the lowest over partitions of the highest event time minus the delay.
type watermarkTracker struct {
	maxTS [Partitions]int64
	seen  [Partitions]bool
}

// observe records an event and returns the watermark after it, or
// minInt64 while a partition has had no event.
func (t *watermarkTracker) observe(part int32, ts int64) int64 {
	if !t.seen[part] || ts > t.maxTS[part] {
		t.maxTS[part], t.seen[part] = ts, true
	}
	return t.current()
}

// current returns the watermark, or minInt64 while a partition has had
// no event.
func (t *watermarkTracker) current() int64 {
	wm := int64(1<<63 - 1)
	for p := range Partitions {
		if !t.seen[p] {
			return -1 << 63
		}
		wm = min(wm, t.maxTS[p]-watermarkDelayMs)
	}
	return wm
}

// expectation is what a finished throughput run's view must show.
type expectation struct {
	// rows is the view's row count (bySeq and byWatermark workloads).
	rows int64
	// sum is the sum of the view's n column (byGroupCount workloads).
	sum int64
}

// expect computes a run's expectation by generating its events again.
func expect(w *Workload, events, keys int) expectation {
	var x expectation
	var wmt watermarkTracker
	var tss []int64
	forEach(w, events, keys, func(e *event) {
		switch w.attr {
		case bySeq:
			if w.passes == nil || w.passes(e.req) {
				x.rows++
			}
		case byGroupCount:
			x.sum += w.sizeMs / w.slideMs
		case byWatermark:
			wmt.observe(e.part, e.ts)
			tss = append(tss, e.ts)
		}
	})
	if w.attr == byWatermark {
		wm := wmt.current()
		for _, ts := range tss {
			if ts < wm {
				x.rows++
			}
		}
	}
	return x
}

// reference is a plain-loop computation of a view's contents: counts per
// group (window and key, or key alone for row views), and for row views
// the set of seqs the view must hold.
type reference struct {
	counts map[string]int64
	seqs   map[int64]bool
	// templates maps a log line's seq to its true template (workload 6).
	templates map[int64]int
}

func groupKey(windowStartMs int64, service string) string {
	return fmt.Sprintf("%d|%s", windowStartMs, service)
}

// computeReference computes the reference contents of w's view.
func computeReference(w *Workload, events, keys int) *reference {
	ref := &reference{counts: map[string]int64{}, seqs: map[int64]bool{}}
	var wmt watermarkTracker
	type pending struct {
		seq, ts int64
		svc     string
	}
	var held []pending
	if w.Stream == Logs {
		ref.templates = map[int64]int{}
	}
	forEach(w, events, keys, func(e *event) {
		switch {
		case e.line != nil:
			ref.seqs[e.line.Seq] = true
			ref.templates[e.line.Seq] = e.line.Template
			ref.counts[fmt.Sprint(e.line.Template)]++
		case w.attr == byGroupCount:
			svc := ServiceName(e.req.Service)
			windowsOf(e.req.TS, w.sizeMs, w.slideMs, func(s int64) { ref.counts[groupKey(s, svc)]++ })
		case w.attr == byWatermark:
			wmt.observe(e.part, e.ts)
			held = append(held, pending{e.req.Seq, e.req.TS, ServiceName(e.req.Service)})
		default:
			if w.passes == nil || w.passes(e.req) {
				ref.seqs[e.req.Seq] = true
				ref.counts[ServiceName(e.req.Service)]++
			}
		}
	})
	if w.attr == byWatermark {
		wm := wmt.current()
		for _, p := range held {
			if p.ts < wm {
				ref.seqs[p.seq] = true
				ref.counts[p.svc]++
			}
		}
	}
	return ref
}

// viewRow is one row of a view's contents as verify reads them.
type viewRow struct {
	group  string // window|service, service, or template id
	n      int64  // count (group views), 1 for row views
	seq    int64  // row views
	hasSeq bool
}

// verify compares a view's rows with the reference; the error lists the
// first differences.
func (ref *reference) verify(w *Workload, rows []viewRow) error {
	got := map[string]int64{}
	seqs := map[int64]bool{}
	for _, r := range rows {
		got[r.group] += r.n
		if r.hasSeq {
			if seqs[r.seq] {
				return fmt.Errorf("workload %s: seq %d appears twice in the view", w.ID, r.seq)
			}
			seqs[r.seq] = true
		}
	}
	if w.Stream == Logs {
		return ref.verifyTemplates(rows)
	}
	var diffs []string
	for k, want := range ref.counts {
		if got[k] != want {
			diffs = append(diffs, fmt.Sprintf("%s: view %d, reference %d", k, got[k], want))
		}
	}
	for k, n := range got {
		if _, ok := ref.counts[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: view %d, reference none", k, n))
		}
	}
	if w.attr != byGroupCount {
		for s := range ref.seqs {
			if !seqs[s] {
				diffs = append(diffs, fmt.Sprintf("seq %d missing", s))
				break
			}
		}
		for s := range seqs {
			if !ref.seqs[s] {
				diffs = append(diffs, fmt.Sprintf("seq %d unexpected", s))
				break
			}
		}
	}
	return diffError(w, diffs)
}

// verifyTemplates checks workload 6: every line is in the view once, and
// Drain's template IDs are a one-to-one mapping of the true templates.
func (ref *reference) verifyTemplates(rows []viewRow) error {
	var diffs []string
	idOf := map[int]string{}
	templateOf := map[string]int{}
	seen := 0
	for _, r := range rows {
		t, ok := ref.templates[r.seq]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("seq %d unexpected", r.seq))
			continue
		}
		seen++
		if id, ok := idOf[t]; ok && id != r.group {
			diffs = append(diffs, fmt.Sprintf("template %d has ids %s and %s", t, id, r.group))
		}
		if other, ok := templateOf[r.group]; ok && other != t {
			diffs = append(diffs, fmt.Sprintf("id %s covers templates %d and %d", r.group, other, t))
		}
		idOf[t], templateOf[r.group] = r.group, t
	}
	if seen != len(ref.templates) {
		diffs = append(diffs, fmt.Sprintf("view has %d lines, reference %d", seen, len(ref.templates)))
	}
	return diffError(&Workload{ID: "6"}, diffs)
}

func diffError(w *Workload, diffs []string) error {
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	more := ""
	if len(diffs) > 5 {
		more = fmt.Sprintf(" (and %d more)", len(diffs)-5)
		diffs = diffs[:5]
	}
	return fmt.Errorf("workload %s: view differs from the reference: %v%s", w.ID, diffs, more)
}
