package anomaly

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Register adds the detector window functions (NumericSpecs) and the
// Drain functions to r.
func Register(r *functions.Registry) {
	// A name listed twice is registered once (AddDetector replaces).
	for _, s := range append(NumericSpecs(), LSTMSpecs()...) {
		r.AddDetector(detectorOf(s))
	}
	registerDrain(r)
}

func detectorOf(s Spec) *functions.Detector {
	d := &functions.Detector{Name: strings.ToLower(s.Name), Ret: types.Float64Type, Doc: s.Doc,
		New: func(p []float64) functions.SeriesModel { return s.New(p) }}
	if s.Out == OutBool {
		d.Ret = types.BoolType
	}
	for _, p := range s.Params {
		d.Params = append(d.Params, functions.DetectorParam{Name: p.Name, Default: p.Default, Check: p.Check, Doc: p.Doc})
	}
	return d
}
