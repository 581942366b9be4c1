// Package nab owns Tocsin's implementation of the Numenta Anomaly
// Benchmark (NAB v1.1) scorer, used to measure the built-in detectors
// against the published scoreboard. It is a development tool: nothing in
// the server imports it.
//
// Layers, one file each:
//   - corpus.go reads a NAB checkout laid out as upstream (data/<category>/
//     *.csv, labels/combined_windows.json, config/profiles.json) into a
//     Corpus: per file, the rows' timestamps and values, the labelled
//     windows as row ranges, and the probationary period.
//   - score.go scores per-row anomaly scores against the Corpus with each
//     cost profile: the per-row weights σ (scaled sigmoid around each
//     window), the exhaustive threshold sweep of current NAB (one
//     threshold per profile, shared by every file) and the normalisation
//     between the null detector (0) and the perfect one (100).
//
// The scoring rules are those of /work/shared/reference/benchmarks.md §2,
// written from upstream nab/sweeper.py, scorer.py and runner.py. The
// tests prove them against NAB itself: a Go port of NAB's windowedGaussian
// detector scores 39.65 / 20.87 / 47.41 from the data alone (NAB's
// scoreboard: 39.6 / 20.9 / 47.4), and NAB's stored per-row
// windowedGaussian results give, at NAB's stored thresholds, the
// normalised scores of results/final_results.json and every file's raw
// score of results/windowedGaussian/*_scores.csv to 1e-9. Scores are
// compared at full precision; NAB's pipeline rounds them to 12
// significant digits in its results files, which matters for detectors
// whose scores crowd just below 1 (windowedGaussian scores 40.13 rather
// than 39.65 unrounded), so the windowedGaussian test rounds as NAB does.
//
// The tests that need the corpus read it from the directory named by the
// environment variable TOCSIN_NAB_DIR and skip when it is unset, e.g.
//
//	TOCSIN_NAB_DIR=../shared/datasets/nab go test -run TestNABEval ./cmd/tocsin/internal/nab -v
//
// prints the detector × profile table of the built-in detectors, each
// mirrored in Go exactly as its SQL computes it (the models are the
// engine's own, from functions/anomaly), and the best one's SQL.
//
// Concurrency and memory: a Corpus is immutable after Load and safe for
// concurrent Score calls; it holds every row of the corpus (about 365,000
// rows, some 9 MB). Score allocates its sweep buffers per call.
package nab
