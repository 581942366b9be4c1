package anomaly

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

func TestParseDrainMasking(t *testing.T) {
	for _, tc := range []struct {
		opt      string
		patterns []string
		masks    []string
	}{
		{"", nil, nil},
		{"HDFS", []string{`blk_-?\d+`, `(\d+\.){3}\d+(:\d+)?`}, []string{"<*>", "<*>"}},
		{`\d+(\.\d+){3}:<*>;blk_-?\d+`, []string{`\d+(\.\d+){3}`, `blk_-?\d+`}, []string{"<*>", "<*>"}},
		{`(\d+\.){3}\d+(:\d+)?:<IP>`, []string{`(\d+\.){3}\d+(:\d+)?`}, []string{"<IP>"}},
		{`a\;b;c[\;]`, []string{`a\;b`, `c[\;]`}, []string{"<*>", "<*>"}},
		{`x\:<y>`, []string{`x\:<y>`}, []string{"<*>"}},
		{`x:<y>:<z>`, []string{`x:<y>`}, []string{"<z>"}},
	} {
		rules, err := ParseDrainMasking(tc.opt)
		if err != nil {
			t.Errorf("%q: %v", tc.opt, err)
			continue
		}
		if len(rules) != len(tc.patterns) {
			t.Errorf("%q: %d rules, want %d", tc.opt, len(rules), len(tc.patterns))
			continue
		}
		for i, r := range rules {
			if r.Pattern.String() != tc.patterns[i] || r.Mask != tc.masks[i] {
				t.Errorf("%q rule %d: (%q, %q), want (%q, %q)", tc.opt, i, r.Pattern, r.Mask, tc.patterns[i], tc.masks[i])
			}
		}
		again, err := ParseDrainMasking(FormatDrainMasking(rules))
		if err != nil || FormatDrainMasking(again) != FormatDrainMasking(rules) {
			t.Errorf("%q does not round-trip through %q: %v", tc.opt, FormatDrainMasking(rules), err)
		}
	}
	for _, tc := range []struct {
		opt  string
		code sqlerr.Code
	}{
		{"a;;b", sqlerr.InvalidParameterValue},
		{"a;", sqlerr.InvalidParameterValue},
		{":<IP>", sqlerr.InvalidParameterValue},
		{"ok;(unclosed", sqlerr.InvalidRegularExpression},
		{`\d*`, sqlerr.InvalidParameterValue},
		{`\b`, sqlerr.InvalidParameterValue},
	} {
		_, err := ParseDrainMasking(tc.opt)
		if err == nil || sqlerr.CodeOf(err) != tc.code {
			t.Errorf("%q: error %v, want code %s", tc.opt, err, tc.code)
		}
	}
}

func TestDrainMaskingAppliesInOrder(t *testing.T) {
	rules, err := ParseDrainMasking(`(\d+\.){3}\d+:<IP>;\d+`)
	if err != nil {
		t.Fatal(err)
	}
	if got := drainApplyMasks(rules, "from 10.1.2.3 port 22"); got != "from <IP> port <*>" {
		t.Fatalf("got %q", got)
	}
}

func TestDrainPresets(t *testing.T) {
	ps := DrainPresets()
	if len(ps) != 16 {
		t.Fatalf("%d presets", len(ps))
	}
	for _, p := range ps {
		cfg, err := p.Config()
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if cfg.Validate() != nil || len(cfg.Masking) != len(p.Masking) || cfg.LogFormat == nil {
			t.Errorf("%s: bad config", p.Name)
		}
		if _, err := ParseDrainMasking(p.Dataset); err != nil {
			t.Errorf("masking preset %s: %v", p.Dataset, err)
		}
	}
	p, _ := LookupDrainPreset("linux")
	p.Masking[0] = "mutated"
	if q, _ := LookupDrainPreset("linux"); q.Masking[0] == "mutated" {
		t.Fatal("LookupDrainPreset shares the table")
	}
}
