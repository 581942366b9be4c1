package loghub

import (
	"testing"

	"github.com/tocsin-db/tocsin/functions/anomaly"
)

// splitRestoreLabels runs the model over the first half of lines, moves
// its state into a fresh model, and finishes there.
func splitRestoreLabels(t *testing.T, lines []string, cfg anomaly.DrainConfig) []string {
	t.Helper()
	n := len(lines)
	ids, tpls, ok := make([]int64, n), make([]string, n), make([]bool, n)
	a := anomaly.NewDrain(cfg)
	a.AddBatch(lines[:n/2], nil, ids, tpls, ok)
	b := anomaly.NewDrain(cfg)
	if err := b.RestoreState(a.AppendState(nil)); err != nil {
		t.Fatal(err)
	}
	b.AddBatch(lines[n/2:], nil, ids[n/2:], tpls[n/2:], ok[n/2:])
	return LabelsFromClusters(ids, tpls, ok)
}
