package nab

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Corpus is a loaded NAB data set: its files, their labelled windows and
// the cost profiles. It is immutable after Load.
type Corpus struct {
	// Files are sorted by Name.
	Files []*File
	// Profiles are standard, reward_low_FP_rate and reward_low_FN_rate,
	// in that order.
	Profiles []Profile
	// Windows is K, the number of labelled windows over all files.
	Windows int

	byName map[string]*File
}

// File is one data file of the corpus.
type File struct {
	// Name is the path relative to data/, e.g.
	// "realTweets/Twitter_volume_AAPL.csv", as in the label files.
	Name   string
	Times  []time.Time
	Values []float64
	// Windows are the labelled anomaly windows as row ranges, in order
	// and disjoint.
	Windows []Window
	// Probation is the number of leading rows NAB ignores:
	// min(floor(0.15·N), 750).
	Probation int
}

// Window is a labelled anomaly window: rows First through Last inclusive.
type Window struct {
	First, Last int
}

// Profile is a NAB cost profile (tnWeight is never used by NAB).
type Profile struct {
	Name string
	// TP, FP and FN are the profile's tpWeight, fpWeight and fnWeight.
	TP, FP, FN float64
}

// profileNames are the profiles NAB reports, in report order.
var profileNames = [...]string{"standard", "reward_low_FP_rate", "reward_low_FN_rate"}

// Probation constants (nab/util.py getProbationPeriod): 15% of the file,
// at most 15% of 5000 rows.
const (
	probationFraction = 0.15
	probationCapRows  = 5000
)

// nabTimeLayout is the timestamp format of the data files; the label
// files add fractional seconds, which time.Parse accepts after seconds.
const nabTimeLayout = "2006-01-02 15:04:05"

// Load reads the NAB corpus rooted at dir (the directory holding data/,
// labels/ and config/).
func Load(dir string) (*Corpus, error) {
	return LoadFS(os.DirFS(dir))
}

// LoadFS reads a NAB corpus from fsys, laid out as Load expects. Every
// file named in labels/combined_windows.json must exist under data/, and
// every window bound must be the timestamp of one of its file's rows.
func LoadFS(fsys fs.FS) (*Corpus, error) {
	raw, err := fs.ReadFile(fsys, "labels/combined_windows.json")
	if err != nil {
		return nil, fmt.Errorf("nab: %w", err)
	}
	labels, err := parseWindows(raw)
	if err != nil {
		return nil, fmt.Errorf("nab: labels/combined_windows.json: %w", err)
	}
	raw, err = fs.ReadFile(fsys, "config/profiles.json")
	if err != nil {
		return nil, fmt.Errorf("nab: %w", err)
	}
	profiles, err := parseProfiles(raw)
	if err != nil {
		return nil, fmt.Errorf("nab: config/profiles.json: %w", err)
	}
	c := &Corpus{Profiles: profiles, byName: map[string]*File{}}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := loadFile(fsys, name, labels[name])
		if err != nil {
			return nil, fmt.Errorf("nab: data/%s: %w", name, err)
		}
		c.Files = append(c.Files, f)
		c.byName[name] = f
		c.Windows += len(f.Windows)
	}
	return c, nil
}

// File returns the file named name (relative to data/), if any.
func (c *Corpus) File(name string) (*File, bool) {
	f, ok := c.byName[name]
	return f, ok
}

// loadFile reads one data file and maps its windows to rows.
func loadFile(fsys fs.FS, name string, windows [][2]time.Time) (*File, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("invalid file name")
	}
	fh, err := fsys.Open(path.Join("data", name))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	times, values, err := parseSeries(fh)
	if err != nil {
		return nil, err
	}
	f := &File{Name: name, Times: times, Values: values}
	f.Probation = int(math.Min(math.Floor(probationFraction*float64(len(times))), probationFraction*probationCapRows))
	row := make(map[int64]int, len(times))
	for i, t := range times {
		if _, dup := row[t.UnixNano()]; !dup {
			row[t.UnixNano()] = i
		}
	}
	prev := -1
	for _, w := range windows {
		first, ok1 := row[w[0].UnixNano()]
		last, ok2 := row[w[1].UnixNano()]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("window [%s, %s] does not start and end on rows", w[0].Format(nabTimeLayout), w[1].Format(nabTimeLayout))
		}
		if first > last || first <= prev {
			return nil, fmt.Errorf("window [%s, %s] is empty or out of order", w[0].Format(nabTimeLayout), w[1].Format(nabTimeLayout))
		}
		f.Windows = append(f.Windows, Window{First: first, Last: last})
		prev = last
	}
	return f, nil
}

// parseSeries decodes a NAB data file: a "timestamp,value" header, then
// one row per line. Rows stay in file order, which is NAB's order even
// where timestamps go backwards (machine_temperature_system_failure.csv
// repeats an hour).
func parseSeries(r io.Reader) ([]time.Time, []float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("empty file")
	}
	if h := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff")); h != "timestamp,value" {
		return nil, nil, fmt.Errorf("header %q, want \"timestamp,value\"", h)
	}
	var times []time.Time
	var values []float64
	for line := 2; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		ts, val, ok := strings.Cut(text, ",")
		if !ok {
			return nil, nil, fmt.Errorf("line %d: want timestamp,value", line)
		}
		t, err := time.Parse(nabTimeLayout, ts)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("line %d: value %q is not a finite number", line, val)
		}
		times = append(times, t)
		values = append(values, v)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if len(times) == 0 {
		return nil, nil, fmt.Errorf("no rows")
	}
	return times, values, nil
}

// parseWindows decodes combined_windows.json: file name → list of
// [start, end] timestamps.
func parseWindows(raw []byte) (map[string][][2]time.Time, error) {
	var doc map[string][][]string
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("want an object of file names")
	}
	out := make(map[string][][2]time.Time, len(doc))
	for name, ws := range doc {
		var parsed [][2]time.Time
		for _, w := range ws {
			if len(w) != 2 {
				return nil, fmt.Errorf("%s: a window has %d bounds, want 2", name, len(w))
			}
			var b [2]time.Time
			for j, s := range w {
				t, err := time.Parse(nabTimeLayout, s)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				b[j] = t
			}
			parsed = append(parsed, b)
		}
		out[name] = parsed
	}
	return out, nil
}

// parseProfiles decodes profiles.json and returns the three NAB profiles
// in report order.
func parseProfiles(raw []byte) ([]Profile, error) {
	var doc map[string]struct {
		CostMatrix map[string]*float64 `json:"CostMatrix"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := make([]Profile, 0, len(profileNames))
	for _, name := range profileNames {
		p, ok := doc[name]
		if !ok {
			return nil, fmt.Errorf("profile %s is missing", name)
		}
		w := [3]float64{}
		for j, key := range [3]string{"tpWeight", "fpWeight", "fnWeight"} {
			v := p.CostMatrix[key]
			if v == nil || !(*v >= 0) || math.IsInf(*v, 0) {
				return nil, fmt.Errorf("profile %s: %s missing or not a non-negative number", name, key)
			}
			w[j] = *v
		}
		out = append(out, Profile{Name: name, TP: w[0], FP: w[1], FN: w[2]})
	}
	return out, nil
}
