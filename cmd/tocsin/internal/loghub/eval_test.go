package loghub

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loghubDir returns $TOCSIN_LOGHUB_DIR, skipping the test when unset. A
// relative path that does not exist from the package directory (where
// go test runs) is taken relative to the module root, where the command
// is usually typed.
func loghubDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TOCSIN_LOGHUB_DIR")
	if dir == "" {
		t.Skip("TOCSIN_LOGHUB_DIR is not set (e.g. TOCSIN_LOGHUB_DIR=../shared/datasets/loghub)")
	}
	if _, err := os.Stat(dir); err == nil || filepath.IsAbs(dir) {
		return dir
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, dir)
		}
		parent := filepath.Dir(root)
		if parent == root {
			return dir
		}
		root = parent
	}
}

// TestLoghubEval runs Drain with the published settings on every Loghub
// dataset found under $TOCSIN_LOGHUB_DIR and checks GA within 0.005 of
// the ICSE'19 number (and F1 to the published 6 decimals). It also checks that batching and a checkpoint in
// the middle of the stream do not change the labels.
func TestLoghubEval(t *testing.T) {
	dir := loghubDir(t)
	var table strings.Builder
	fmt.Fprintf(&table, "%-12s %5s %8s %10s %8s %10s %10s\n", "dataset", "lines", "GA", "published", "ΔGA", "F1", "published")
	found := 0
	for _, name := range Names() {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			continue
		}
		found++
		ds, err := LoadDataset(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Settings(name)
		cfg, err := s.Config(len(ds.Lines))
		if err != nil {
			t.Fatal(err)
		}
		pred, err := DrainLabels(ds.Lines, cfg, 256)
		if err != nil {
			t.Fatal(err)
		}
		sc := Evaluate(ds.EventIDs, pred)
		fmt.Fprintf(&table, "%-12s %5d %8.4f %10.4f %+8.4f %10.6f %10.6f\n", name, sc.N, sc.GA, s.PublishedGA, sc.GA-s.PublishedGA, sc.F1, s.PublishedF1)
		if math.Abs(sc.GA-s.PublishedGA) > 0.005 {
			t.Errorf("%s: GA %.4f, published %.4f", name, sc.GA, s.PublishedGA)
		}
		if math.Abs(sc.F1-s.PublishedF1) > 5e-7 {
			t.Errorf("%s: F1 %.6f, published %.6f", name, sc.F1, s.PublishedF1)
		}
		if one, _ := DrainLabels(ds.Lines, cfg, 1); !slices.Equal(one, pred) {
			t.Errorf("%s: labels depend on the batch size", name)
		}
		if split := splitRestoreLabels(t, ds.Lines, cfg); !slices.Equal(split, pred) {
			t.Errorf("%s: a checkpoint and restore mid-stream changes the labels", name)
		}
	}
	if found == 0 {
		t.Fatalf("no Loghub dataset directories under %s", dir)
	}
	t.Logf("Drain on Loghub-2k (ICSE'19 settings)\n%s", table.String())
}

// TestPresetsMatchBenchmarkSettings compares the preset table with the
// benchmark's settings file, when the data directory has it.
func TestPresetsMatchBenchmarkSettings(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(loghubDir(t), "drain_benchmark_settings.json"))
	if err != nil {
		t.Skipf("no settings file: %v", err)
	}
	var file struct {
		ICSE19 map[string]struct {
			LogFormat string   `json:"log_format"`
			Regex     []string `json:"regex"`
			St        float64  `json:"st"`
			Depth     int      `json:"depth"`
		} `json:"logparser_icse19"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.ICSE19) != len(Names()) {
		t.Errorf("settings file has %d datasets, presets %d", len(file.ICSE19), len(Names()))
	}
	for name, want := range file.ICSE19 {
		s, ok := Settings(name)
		if !ok {
			t.Errorf("no preset for %s", name)
			continue
		}
		if s.LogFormat != want.LogFormat || !slices.Equal(s.Masking, want.Regex) && len(s.Masking)+len(want.Regex) > 0 ||
			s.SimThreshold != want.St || s.Depth != want.Depth {
			t.Errorf("%s: preset %v, settings file %+v", name, s, want)
		}
	}
}
