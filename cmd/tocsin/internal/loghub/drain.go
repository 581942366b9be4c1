package loghub

import (
	"crypto/md5"
	"encoding/hex"

	"github.com/tocsin-db/tocsin/functions/anomaly"
)

// EventID is logparser's event id of a template: the first 8 hex digits
// of the MD5 of its UTF-8 text.
func EventID(template string) string {
	sum := md5.Sum([]byte(template))
	return hex.EncodeToString(sum[:4])
}

// LabelsFromClusters turns a stream of per-line cluster ids and
// templates, as DRAIN_TEMPLATE_ID and DRAIN_TEMPLATE emit them, into
// logparser's labels: the EventID of each line's cluster's final
// template, which is the template emitted at the cluster's last line.
// A line with ok[i] false (ok nil: all true) gets "".
func LabelsFromClusters(ids []int64, tpls []string, ok []bool) []string {
	final := make(map[int64]string)
	for i, id := range ids {
		if ok == nil || ok[i] {
			final[id] = tpls[i]
		}
	}
	labels := make(map[int64]string, len(final))
	for id, t := range final {
		labels[id] = EventID(t)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if ok == nil || ok[i] {
			out[i] = labels[id]
		}
	}
	return out
}

// DrainLabels runs a Drain model with cfg over lines in batches of
// batch lines and returns LabelsFromClusters of its output.
func DrainLabels(lines []string, cfg anomaly.DrainConfig, batch int) ([]string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	batch = max(batch, 1)
	d := anomaly.NewDrain(cfg)
	ids := make([]int64, len(lines))
	tpls := make([]string, len(lines))
	ok := make([]bool, len(lines))
	for i := 0; i < len(lines); i += batch {
		j := min(i+batch, len(lines))
		d.AddBatch(lines[i:j], nil, ids[i:j], tpls[i:j], ok[i:j])
	}
	return LabelsFromClusters(ids, tpls, ok), nil
}

// Config returns the setting's Drain configuration with a cluster cap of
// at least lines, so that no cluster is evicted on a dataset of that
// size, as in logparser, which has no cap.
func (s Setting) Config(lines int) (anomaly.DrainConfig, error) {
	cfg, err := s.DrainPreset.Config()
	if err != nil {
		return cfg, err
	}
	cfg.MaxClusters = max(cfg.MaxClusters, lines)
	return cfg, nil
}
