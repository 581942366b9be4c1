package nab

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// testProfiles is upstream's config/profiles.json.
const testProfiles = `{
"standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}},
"reward_low_FP_rate": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0}},
"reward_low_FN_rate": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0}}
}`

var testStart = time.Date(2014, 4, 1, 0, 0, 0, 0, time.UTC)

// testCSV returns a data file of n rows five minutes apart.
func testCSV(n int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,%d\n", testStart.Add(time.Duration(i)*5*time.Minute).Format(nabTimeLayout), i%7)
	}
	return b.String()
}

// rowTime is the label-file spelling of row i's timestamp.
func rowTime(i int) string {
	return testStart.Add(time.Duration(i)*5*time.Minute).Format(nabTimeLayout) + ".000000"
}

// testCorpus has a.csv (20 rows, one window on rows 8-11, probation 3)
// and b.csv (10 rows, no window, probation 1).
func testCorpus(t *testing.T) *Corpus {
	t.Helper()
	fsys := fstest.MapFS{
		"data/cat/a.csv":               {Data: []byte(testCSV(20))},
		"data/cat/b.csv":               {Data: []byte(testCSV(10))},
		"config/profiles.json":         {Data: []byte(testProfiles)},
		"labels/combined_windows.json": {Data: []byte(fmt.Sprintf(`{"cat/a.csv": [["%s", "%s"]], "cat/b.csv": []}`, rowTime(8), rowTime(11)))},
	}
	c, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadFS(t *testing.T) {
	c := testCorpus(t)
	if len(c.Files) != 2 || c.Windows != 1 || len(c.Profiles) != 3 {
		t.Fatalf("%d files, %d windows, %d profiles", len(c.Files), c.Windows, len(c.Profiles))
	}
	a, ok := c.File("cat/a.csv")
	if !ok || len(a.Values) != 20 || a.Probation != 3 || a.Windows[0] != (Window{First: 8, Last: 11}) || a.Values[9] != 2 {
		t.Fatalf("a.csv: %+v", a)
	}
	if b, _ := c.File("cat/b.csv"); b.Probation != 1 {
		t.Fatalf("b.csv probation %d", b.Probation)
	}
	want := []Profile{{"standard", 1, 0.11, 1}, {"reward_low_FP_rate", 1, 0.22, 1}, {"reward_low_FN_rate", 1, 0.11, 2}}
	for i, p := range c.Profiles {
		if p != want[i] {
			t.Errorf("profile %d: %+v, want %+v", i, p, want[i])
		}
	}
}

func TestLoadFSErrors(t *testing.T) {
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"data/cat/a.csv":               {Data: []byte(testCSV(20))},
			"config/profiles.json":         {Data: []byte(testProfiles)},
			"labels/combined_windows.json": {Data: []byte(fmt.Sprintf(`{"cat/a.csv": [["%s", "%s"]]}`, rowTime(8), rowTime(11)))},
		}
	}
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"window off the rows", "labels/combined_windows.json", `{"cat/a.csv": [["2014-04-01 00:01:00", "2014-04-01 00:30:00"]]}`, "does not start and end on rows"},
		{"window reversed", "labels/combined_windows.json", fmt.Sprintf(`{"cat/a.csv": [["%s", "%s"]]}`, rowTime(11), rowTime(8)), "empty or out of order"},
		{"missing file", "labels/combined_windows.json", `{"cat/zz.csv": []}`, "zz.csv"},
		{"escaping name", "labels/combined_windows.json", `{"../x.csv": []}`, "invalid file name"},
		{"three bounds", "labels/combined_windows.json", `{"cat/a.csv": [["a", "b", "c"]]}`, "3 bounds"},
		{"no profile", "config/profiles.json", `{"standard": {"CostMatrix": {"tpWeight": 1, "fnWeight": 1, "fpWeight": 0.11}}}`, "reward_low_FP_rate is missing"},
		{"negative weight", "config/profiles.json", strings.Replace(testProfiles, "0.22", "-1", 1), "fpWeight"},
		{"bad header", "data/cat/a.csv", "time,value\n", "header"},
		{"bad value", "data/cat/a.csv", "timestamp,value\n2014-04-01 00:00:00,abc\n", "not a finite number"},
		{"bad time", "data/cat/a.csv", "timestamp,value\n2014-04-01T00:00:00,1\n", "line 2"},
		{"no rows", "data/cat/a.csv", "timestamp,value\n", "no rows"},
	} {
		fsys := base()
		fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
		_, err := LoadFS(fsys)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// sig is the scaled sigmoid written out from benchmarks.md §2.3.
func sig(y float64) float64 {
	if y > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

func TestScaledSigmoid(t *testing.T) {
	for _, c := range []struct{ y, want float64 }{{-1, 0.986614}, {-0.5, 0.84828}, {0, 0}, {1, -0.986614}, {3.01, -1}} {
		if got := scaledSigmoid(c.y); math.Abs(got-c.want) > 5e-6 {
			t.Errorf("S(%v) = %v, want %v", c.y, got, c.want)
		}
	}
}

func TestWeights(t *testing.T) {
	c := testCorpus(t)
	a, _ := c.File("cat/a.csv")
	p := c.Profiles[2] // reward_low_FN_rate: TP 1, FP 0.11
	sigma, window := a.Weights(p)
	for i := range 20 {
		var want float64
		var win int
		switch {
		case i < 8: // before any window: far from it
			want, win = -0.11, -1
		case i <= 11: // -(11-i+1)/4, scaled so the first row is TP
			want, win = sig(-float64(11-i+1)/4)/sig(-1), 0
		default: // |i-11|/(4-1) after the window
			want, win = 0.11*sig(float64(i-11)/3), -1
		}
		if math.Abs(sigma[i]-want) > 1e-15 || window[i] != win {
			t.Errorf("row %d: σ %v window %d, want %v %d", i, sigma[i], window[i], want, win)
		}
	}
	if sigma[8] != 1 {
		t.Errorf("first window row: σ %v, want exactly A_TP", sigma[8])
	}
}

// testScores returns all-zero scores with a few set: a.csv row 9 (in
// the window) 0.9, row 10 (in the window) 0.7, row 15 (after it) 0.8,
// row 1 (probationary) 1.0; b.csv row 5 0.7.
func testScores() map[string][]float64 {
	a, b := make([]float64, 20), make([]float64, 10)
	a[9], a[10], a[15], a[1] = 0.9, 0.7, 0.8, 1
	b[5] = 0.7
	return map[string][]float64{"cat/a.csv": a, "cat/b.csv": b}
}

func TestScore(t *testing.T) {
	c := testCorpus(t)
	res, err := c.Score(testScores())
	if err != nil {
		t.Fatal(err)
	}
	tp9 := sig(-3.0/4) / sig(-1)
	fp15 := 0.11 * sig(4.0/3)
	for k, p := range res.Profiles {
		// Candidates: 1.1 → -FN; 0.9 → σ9; 0.8 → σ9 + fp15 (< σ9);
		// 0.7 → adds b.csv row 5 (-FP, no window there yet) and a
		// second detection in the window (worth nothing). 0.9 wins.
		if p.Threshold != 0.9 {
			t.Errorf("%s: θ %v, want 0.9", p.Profile.Name, p.Threshold)
		}
		raw := tp9
		if math.Abs(p.Raw-raw) > 1e-12 {
			t.Errorf("%s: raw %v, want %v", p.Profile.Name, p.Raw, raw)
		}
		fn := p.Profile.FN
		if want := 100 * (raw + fn) / (1 + fn); math.Abs(p.Score-want) > 1e-9 {
			t.Errorf("%s: score %v, want %v", p.Profile.Name, p.Score, want)
		}
		// Non-probationary rows: a.csv 17 (4 in the window), b.csv 9.
		if p.TP != 1 || p.FN != 3 || p.FP != 0 || p.TN != 22 {
			t.Errorf("%s: TP %d FN %d FP %d TN %d", p.Profile.Name, p.TP, p.FN, p.FP, p.TN)
		}
		if len(p.PerFile) != 2 || p.PerFile[0] != p.Raw || p.PerFile[1] != 0 {
			t.Errorf("%s: per file %v", p.Profile.Name, p.PerFile)
		}
		_ = k
	}
	at, err := c.ScoreAt(testScores(), c.Profiles[0], 0.7)
	if err != nil {
		t.Fatal(err)
	}
	if want := tp9 + fp15 - 0.11; math.Abs(at.Raw-want) > 1e-12 || at.TP != 2 || at.FP != 2 {
		t.Errorf("at θ=0.7: raw %v TP %d FP %d, want %v 2 2", at.Raw, at.TP, at.FP, want)
	}
}

// TestScoreTies checks that equal corpus scores keep the highest
// threshold, and that detecting nothing (1.1) wins over a loss.
func TestScoreTies(t *testing.T) {
	c := testCorpus(t)
	s := testScores()
	s["cat/a.csv"][15], s["cat/b.csv"][5] = 0, 0 // 0.7 now only adds a useless detection in the window
	res, err := c.Score(s)
	if err != nil {
		t.Fatal(err)
	}
	if th := res.Profiles[0].Threshold; th != 0.9 {
		t.Errorf("θ %v, want the higher of the tied 0.9 and 0.7", th)
	}
	none := map[string][]float64{"cat/a.csv": make([]float64, 20), "cat/b.csv": make([]float64, 10)}
	none["cat/b.csv"][4] = 0.5 // a lone false positive
	res, err = c.Score(none)
	if err != nil {
		t.Fatal(err)
	}
	// θ = 0.5 only adds a false positive. θ = 0 detects every row: the
	// window's first row (+1) and 22 false positives (about -2.4 at
	// fpWeight 0.11), raw -1.4: worse than missing the window under
	// standard (-1), better under low-FN (-2). So standard detects nothing
	// (θ 1.1, score 0) and low-FN takes θ = 0.
	if p := res.Profiles[0]; p.Threshold != noDetections || p.Score != 0 {
		t.Errorf("standard: θ %v score %v, want no detections and 0", p.Threshold, p.Score)
	}
	if p := res.Profiles[2]; p.Threshold != 0 || !(p.Score > 0) {
		t.Errorf("reward_low_FN_rate: θ %v score %v, want θ 0 and a positive score", p.Threshold, p.Score)
	}
}

func TestScoreErrors(t *testing.T) {
	c := testCorpus(t)
	for _, tc := range []struct {
		name   string
		mutate func(map[string][]float64)
		want   string
	}{
		{"missing file", func(s map[string][]float64) { delete(s, "cat/b.csv") }, "no scores for cat/b.csv"},
		{"unknown file", func(s map[string][]float64) { s["cat/zz.csv"] = nil }, "not a corpus file"},
		{"short", func(s map[string][]float64) { s["cat/a.csv"] = s["cat/a.csv"][:5] }, "5 scores for 20 rows"},
		{"above 1", func(s map[string][]float64) { s["cat/a.csv"][3] = 1.5 }, "row 3"},
		{"NaN", func(s map[string][]float64) { s["cat/b.csv"][0] = math.NaN() }, "not in [0, 1]"},
	} {
		s := testScores()
		tc.mutate(s)
		if _, err := c.Score(s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error mentioning %q", tc.name, err, tc.want)
		}
		if _, err := c.ScoreAt(s, c.Profiles[0], 0.5); err == nil {
			t.Errorf("%s: ScoreAt accepted", tc.name)
		}
	}
}

func FuzzParseSeries(f *testing.F) {
	f.Add([]byte(testCSV(3)))
	f.Add([]byte("\ufefftimestamp,value\r\n2014-04-01 00:00:00,1.5\r\n\r\n2014-04-01 00:05:00.25,-2e3\n"))
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,NaN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		times, values, err := parseSeries(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if len(times) == 0 || len(times) != len(values) {
			t.Fatalf("%d times, %d values", len(times), len(values))
		}
		for _, v := range values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v accepted", v)
			}
		}
	})
}

func FuzzParseWindows(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(`{"cat/a.csv": [["%s", "%s"]], "cat/b.csv": []}`, rowTime(8), rowTime(11))))
	f.Add([]byte(`{"x": [[]]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := parseWindows(raw)
		if err == nil && w == nil {
			t.Fatal("nil map without an error")
		}
	})
}

func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte(testProfiles))
	f.Add([]byte(`{"standard": {"CostMatrix": null}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ps, err := parseProfiles(raw)
		if err != nil {
			return
		}
		if len(ps) != len(profileNames) {
			t.Fatalf("%d profiles", len(ps))
		}
		for _, p := range ps {
			if !(p.TP >= 0 && p.FP >= 0 && p.FN >= 0) {
				t.Fatalf("profile %+v", p)
			}
		}
	})
}
