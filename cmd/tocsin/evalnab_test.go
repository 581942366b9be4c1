package main

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/nab"
)

// TestWindowedGaussianSQL runs the harness's windowedGaussian recipe
// through the real path on two synthetic series long enough for NAB's
// step buffer to matter (it refreshes the window every 100 values once
// 6400 are held) and compares every score with the reference loop (nab.WindowedGaussian).
func TestWindowedGaussianSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 13,600 rows through a broker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rig, err := startEvalRig(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rig.close()
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	corpus := &nab.Corpus{}
	for _, name := range []string{"a", "b"} {
		f := &nab.File{Name: name}
		level := 10.0
		for i := range 6800 {
			if i%1500 == 1499 {
				level += 5 // shifts make the stale step-buffer window visible
			}
			f.Times = append(f.Times, start.Add(time.Duration(i)*5*time.Minute))
			f.Values = append(f.Values, level+rng.NormFloat64())
		}
		corpus.Files = append(corpus.Files, f)
	}
	total, err := feedNAB(rig, corpus)
	if err != nil {
		t.Fatal(err)
	}
	d := nabDetectors[0]
	for _, st := range d.setup {
		if err := rig.exec(st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := nabScores(rig, corpus, "wg", d.score, d.from, total)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range corpus.Files {
		want := nab.WindowedGaussian(f.Values)
		bad := 0
		for i, w := range want {
			if g := got[f.Name][i]; math.Abs(g-w) > 1e-9 {
				if bad++; bad <= 5 {
					t.Errorf("%s row %d: score %.12g, reference %.12g", f.Name, i, g, w)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d scores differ", f.Name, bad, len(want))
		}
	}
}

func TestCheckNAB(t *testing.T) {
	ok := []nabRow{{Detector: "wg", Scores: []float64{39.7, 20.7, 47.4}}, {Detector: "best", Scores: []float64{63.8, 56.8, 68.3}}}
	if err := checkNAB(ok); err != nil {
		t.Fatal(err)
	}
	off := []nabRow{{Detector: "wg", Scores: []float64{40.2, 21.9, 47.8}}, ok[1]}
	if err := checkNAB(off); err == nil {
		t.Error("windowedGaussian 0.6 off the published score passed the check")
	}
	weak := []nabRow{ok[0], {Detector: "best", Scores: []float64{54.9, 50, 60}}}
	if err := checkNAB(weak); err == nil {
		t.Error("best detector below 55 passed the check")
	}
}
