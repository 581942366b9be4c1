package functions

import (
	"strings"

	"github.com/tocsin-db/tocsin/sql/types"
)

// SeriesModel is one partition's state of a detector window function
// (DETECTOR(x, ...) OVER (PARTITION BY k ORDER BY ts)). The engine owns
// one model per partition and feeds it the partition's rows in event
// time order, one batch slice per call.
type SeriesModel interface {
	// Step consumes rows in order. valid[i] false marks a NULL input,
	// which leaves the model unchanged and yields NULL. Step writes
	// out[i], and ok[i] = false for a NULL output (warm-up). A boolean
	// detector writes 1 or 0.
	Step(xs []float64, valid []bool, out []float64, ok []bool)
	// AppendState appends the model's serialised state to dst.
	AppendState(dst []byte) []byte
	// RestoreState replaces the model's state with bytes AppendState
	// wrote for a model built with the same parameters.
	RestoreState(src []byte) error
	// SizeBytes estimates the model's memory footprint.
	SizeBytes() int
}

// KernelState is the state of a stateful scalar kernel (see
// Scalar.NewState).
type KernelState interface {
	AppendState(dst []byte) []byte
	RestoreState(src []byte) error
	SizeBytes() int
}

// DetectorParam is one optional constant argument of a detector.
type DetectorParam struct {
	Name    string
	Default float64
	// Check validates a value; its error names the constraint.
	Check func(v float64) error
	Doc   string
}

// Detector is a numeric detector window function: its value argument is
// cast to double precision, Params are optional constants after it.
type Detector struct {
	Name   string
	Params []DetectorParam
	// Ret is double precision or boolean.
	Ret types.Type
	// New returns an empty model for checked parameter values (one per
	// Param, defaults filled in).
	New func(params []float64) SeriesModel
	Doc string
}

// AddDetector registers a detector window function.
func (r *Registry) AddDetector(d *Detector) {
	if r.detectors == nil {
		r.detectors = map[string]*Detector{}
	}
	r.detectors[strings.ToLower(d.Name)] = d
}

// Detector returns the detector named name, if any.
func (r *Registry) Detector(name string) (*Detector, bool) {
	for reg := r; reg != nil; reg = reg.parent {
		if d, ok := reg.detectors[strings.ToLower(name)]; ok {
			return d, true
		}
	}
	return nil, false
}
