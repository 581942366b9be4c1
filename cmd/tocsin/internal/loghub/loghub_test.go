package loghub

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/functions/anomaly"
)

func TestEvaluateHandChecked(t *testing.T) {
	truth := []string{"A", "A", "A", "B", "B", "C", "", "D"}
	// {0,1,2} is A exactly; {3} is half of B; {4,5} mixes B and C; line 6
	// has no truth and is dropped; line 7 has no prediction.
	pred := []string{"x", "x", "x", "y", "z", "z", "z", ""}
	s := Evaluate(truth, pred)
	if s.N != 7 || s.GA != 3.0/7 {
		t.Fatalf("N %d GA %v, want 7 and 3/7", s.N, s.GA)
	}
	// Pairs: predicted x 3, y 0, z 1 (lines 4,5) → 4; true A 3, B 1 → 4;
	// accurate: A-in-x 3 → 3.
	if s.Precision != 0.75 || s.Recall != 0.75 || s.F1 != 0.75 {
		t.Fatalf("P/R/F1 = %v/%v/%v, want 0.75", s.Precision, s.Recall, s.F1)
	}
	if g := GroupingAccuracy(truth, truth); g != 1 {
		t.Fatalf("GA(truth, truth) = %v", g)
	}
	// A short prediction leaves the rest unpredicted.
	if g := GroupingAccuracy([]string{"a", "b"}, []string{"p"}); g != 0.5 {
		t.Fatalf("short prediction: GA %v", g)
	}
	// Splitting a true group or merging two is wrong for all its lines.
	if g := GroupingAccuracy([]string{"a", "a", "b", "c"}, []string{"1", "2", "3", "3"}); g != 0 {
		t.Fatalf("GA %v, want 0", g)
	}
	if z := Evaluate(nil, nil); z != (Score{}) {
		t.Fatalf("empty: %+v", z)
	}
}

func TestSplitLines(t *testing.T) {
	for in, want := range map[string][]string{
		"":             nil,
		"a":            {"a"},
		"a\r\nb\rc\nd": {"a", "b", "c", "d"},
		"a\n\nb\r\n":   {"a", "", "b"},
		"\r\r\n":       {"", ""},
	} {
		if got := SplitLines(in); !slices.Equal(got, want) {
			t.Errorf("SplitLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEventID(t *testing.T) {
	// MD5("") = d41d8cd98f00b204e9800998ecf8427e.
	if id := EventID(""); id != "d41d8cd9" {
		t.Fatalf("EventID(\"\") = %s", id)
	}
}

func TestLabelsFromClusters(t *testing.T) {
	got := LabelsFromClusters([]int64{1, 2, 1, 3, 0}, []string{"a b", "c", "a <*>", "a <*>", ""}, []bool{true, true, true, true, false})
	// Cluster 1 ends as "a <*>", like cluster 3: one group.
	want := []string{EventID("a <*>"), EventID("c"), EventID("a <*>"), EventID("a <*>"), ""}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestTinyDataset runs the whole harness on testdata/Tiny: loading,
// header extraction with a log format, Drain and GA.
func TestTinyDataset(t *testing.T) {
	ds, err := LoadDataset("testdata", "Tiny")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Lines) != 7 || ds.EventIDs[5] != "" || ds.Templates["E2"] != "commit <*> rows" {
		t.Fatalf("loaded %q %q %v", ds.Lines, ds.EventIDs, ds.Templates)
	}
	cfg := anomaly.DefaultDrainConfig()
	if cfg.LogFormat, err = anomaly.ParseLogFormat(`\[<Time>\] <Program> - <Content>`); err != nil {
		t.Fatal(err)
	}
	pred, err := DrainLabels(ds.Lines, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	// "broken line" does not match the format; both "close" lines form
	// one group, which the truth splits into E3 and E4.
	if pred[5] != "" || pred[4] != pred[6] || pred[0] != pred[1] || pred[2] != pred[3] || pred[0] == pred[2] {
		t.Fatalf("labels %q", pred)
	}
	if s := Evaluate(ds.EventIDs, pred); math.Abs(s.GA-4.0/6) > 1e-12 {
		t.Fatalf("GA %v, want 4/6", s.GA)
	}
	if _, err := LoadDataset("testdata", "Missing"); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Fatalf("missing dataset: %v", err)
	}
}

func TestSettings(t *testing.T) {
	s, ok := Settings("proxifier")
	if !ok || s.Dataset != "Proxifier" || s.Depth != 3 || s.SimThreshold != 0.6 || s.PublishedGA != 0.5265 || len(s.Masking) != 4 {
		t.Fatalf("Settings(proxifier) = %+v, %v", s, ok)
	}
	if len(Names()) != 16 {
		t.Fatalf("%d names", len(Names()))
	}
	for _, n := range Names() {
		s, _ := Settings(n)
		if s.PublishedGA == 0 {
			t.Errorf("%s has no published GA", n)
		}
		if _, err := s.Config(2000); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, ok := Settings("nope"); ok {
		t.Fatal("unknown dataset found")
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add("AABBC", "xxyyz")
	f.Add("A A", "1 1")
	f.Fuzz(func(t *testing.T, a, b string) {
		truth, pred := strings.Split(a, ""), strings.Split(b, "")
		for i := range truth {
			if truth[i] == " " {
				truth[i] = ""
			}
		}
		for i := range pred {
			if pred[i] == " " {
				pred[i] = ""
			}
		}
		s := Evaluate(truth, pred)
		for _, v := range []float64{s.GA, s.Precision, s.Recall, s.F1} {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("score %+v out of [0,1]", s)
			}
		}
		if s.N > 0 && GroupingAccuracy(truth, truth) != 1 {
			t.Fatal("GA(truth, truth) != 1")
		}
		// Renaming predicted labels changes nothing.
		renamed := make([]string, len(pred))
		for i, p := range pred {
			if p != "" {
				renamed[i] = "r" + p
			}
		}
		if Evaluate(truth, renamed) != s {
			t.Fatal("score depends on label names")
		}
	})
}

func FuzzSplitLines(f *testing.F) {
	f.Add("a\r\nb\rc\n")
	f.Fuzz(func(t *testing.T, text string) {
		lines := SplitLines(text)
		norm := strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
		if got := strings.Join(lines, "\n"); got != strings.TrimSuffix(norm, "\n") {
			t.Fatalf("%q: lines %q", text, lines)
		}
	})
}
