package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Expected is a parsed expected-alerts file. The format, one item a
// line ('#' starts a comment):
//
//	<sink> <channel> <status> <severity> <name>=<value> ...
//	messages <sink> <channel> <count>
//
// An alert line is one alert state change some notification must carry:
// status is firing, resolved or escalated-<n> (a firing re-sent by the
// n-th escalation), severity is P0..P3 or "-". Every line is one event;
// the same line twice means two events. A "messages" line says how many
// notifications the channel receives (other channels are not counted).
// A numeric range in braces, {001..300}, repeats the line for each
// number, zero-padded to the width of the first bound.
type Expected struct {
	// Events are the expected events' keys (Event.Key), sorted.
	Events []string
	// Messages maps "sink channel" to a notification count.
	Messages map[string]int
}

// rangeRe matches a brace range such as {001..300}.
var rangeRe = regexp.MustCompile(`\{(\d+)\.\.(\d+)\}`)

// maxExpanded bounds a file's lines after brace expansion.
const maxExpanded = 100_000

// ParseExpected parses an expected-alerts file.
func ParseExpected(text string) (*Expected, error) {
	x := &Expected{Messages: map[string]int{}}
	for n, raw := range strings.Split(text, "\n") {
		line, _, _ := strings.Cut(raw, "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		lines, err := expand(line, maxExpanded-len(x.Events))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if f[0] == "messages" {
				if len(f) != 4 {
					return nil, fmt.Errorf("line %d: want messages <sink> <channel> <count>", n+1)
				}
				c, err := strconv.Atoi(f[3])
				if err != nil || c < 0 {
					return nil, fmt.Errorf("line %d: bad count %q", n+1, f[3])
				}
				x.Messages[f[1]+" "+f[2]] = c
				continue
			}
			ev, err := parseExpectedEvent(f)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			x.Events = append(x.Events, ev.Key())
		}
	}
	slices.Sort(x.Events)
	return x, nil
}

// expand applies the first brace range of line, recursively, returning
// at most limit lines.
func expand(line string, limit int) ([]string, error) {
	m := rangeRe.FindStringSubmatchIndex(line)
	if m == nil {
		return []string{line}, nil
	}
	lo, hi := line[m[2]:m[3]], line[m[4]:m[5]]
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a > b || b-a >= limit {
		return nil, fmt.Errorf("bad range {%s..%s}", lo, hi)
	}
	var out []string
	for i := a; i <= b; i++ {
		more, err := expand(fmt.Sprintf("%s%0*d%s", line[:m[0]], len(lo), i, line[m[1]:]), limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
		if len(out) > limit {
			return nil, fmt.Errorf("more than %d lines", maxExpanded)
		}
	}
	return out, nil
}

func parseExpectedEvent(f []string) (Event, error) {
	if len(f) < 4 {
		return Event{}, fmt.Errorf("want <sink> <channel> <status> <severity> <labels...>, got %q", strings.Join(f, " "))
	}
	ev := Event{Sink: f[0], Channel: f[1], Status: f[2]}
	if lvl, ok := strings.CutPrefix(f[2], "escalated-"); ok {
		n, err := strconv.Atoi(lvl)
		if err != nil || n < 1 {
			return Event{}, fmt.Errorf("bad status %q", f[2])
		}
		ev.Status, ev.Escalation = "firing", n
	} else if f[2] != "firing" && f[2] != "resolved" {
		return Event{}, fmt.Errorf("status %q is not firing, resolved or escalated-<n>", f[2])
	}
	switch sev := f[3]; {
	case sev == "-":
	case len(sev) == 2 && sev[0] == 'P' && sev[1] >= '0' && sev[1] <= '3':
		ev.Severity = sev
	default:
		return Event{}, fmt.Errorf("severity %q is not P0..P3 or -", sev)
	}
	for _, pair := range f[4:] {
		name, value, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return Event{}, fmt.Errorf("label %q is not name=value", pair)
		}
		ev.Labels = append(ev.Labels, Label{Name: name, Value: value})
	}
	return ev, nil
}

// Key identifies ev for comparison with an expected-alerts file: sink,
// channel, status, severity and the labels sorted by name.
func (ev Event) Key() string {
	status := ev.Status
	if ev.Escalation > 0 && ev.Status == "firing" {
		status = fmt.Sprintf("escalated-%d", ev.Escalation)
	}
	sev := ev.Severity
	if sev == "" {
		sev = "-"
	}
	labels := slices.Clone(ev.Labels)
	slices.SortFunc(labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s", ev.Sink, ev.Channel, status, sev)
	for _, l := range labels {
		b.WriteString(" " + l.Name + "=" + l.Value)
	}
	return b.String()
}

// Diff is how received notifications differ from an Expected.
type Diff struct {
	// Missing are expected events not received (yet); Unexpected are
	// received events not expected (or received more often).
	Missing, Unexpected []string
	// Counts describes "messages" lines that do not hold.
	Counts []string
}

// Empty reports whether the notifications were exactly as expected.
func (d Diff) Empty() bool {
	return len(d.Missing)+len(d.Unexpected)+len(d.Counts) == 0
}

func (d Diff) String() string {
	var b strings.Builder
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(items))
		for i, it := range items {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(items)-i)
				break
			}
			fmt.Fprintf(&b, "  %s\n", it)
		}
	}
	section("missing", d.Missing)
	section("unexpected", d.Unexpected)
	section("message counts", d.Counts)
	return b.String()
}

// Diff compares msgs with x.
func (x *Expected) Diff(msgs []Message) Diff {
	var got []string
	counts := map[string]int{}
	for _, m := range msgs {
		counts[m.Sink+" "+m.Channel]++
		for _, ev := range m.Events {
			got = append(got, ev.Key())
		}
	}
	slices.Sort(got)
	var d Diff
	i, j := 0, 0
	for i < len(x.Events) || j < len(got) {
		switch {
		case j == len(got) || i < len(x.Events) && x.Events[i] < got[j]:
			d.Missing = append(d.Missing, x.Events[i])
			i++
		case i == len(x.Events) || got[j] < x.Events[i]:
			d.Unexpected = append(d.Unexpected, got[j])
			j++
		default:
			i++
			j++
		}
	}
	keys := make([]string, 0, len(x.Messages))
	for k := range x.Messages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if counts[k] != x.Messages[k] {
			d.Counts = append(d.Counts, fmt.Sprintf("%s: %d notifications, want %d", k, counts[k], x.Messages[k]))
		}
	}
	return d
}
