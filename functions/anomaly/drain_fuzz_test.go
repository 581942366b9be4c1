package anomaly

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseDrainMasking(f *testing.F) {
	for _, s := range []string{"", "hdfs", `\d+(\.\d+){3}:<*>;blk_-?\d+`, `a\;b;c:<X>`, `x:<y>:<z>`, `\`, ";", `(`, `a\`, `[;]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opt string) {
		rules, err := ParseDrainMasking(opt)
		if err != nil {
			return
		}
		text := FormatDrainMasking(rules)
		again, err := ParseDrainMasking(text)
		if err != nil {
			t.Fatalf("%q formats as %q, which does not parse: %v", opt, text, err)
		}
		if FormatDrainMasking(again) != text {
			t.Fatalf("%q: %q re-formats as %q", opt, text, FormatDrainMasking(again))
		}
	})
}

func FuzzParseLogFormat(f *testing.F) {
	for _, s := range []string{"<Date> <Time> <Content>", `\[<Time>\] <Program> - <Content>`, `<A>(\[<B>\])?: <Content>`, "<<Content>>", "<Content"} {
		f.Add(s, "2024 10:00 hello world")
	}
	f.Fuzz(func(t *testing.T, format, line string) {
		lf, err := ParseLogFormat(format)
		if err != nil {
			return
		}
		if c, ok := lf.Content(line); ok && !strings.Contains(line, c) {
			t.Fatalf("content %q is not part of %q", c, line)
		}
	})
}

// FuzzDrainAddBatch feeds arbitrary text (one message per line) to small
// models and checks the output invariants and the state round trip.
func FuzzDrainAddBatch(f *testing.F) {
	f.Add("a b c\na b d\n\n1 2 3\nx\x1cy z\n<*> <*>\n", uint8(4), uint8(3), uint8(2))
	f.Add(strings.Join(drainStream(1, 60), "\n"), uint8(5), uint8(2), uint8(7))
	f.Add("é ² ½\n\xff\xfe q\n  \t \n", uint8(3), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, text string, depth, children, clusters uint8) {
		cfg := DefaultDrainConfig()
		cfg.Depth = 3 + int(depth)%6
		cfg.MaxChildren = 1 + int(children)%5
		cfg.MaxClusters = 1 + int(clusters)%8
		cfg.SimThreshold = float64(depth%5) / 4
		cfg.Masking, _ = ParseDrainMasking(`\d+`)
		msgs := strings.Split(text, "\n")
		d := NewDrain(cfg)
		half := len(msgs) / 2
		ids, tpls := drainRun(d, msgs[:half]...)
		r := NewDrain(cfg)
		if err := r.RestoreState(d.AppendState(nil)); err != nil {
			t.Fatal(err)
		}
		ids2, tpls2 := drainRun(d, msgs[half:]...)
		ids3, tpls3 := drainRun(r, msgs[half:]...)
		ids, tpls = append(ids, ids2...), append(tpls, tpls2...)
		for i, m := range msgs {
			if i >= half && (ids[i] != ids3[i-half] || tpls[i] != tpls3[i-half]) {
				t.Fatalf("row %d: restored model gives (%d, %q), original (%d, %q)", i, ids3[i-half], tpls3[i-half], ids[i], tpls[i])
			}
			toks := drainFields(nil, drainApplyMasks(cfg.Masking, m))
			tt := drainFields(nil, tpls[i])
			if ids[i] < 1 || len(tt) != len(toks) || strings.Join(tt, " ") != tpls[i] {
				t.Fatalf("row %d %q: id %d template %q", i, m, ids[i], tpls[i])
			}
			for j := range tt {
				if tt[j] != DrainWildcard && tt[j] != toks[j] {
					t.Fatalf("row %d %q: template %q does not cover it", i, m, tpls[i])
				}
			}
		}
		if d.Len() > cfg.MaxClusters || !bytes.Equal(d.AppendState(nil), r.AppendState(nil)) {
			t.Fatalf("Len %d, or states differ", d.Len())
		}
	})
}

// FuzzDrainRestoreState decodes arbitrary bytes: never a panic, and a
// model that accepted them keeps working.
func FuzzDrainRestoreState(f *testing.F) {
	cfg := DefaultDrainConfig()
	cfg.MaxClusters = 6
	cfg.MaxChildren = 3
	d := NewDrain(cfg)
	f.Add(d.AppendState(nil))
	drainRun(d, drainStream(5, 40)...)
	f.Add(d.AppendState(nil))
	f.Fuzz(func(t *testing.T, state []byte) {
		d := NewDrain(cfg)
		if err := d.RestoreState(state); err != nil {
			return
		}
		enc := d.AppendState(nil)
		e := NewDrain(cfg)
		if err := e.RestoreState(enc); err != nil || !bytes.Equal(e.AppendState(nil), enc) {
			t.Fatalf("re-encoded state does not round-trip: %v", err)
		}
		drainRun(d, drainStream(9, 30)...)
		if d.Len() > cfg.MaxClusters {
			t.Fatalf("Len %d", d.Len())
		}
	})
}
