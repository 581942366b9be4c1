package anomaly

// Model is one partition's state of a numeric detector.
type Model interface {
	// Step consumes one partition's rows in event-time order. valid[i]
	// false marks a NULL input, which leaves the model unchanged and
	// yields NULL. Step writes out[i], and ok[i] = false for a NULL
	// output (a NULL input, or warm-up before the model has enough
	// history). A boolean detector writes 1 or 0.
	Step(xs []float64, valid []bool, out []float64, ok []bool)
	// AppendState appends the model's serialised state to dst.
	AppendState(dst []byte) []byte
	// RestoreState replaces the model's state with bytes AppendState
	// wrote for a model built with the same parameters.
	RestoreState(src []byte) error
	// SizeBytes estimates the model's memory footprint.
	SizeBytes() int
}

// Param is one optional argument of a detector function.
type Param struct {
	Name    string
	Default float64
	// Check validates a value (nil: any finite value); its error text
	// names the constraint ("must be between 0 and 1").
	Check func(v float64) error
	Doc   string
}

// OutKind is a detector's result type.
type OutKind uint8

// Detector result types.
const (
	OutFloat OutKind = iota
	OutBool
)

// Spec describes a numeric detector function: DETECTOR(x [, params...])
// OVER (PARTITION BY ... ORDER BY ts).
type Spec struct {
	Name   string
	Params []Param
	Out    OutKind
	// New returns an empty model; params has one value per Param (the
	// defaults filled in), already checked.
	New func(params []float64) Model
	// Doc is the one-line description, warm-up included.
	Doc string
}
