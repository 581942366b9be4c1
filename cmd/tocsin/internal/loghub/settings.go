package loghub

import (
	"fmt"

	"github.com/tocsin-db/tocsin/functions/anomaly"
)

// Setting is the Drain benchmark setting of one dataset and the accuracy
// the ICSE'19 benchmark published for it (logparser's Drain README).
type Setting struct {
	// DrainPreset holds the log format, masking, threshold and depth.
	anomaly.DrainPreset
	// PublishedGA and PublishedF1 are the grouping accuracy and pairwise
	// F-measure published for Drain on the dataset's 2k sample.
	PublishedGA, PublishedF1 float64
}

// published is logparser/Drain/README.md (ICSE'19 run), by dataset.
var published = map[string][2]float64{
	"HDFS":        {0.9975, 0.999984},
	"Hadoop":      {0.9475, 0.998989},
	"Spark":       {0.9200, 0.991876},
	"Zookeeper":   {0.9665, 0.999536},
	"BGL":         {0.9625, 0.999599},
	"HPC":         {0.8870, 0.990644},
	"Thunderbird": {0.9550, 0.999329},
	"Windows":     {0.9970, 0.999994},
	"Linux":       {0.6900, 0.992437},
	"Android":     {0.9110, 0.995913},
	"HealthApp":   {0.7800, 0.918381},
	"Apache":      {1.0000, 1.000000},
	"Proxifier":   {0.5265, 0.784886},
	"OpenSSH":     {0.7875, 0.999221},
	"OpenStack":   {0.7325, 0.992536},
	"Mac":         {0.7865, 0.975451},
}

// Settings returns the setting of the dataset called name
// (case-insensitive).
func Settings(name string) (Setting, bool) {
	p, ok := anomaly.LookupDrainPreset(name)
	if !ok {
		return Setting{}, false
	}
	pub := published[p.Dataset]
	return Setting{DrainPreset: p, PublishedGA: pub[0], PublishedF1: pub[1]}, true
}

// Names returns the 16 Loghub dataset names, in the benchmark's order.
func Names() []string {
	ps := anomaly.DrainPresets()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Dataset
	}
	return out
}

// String renders the setting as one line.
func (s Setting) String() string {
	return fmt.Sprintf("%s: st=%g depth=%d format=%q masking=%q", s.Dataset, s.SimThreshold, s.Depth, s.LogFormat, s.Masking)
}
