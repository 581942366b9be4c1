package nab

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/functions/anomaly"
)

// series is a detector output: a value per row and whether it is
// non-NULL.
type series struct {
	v  []float64
	ok []bool
}

// detect runs the built-in detector name (a spec of anomaly.NumericSpecs
// or anomaly.LSTMSpecs) over in, as DETECTOR(x, params...) OVER
// (PARTITION BY series ORDER BY ts) would: the rows in file order, in
// batches of 256, NULL inputs skipped.
func detect(t testing.TB, name string, in series, params ...float64) series {
	t.Helper()
	var spec *anomaly.Spec
	for _, s := range append(anomaly.NumericSpecs(), anomaly.LSTMSpecs()...) {
		if s.Name == name {
			spec = &s
			break
		}
	}
	if spec == nil {
		t.Fatalf("no detector %s", name)
	}
	p := make([]float64, len(spec.Params))
	for i, prm := range spec.Params {
		p[i] = prm.Default
		if i < len(params) {
			p[i] = params[i]
		}
	}
	m := spec.New(p)
	out := series{v: make([]float64, len(in.v)), ok: make([]bool, len(in.v))}
	for lo := 0; lo < len(in.v); lo += 256 {
		hi := min(lo+256, len(in.v))
		m.Step(in.v[lo:hi], in.ok[lo:hi], out.v[lo:hi], out.ok[lo:hi])
	}
	return out
}

// values is a file's value column as a series.
func values(f *File) series {
	ok := make([]bool, len(f.Values))
	for i := range ok {
		ok[i] = true
	}
	return series{v: f.Values, ok: ok}
}

// mapS applies a scalar function to the non-NULL rows (SQL's strict
// functions: NULL in, NULL out).
func mapS(s series, f func(float64) float64) series {
	out := series{v: make([]float64, len(s.v)), ok: s.ok}
	for i, v := range s.v {
		if s.ok[i] {
			out.v[i] = f(v)
		}
	}
	return out
}

// stepSize is abs(value - lag(value) OVER w): NULL on the first row.
func stepSize(f *File) series {
	s := series{v: make([]float64, len(f.Values)), ok: make([]bool, len(f.Values))}
	for i := 1; i < len(f.Values); i++ {
		s.v[i], s.ok[i] = math.Abs(f.Values[i]-f.Values[i-1]), true
	}
	return s
}

// greatest is Postgres's greatest(): NULLs ignored, NULL if all are.
func greatest(ss ...series) series {
	out := series{v: make([]float64, len(ss[0].v)), ok: make([]bool, len(ss[0].v))}
	for _, s := range ss {
		for i, v := range s.v {
			if s.ok[i] && (!out.ok[i] || v > out.v[i]) {
				out.v[i], out.ok[i] = v, true
			}
		}
	}
	return out
}

// scores turns a series into NAB scores: NULL is 0, as the SQL harness
// reads it (coalesce(score, 0)).
func (s series) scores() []float64 {
	out := make([]float64, len(s.v))
	for i, v := range s.v {
		if s.ok[i] {
			out[i] = v
		}
	}
	return out
}

// Score functions from an unbounded non-negative value to [0, 1].
func erfScore(z float64) float64 { return math.Erf(math.Abs(z) / math.Sqrt2) } // erf(abs(z) / sqrt(2))
func ratioScore(z float64) float64 { // abs(z) / (abs(z) + 1)
	return math.Abs(z) / (math.Abs(z) + 1)
}

// nabRecipe is the best built-in score found, written as two Tocsin
// views (see TestNABEval's log for the SQL):
//
//	step         = abs(value - lag(value) OVER w)
//	level_excess = RANGE_EXCESS(value) OVER w
//	step_excess  = RANGE_EXCESS(step, 500) OVER w
//	score = greatest(level_excess / (level_excess + 0.01),
//	                 step_excess / (step_excess + 2))
//
// A value beyond every value seen before by more than about 0.5% of
// their range, or a step more than about 1.6 times the largest of the
// last 500 steps, scores above NAB's chosen threshold.
func nabRecipe(t testing.TB, f *File) series {
	level := detect(t, "RANGE_EXCESS", values(f))
	step := detect(t, "RANGE_EXCESS", stepSize(f), 500)
	return greatest(
		mapS(level, func(e float64) float64 { return e / (e + 0.01) }),
		mapS(step, func(e float64) float64 { return e / (e + 2) }))
}

// nabRecipeSQL is nabRecipe as Tocsin views over a source
// nab(series, ts, value).
const nabRecipeSQL = `CREATE MATERIALIZED VIEW nab_steps AS
  SELECT series, ts, value,
         abs(value - lag(value) OVER (PARTITION BY series ORDER BY ts)) AS step,
         RANGE_EXCESS(value) OVER (PARTITION BY series ORDER BY ts) AS level_excess
  FROM nab;
CREATE MATERIALIZED VIEW nab_scores AS
  SELECT series, ts, value,
         coalesce(greatest(
           level_excess / (level_excess + 0.01),
           RANGE_EXCESS(step, 500) OVER (PARTITION BY series ORDER BY ts)
             / (RANGE_EXCESS(step, 500) OVER (PARTITION BY series ORDER BY ts) + 2)), 0) AS score
  FROM nab_steps;`

// nabEntry is one row of the evaluation table.
type nabEntry struct {
	name, score string
	run         func(t testing.TB, f *File) series
}

// absOf runs a detector over the value and applies a score function.
func absOf(name string, score func(float64) float64, params ...float64) func(testing.TB, *File) series {
	return func(t testing.TB, f *File) series {
		return mapS(detect(t, name, values(f), params...), score)
	}
}

// likelihoodOf is ANOMALY_LIKELIHOOD over abs(detector(value)), a view
// over a view in SQL.
func likelihoodOf(name string, p float64, short, long float64) func(testing.TB, *File) series {
	return func(t testing.TB, f *File) series {
		z := mapS(detect(t, name, values(f), p), math.Abs)
		return detect(t, "ANOMALY_LIKELIHOOD", z, short, long)
	}
}

// nabEntries are the detectors TestNABEval scores.
var nabEntries = []nabEntry{
	{"ZSCORE(value, 100)", "erf(abs(z) / sqrt(2))", absOf("ZSCORE", erfScore, 100)},
	{"ZSCORE(value, 100)", "abs(z) / (abs(z) + 1)", absOf("ZSCORE", ratioScore, 100)},
	{"ZSCORE(value, 2000)", "abs(z) / (abs(z) + 1)", absOf("ZSCORE", ratioScore, 2000)},
	{"ZSCORE(value, 6400)", "erf(abs(z) / sqrt(2))", absOf("ZSCORE", erfScore, 6400)},
	{"MAD_ZSCORE(value, 100)", "abs(z) / (abs(z) + 1)", absOf("MAD_ZSCORE", ratioScore, 100)},
	{"MAD_ZSCORE(value, 500)", "abs(z) / (abs(z) + 1)", absOf("MAD_ZSCORE", ratioScore, 500)},
	{"EWM_ZSCORE(value, 0.1)", "abs(z) / (abs(z) + 1)", absOf("EWM_ZSCORE", ratioScore, 0.1)},
	{"EWM_ZSCORE(value, 0.01)", "abs(z) / (abs(z) + 1)", absOf("EWM_ZSCORE", ratioScore, 0.01)},
	{"EWM_ZSCORE(value, 0.001)", "abs(z) / (abs(z) + 1)", absOf("EWM_ZSCORE", ratioScore, 0.001)},
	{"ADWIN_DRIFT(value)", "CASE WHEN drift THEN 1 ELSE 0 END", absOf("ADWIN_DRIFT", func(v float64) float64 { return v })},
	{"LSTM_SCORE(value)", "s / (s + 1)", absOf("LSTM_SCORE", ratioScore)},
	{"ANOMALY_LIKELIHOOD(abs(ZSCORE(value, 100)), 10, 1000)", "the likelihood", likelihoodOf("ZSCORE", 100, 10, 1000)},
	{"ANOMALY_LIKELIHOOD(abs(ZSCORE(value, 2000)), 1, 1000)", "the likelihood", likelihoodOf("ZSCORE", 2000, 1, 1000)},
	{"ANOMALY_LIKELIHOOD(abs(EWM_ZSCORE(value, 0.01)), 10, 1000)", "the likelihood", likelihoodOf("EWM_ZSCORE", 0.01, 10, 1000)},
	{"RANGE_EXCESS(value)", "e / (e + 0.01)", func(t testing.TB, f *File) series {
		return mapS(detect(t, "RANGE_EXCESS", values(f)), func(e float64) float64 { return e / (e + 0.01) })
	}},
	{"RANGE_EXCESS(abs(value - lag(value)), 500)", "e / (e + 2)", func(t testing.TB, f *File) series {
		return mapS(detect(t, "RANGE_EXCESS", stepSize(f), 500), func(e float64) float64 { return e / (e + 2) })
	}},
	{"RANGE_EXCESS(abs(ZSCORE(value, 2000)), 500)", "e / (e + 2)", func(t testing.TB, f *File) series {
		z := mapS(detect(t, "ZSCORE", values(f), 2000), math.Abs)
		return mapS(detect(t, "RANGE_EXCESS", z, 500), func(e float64) float64 { return e / (e + 2) })
	}},
	{"best: both RANGE_EXCESS (nab_scores)", "greatest(lvl / (lvl + 0.01), stp / (stp + 2))", nabRecipe},
}

// TestNABEval prints the detector × profile table of NAB scores for
// NAB's windowedGaussian and the built-in detectors, each with the score
// function that maps it to [0, 1] (NULL scores 0), with the exhaustive
// threshold sweep. It checks that the best built-in score reaches 55 on
// the standard profile. Run it with
//
//	TOCSIN_NAB_DIR=../shared/datasets/nab go test -run TestNABEval ./cmd/tocsin/internal/nab -v
func TestNABEval(t *testing.T) {
	c, _ := loadCorpus(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-58s %-44s %8s %8s %8s\n", "detector", "score function", "standard", "low_FP", "low_FN")
	row := func(name, score string, scores map[string][]float64) Result {
		res, err := c.Score(scores)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fmt.Fprintf(&b, "%-58s %-44s", name, score)
		for _, p := range res.Profiles {
			fmt.Fprintf(&b, " %8.2f", p.Score)
		}
		b.WriteByte('\n')
		return res
	}
	wg := map[string][]float64{}
	for _, f := range c.Files {
		wg[f.Name] = roundLikeNAB(WindowedGaussian(f.Values))
	}
	row("windowedGaussian (NAB's, in Go)", "1 - Q(|z|), 12 digits as NAB", wg)
	var best Result
	for _, e := range nabEntries {
		scores := map[string][]float64{}
		for _, f := range c.Files {
			scores[f.Name] = e.run(t, f).scores()
		}
		best = row(e.name, e.score, scores)
	}
	t.Log(b.String())
	t.Logf("the best row as Tocsin SQL:\n%s", nabRecipeSQL)
	if s := best.Profiles[0].Score; s < 55 {
		t.Errorf("best built-in detector scores %.2f on the standard profile, want ≥ 55", s)
	}
}
