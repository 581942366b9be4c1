package anomaly

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// drainRun feeds msgs to d as one batch and returns ids and templates.
func drainRun(d *Drain, msgs ...string) ([]int64, []string) {
	ids := make([]int64, len(msgs))
	tpls := make([]string, len(msgs))
	ok := make([]bool, len(msgs))
	d.AddBatch(msgs, nil, ids, tpls, ok)
	for i := range ok {
		if !ok[i] {
			ids[i], tpls[i] = -1, "!"
		}
	}
	return ids, tpls
}

func drainCfg(st float64, depth int) DrainConfig {
	c := DefaultDrainConfig()
	c.SimThreshold, c.Depth = st, depth
	return c
}

func checkDrain(t *testing.T, d *Drain, msgs []string, wantIDs []int64, wantTpls []string) {
	t.Helper()
	ids, tpls := drainRun(d, msgs...)
	for i := range msgs {
		if ids[i] != wantIDs[i] || tpls[i] != wantTpls[i] {
			t.Errorf("message %d %q: got (%d, %q), want (%d, %q)", i, msgs[i], ids[i], tpls[i], wantIDs[i], wantTpls[i])
		}
	}
}

func TestDrainMergesAndGeneralises(t *testing.T) {
	d := NewDrain(DefaultDrainConfig())
	checkDrain(t, d,
		[]string{
			"connection from 10.0.0.1 closed",
			"connection from 10.0.0.2 closed",
			"connection from host9 closed",
			"user alice logged in",
			"connection  from\t10.0.0.3 closed\r\n",
		},
		[]int64{1, 1, 1, 2, 1},
		[]string{
			"connection from 10.0.0.1 closed",
			"connection from <*> closed",
			"connection from <*> closed",
			"user alice logged in",
			"connection from <*> closed",
		})
	if d.Len() != 2 {
		t.Fatalf("Len = %d, want 2", d.Len())
	}
	if tpl, ok := d.Template(1); !ok || tpl != "connection from <*> closed" {
		t.Fatalf("Template(1) = %q, %v", tpl, ok)
	}
	if _, ok := d.Template(3); ok {
		t.Fatal("Template(3) exists")
	}
}

func TestDrainThreshold(t *testing.T) {
	// One of four tokens equal: 0.25 < 0.5 founds a new cluster, while
	// st = 0.25 merges.
	msgs := []string{"send a b c", "send x y z"}
	checkDrain(t, NewDrain(drainCfg(0.5, 4)), msgs, []int64{1, 2}, []string{"send a b c", "send x y z"})
	checkDrain(t, NewDrain(drainCfg(0.25, 4)), msgs, []int64{1, 1}, []string{"send a b c", "send <*> <*> <*>"})
	// Different token counts never merge.
	checkDrain(t, NewDrain(drainCfg(0, 4)), []string{"a b c", "a b c d"}, []int64{1, 2}, []string{"a b c", "a b c d"})
}

func TestDrainDigitsTakeTheWildcardBranch(t *testing.T) {
	d := NewDrain(DefaultDrainConfig())
	// "b" gets its own child. "1a" contains a digit, so it founds its
	// cluster under the wildcard child, where "2a" and "²q" (a digit to
	// Python) meet it; so does "c", which has no child of its own.
	checkDrain(t, d,
		[]string{"b x y", "1a x y", "2a x y", "²q x y", "c x y", "b x z"},
		[]int64{1, 2, 2, 2, 2, 1},
		[]string{"b x y", "1a x y", "<*> x y", "<*> x y", "<*> x y", "b x <*>"})
}

func TestDrainTieBreaking(t *testing.T) {
	// Depth 3: every cluster of a length sits in one leaf.
	d := NewDrain(drainCfg(0.5, 3))
	checkDrain(t, d,
		[]string{"a b c d", "x y z d", "x q z d", "a q z d"},
		[]int64{1, 2, 2, 2},
		// The last message is 2/4 similar to both; the template with more
		// wildcards wins.
		[]string{"a b c d", "x y z d", "x <*> z d", "<*> <*> z d"})
	d = NewDrain(drainCfg(0.5, 3))
	checkDrain(t, d,
		[]string{"a b c d", "e f c g", "a f c h"},
		[]int64{1, 2, 1},
		// A full tie goes to the older cluster.
		[]string{"a b c d", "e f c g", "a <*> c <*>"})
	// Wildcard positions never count as similar: against "<*> <*> z d",
	// "q r z d" scores 2/4, below 0.75.
	d = NewDrain(drainCfg(0.75, 3))
	checkDrain(t, d,
		[]string{"p r z d", "q r z d", "s t z d"},
		[]int64{1, 1, 2},
		[]string{"p r z d", "<*> r z d", "s t z d"})
}

func TestDrainShortMessagesMatchExactly(t *testing.T) {
	// Depth 5 routes by two tokens: messages of fewer than 3 tokens are
	// short and group by identical text only, as logparser's output does.
	d := NewDrain(drainCfg(0.1, 5))
	checkDrain(t, d,
		[]string{"error 42", "error 43", "error 42", "", "   ", "ok", "ok", "a b c", "a b d"},
		[]int64{1, 2, 1, 3, 3, 4, 4, 5, 5},
		[]string{"error 42", "error 43", "error 42", "", "", "ok", "ok", "a b c", "a b <*>"})
}

func TestDrainMaxChildren(t *testing.T) {
	c := DefaultDrainConfig()
	c.MaxChildren = 3
	d := NewDrain(c)
	// a and b get children; c takes the last slot, reserved for the
	// wildcard, and d joins it there.
	checkDrain(t, d,
		[]string{"a x y z", "b x y z", "c x y z", "d x y z", "a x y w"},
		[]int64{1, 2, 3, 3, 1},
		[]string{"a x y z", "b x y z", "c x y z", "<*> x y z", "a x y <*>"})
}

func TestDrainMasking(t *testing.T) {
	c := DefaultDrainConfig()
	var err error
	if c.Masking, err = ParseDrainMasking(`(\d+\.){3}\d+:<IP>;blk_-?\d+`); err != nil {
		t.Fatal(err)
	}
	d := NewDrain(c)
	checkDrain(t, d,
		[]string{"connect 10.0.0.1 ok blk_-12", "connect 10.0.0.2 ok blk_7", "connect host ok blk_7"},
		[]int64{1, 1, 1},
		[]string{"connect <IP> ok <*>", "connect <IP> ok <*>", "connect <*> ok <*>"})
}

func TestDrainLogFormat(t *testing.T) {
	c := DefaultDrainConfig()
	var err error
	if c.LogFormat, err = ParseLogFormat(`<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`); err != nil {
		t.Fatal(err)
	}
	d := NewDrain(c)
	msgs := []string{
		"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
		"Jun 14 15:16:02 combo sshd: check pass; user root  ",
		"not a log line",
		"Jun 15 02:04:59 combo sshd(pam_unix)[20882]: check pass; user unknown",
	}
	ids := make([]int64, 5)
	tpls := make([]string, 5)
	ok := make([]bool, 5)
	d.AddBatch(append(msgs, "Jun 15 02:04:59 combo x: y"), []bool{true, true, true, true, false}, ids, tpls, ok)
	want := []struct {
		id  int64
		tpl string
		ok  bool
	}{{1, "check pass; user unknown", true}, {1, "check pass; user <*>", true}, {0, "", false}, {1, "check pass; user <*>", true}, {0, "", false}}
	for i, w := range want {
		if ids[i] != w.id || tpls[i] != w.tpl || ok[i] != w.ok {
			t.Errorf("row %d: got (%d, %q, %v), want %v", i, ids[i], tpls[i], ok[i], w)
		}
	}
}

func TestLogFormatContent(t *testing.T) {
	f, err := ParseLogFormat(`<Date> <Time>, <Level>  <Content>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ line, content string }{
		{"2016-09-28 04:30:30, Info   CBS  Loaded Servicing Stack", "CBS  Loaded Servicing Stack"},
		{"  d t,\u00a0L\tx y \r", "x y"},
		{"d t, L", ""},
	} {
		got, ok := f.Content(tc.line)
		if want := tc.content != ""; ok != want || got != tc.content {
			t.Errorf("Content(%q) = %q, %v; want %q", tc.line, got, ok, tc.content)
		}
	}
	for _, bad := range []string{"", "<Date> <Time>", "<Da te> <Content>", `(<Content>`, "<Content> <Content>"} {
		if _, err := ParseLogFormat(bad); err == nil {
			t.Errorf("ParseLogFormat(%q) succeeded", bad)
		}
	}
}

func TestDrainTextRules(t *testing.T) {
	got := drainFields(nil, "a\x1cb\u00a0c\u2003d\u0085e  \tf\u200bg\x85")
	want := []string{"a", "b", "c", "d", "e", "f\u200bg\x85"} // a lone 0x85 byte is not U+0085
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("fields = %q, want %q", got, want)
	}
	for s, want := range map[string]bool{"abc": false, "a1": true, "x²": true, "٣": true, "½": false, "é": false, "": false} {
		if drainHasDigit(s) != want {
			t.Errorf("hasDigit(%q) = %v", s, !want)
		}
	}
}

func TestDrainEvictionIsLRU(t *testing.T) {
	c := DefaultDrainConfig()
	c.MaxClusters = 2
	d := NewDrain(c)
	checkDrain(t, d,
		// a(1) b(2), a touched, c(3) evicts b, b(4) evicts a, c stays 3.
		[]string{"a a a", "b b b", "a a a", "c c c", "b b b", "c c c", "a a a"},
		[]int64{1, 2, 1, 3, 4, 3, 5},
		[]string{"a a a", "b b b", "a a a", "c c c", "b b b", "c c c", "a a a"})
	if d.Len() != 2 {
		t.Fatalf("Len = %d", d.Len())
	}
	for id, live := range map[int64]bool{1: false, 2: false, 3: true, 4: false, 5: true} {
		if _, ok := d.Template(id); ok != live {
			t.Errorf("Template(%d) live = %v, want %v", id, ok, live)
		}
	}
}

func TestDrainMemoryIsBounded(t *testing.T) {
	c := DefaultDrainConfig()
	c.MaxClusters = 50
	c.MaxChildren = 1000
	c.SimThreshold = 1
	d := NewDrain(c)
	// Every message founds a cluster with its own tree path and a
	// template of the same size.
	msg := func(i int) string { return fmt.Sprintf("w%c%c%c x y z", 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26) }
	for i := 0; i < 50; i++ {
		drainRun(d, msg(i))
	}
	base := d.SizeBytes()
	for i := 50; i < 15000; i++ {
		drainRun(d, msg(i))
	}
	if d.Len() != 50 {
		t.Fatalf("Len = %d", d.Len())
	}
	if got := d.SizeBytes(); got != base {
		t.Fatalf("SizeBytes went from %d to %d with the cluster count fixed", base, got)
	}
	nodes := 0
	var walk func(*drainNode)
	walk = func(n *drainNode) {
		nodes++
		for _, c := range n.children {
			walk(c)
		}
	}
	for _, n := range d.lengths {
		walk(n)
	}
	if nodes != 51 {
		t.Fatalf("%d tree nodes for 50 clusters, want 51: evicted paths were not pruned", nodes)
	}
}

func TestDrainSizeBytes(t *testing.T) {
	d := NewDrain(DefaultDrainConfig())
	empty := d.SizeBytes()
	drainRun(d, "one two three", "four five six seven")
	if d.SizeBytes() <= empty+2*drainClusterBytes {
		t.Fatalf("SizeBytes %d does not count two clusters over %d", d.SizeBytes(), empty)
	}
}

func TestDrainDoesNotRetainInput(t *testing.T) {
	d := NewDrain(DefaultDrainConfig())
	buf := []byte("alpha beta gamma")
	_, tpls := drainRun(d, string(buf))
	buf[0] = 'X'
	if tpls[0] != "alpha beta gamma" {
		t.Fatal("template aliases the input")
	}
}

func TestDrainConfigValidate(t *testing.T) {
	ok := DefaultDrainConfig()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*DrainConfig){
		"st":          func(c *DrainConfig) { c.SimThreshold = 1.5 },
		"depth":       func(c *DrainConfig) { c.Depth = 2 },
		"children":    func(c *DrainConfig) { c.MaxChildren = 0 },
		"clusters":    func(c *DrainConfig) { c.MaxClusters = 0 },
		"nil pattern": func(c *DrainConfig) { c.Masking = []DrainMask{{Mask: DrainWildcard}} },
	} {
		c := DefaultDrainConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}

// drainStream generates a deterministic stream of messages from a few
// templates with variable fields, some of which change token counts.
func drainStream(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"alpha", "beta", "gamma", "delta", "node", "disk", "user", "error"}
	out := make([]string, n)
	for i := range out {
		switch r.IntN(6) {
		case 0:
			out[i] = fmt.Sprintf("Received block blk_%d of size %d from /10.0.%d.%d", r.Int64(), r.IntN(1e8), r.IntN(9), r.IntN(255))
		case 1:
			out[i] = fmt.Sprintf("%s %s failed after %d retries", words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(5))
		case 2:
			out[i] = fmt.Sprintf("PacketResponder %d for block blk_%d terminating", r.IntN(3), r.Int64())
		case 3:
			out[i] = strings.Repeat(words[r.IntN(len(words))]+" ", 1+r.IntN(4))
		case 4:
			out[i] = fmt.Sprintf("session %s opened for user %s by (uid=%d)", words[r.IntN(len(words))], words[r.IntN(3)], r.IntN(3))
		default:
			out[i] = fmt.Sprintf("w%d %s", r.IntN(300), words[r.IntN(len(words))])
		}
	}
	return out
}

func TestDrainDeterministic(t *testing.T) {
	msgs := drainStream(7, 3000)
	c := DefaultDrainConfig()
	c.MaxClusters = 40
	a, b := NewDrain(c), NewDrain(c)
	ia, ta := drainRun(a, msgs...)
	// The same stream in uneven batches.
	var ib []int64
	var tb []string
	for i := 0; i < len(msgs); {
		j := min(len(msgs), i+1+i%97)
		x, y := drainRun(b, msgs[i:j]...)
		ib, tb = append(ib, x...), append(tb, y...)
		i = j
	}
	for i := range msgs {
		if ia[i] != ib[i] || ta[i] != tb[i] {
			t.Fatalf("row %d differs: (%d %q) vs (%d %q)", i, ia[i], ta[i], ib[i], tb[i])
		}
	}
	if string(a.AppendState(nil)) != string(b.AppendState(nil)) {
		t.Fatal("states differ")
	}
}
