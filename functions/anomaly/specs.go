package anomaly

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// NumericSpecs returns the specs of the statistical detectors: ZSCORE,
// MAD_ZSCORE, EWMA, EWM_ZSCORE, ADWIN_DRIFT, ADWIN_MEAN, RANGE_EXCESS and
// ANOMALY_LIKELIHOOD, in that order. Register adds them with LSTMSpecs.
func NumericSpecs() []Spec {
	specs := []Spec{
		zscoreSpec(),
		madSpec(),
		ewmaSpec(),
		ewmZScoreSpec(),
		adwinDriftSpec(),
		adwinMeanSpec(),
		rangeExcessSpec(),
		likelihoodSpec(),
	}
	// The LSTM detectors (LSTMSpecs) are listed beside these by Register
	// rather than here, so that each family owns its list.
	return specs
}

// numMaxAbs bounds the inputs the numeric detectors accept: a larger
// magnitude, like NaN and ±Infinity, is treated as NULL (the row yields
// NULL and leaves the model unchanged), because its square would overflow
// a variance and one non-finite value would poison the running sums for
// good.
const numMaxAbs = 1e150

// numUsable reports whether x is a value the numeric detectors consume.
func numUsable(x float64) bool { return x >= -numMaxAbs && x <= numMaxAbs }

// numValid reports whether row i is non-NULL and usable. A nil or empty
// valid means every row is non-NULL.
func numValid(valid []bool, xs []float64, i int) bool {
	return (len(valid) == 0 || valid[i]) && numUsable(xs[i])
}

// intParam returns a Param check for an integer in [lo, hi].
func intParam(lo, hi int) func(float64) error {
	return func(v float64) error {
		if v != math.Trunc(v) || v < float64(lo) || v > float64(hi) {
			return fmt.Errorf("must be an integer between %d and %d", lo, hi)
		}
		return nil
	}
}

// unitParam returns a Param check for a value in (0, 1], or in (0, 1)
// when one is excluded too.
func unitParam(oneAllowed bool) func(float64) error {
	if oneAllowed {
		return func(v float64) error {
			if !(v > 0 && v <= 1) {
				return fmt.Errorf("must be greater than 0 and at most 1")
			}
			return nil
		}
	}
	return func(v float64) error {
		if !(v > 0 && v < 1) {
			return fmt.Errorf("must be between 0 and 1, exclusive")
		}
		return nil
	}
}

// Checkpoint layout shared by the numeric detectors (little-endian): a
// version byte (numStateVersion), a kind byte naming the detector (a
// numKind), then the detector's fields as u64 words: counts as unsigned
// integers, floats as their exact IEEE-754 bit patterns, so a restored
// model continues bit for bit. Each detector's file documents its fields.
const numStateVersion = 1

// numKind tags a numeric detector's checkpoint, so that a state is never
// restored into another detector's model.
type numKind uint8

// Numeric detector kinds, as stored in checkpoints (never renumber).
const (
	kindZScore numKind = iota + 1
	kindMADZScore
	kindEWMA
	kindEWMZScore
	kindADWINDrift
	kindADWINMean
	kindLikelihood
	kindRangeExcess
)

// numAppendHeader appends the version and kind bytes.
func numAppendHeader(dst []byte, k numKind) []byte {
	return append(dst, numStateVersion, byte(k))
}

// numAppendU64 appends one little-endian word.
func numAppendU64(dst []byte, v uint64) []byte {
	return binary.LittleEndian.AppendUint64(dst, v)
}

// numAppendF64 appends the bit pattern of f.
func numAppendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// numReader decodes a checkpoint written with numAppendHeader, numAppendU64
// and numAppendF64. The first failure sticks: later reads return zero and
// err reports the first problem, so decoders read every field and check
// once.
type numReader struct {
	name string // the detector, for error messages
	b    []byte
	err  error
}

// newNumReader checks the header of src against kind.
func newNumReader(name string, k numKind, src []byte) *numReader {
	r := &numReader{name: name, b: src}
	switch {
	case len(src) < 2:
		r.fail("%d bytes is shorter than the header", len(src))
	case src[0] != numStateVersion:
		r.fail("unknown version %d", src[0])
	case numKind(src[1]) != k:
		r.fail("state of another detector (kind %d)", src[1])
	default:
		r.b = src[2:]
	}
	return r
}

// fail records the first decoding error.
func (r *numReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = sqlerr.New(sqlerr.Internal, "%s state: %s", r.name, fmt.Sprintf(format, args...))
		r.b = nil
	}
}

// u64 reads one word.
func (r *numReader) u64() uint64 {
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// count reads a word that must be at most limit.
func (r *numReader) count(limit uint64) int {
	v := r.u64()
	if v > limit {
		r.fail("count %d exceeds %d", v, limit)
		return 0
	}
	return int(v)
}

// f64 reads a float, which must be finite.
func (r *numReader) f64() float64 {
	f := math.Float64frombits(r.u64())
	if math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail("non-finite value")
		return 0
	}
	return f
}

// input reads a float that must be a value the detectors consume (see
// numUsable): a stored input value.
func (r *numReader) input() float64 {
	f := r.f64()
	if r.err == nil && !numUsable(f) {
		r.fail("input value %g out of range", f)
		return 0
	}
	return f
}

// finish reports the first error, or trailing bytes.
func (r *numReader) finish() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}
