package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// WindowFuncKind identifies a window function. Every aggregate of the
// function registry is also a window function (WinAggregate, with Agg
// set): that is the extension point for new window functions with
// serialisable state, such as anomaly detectors.
type WindowFuncKind uint8

// The window functions.
const (
	WinAggregate WindowFuncKind = iota + 1
	WinRowNumber
	WinRank
	WinDenseRank
	WinPercentRank
	WinCumeDist
	WinNtile
	WinLag
	WinLead
	WinFirstValue
	WinLastValue
	WinNthValue
	// WinDetector is an anomaly detector (Detector set): a model per
	// partition fed the rows in ORDER BY order.
	WinDetector
)

var windowFuncNames = [...]string{
	WinAggregate: "aggregate", WinRowNumber: "row_number", WinRank: "rank", WinDenseRank: "dense_rank",
	WinPercentRank: "percent_rank", WinCumeDist: "cume_dist", WinNtile: "ntile", WinLag: "lag",
	WinLead: "lead", WinFirstValue: "first_value", WinLastValue: "last_value", WinNthValue: "nth_value",
	WinDetector: "detector",
}

func (k WindowFuncKind) String() string {
	if int(k) < len(windowFuncNames) && windowFuncNames[k] != "" {
		return windowFuncNames[k]
	}
	return fmt.Sprintf("WindowFuncKind(%d)", uint8(k))
}

// UsesFrame reports whether the function's result depends on the window
// frame (aggregates and first/last/nth_value) rather than on the whole
// partition.
func (k WindowFuncKind) UsesFrame() bool {
	return k == WinAggregate || k == WinFirstValue || k == WinLastValue || k == WinNthValue
}

// FrameUnit is ROWS, RANGE or GROUPS.
type FrameUnit uint8

// The frame units.
const (
	FrameRows FrameUnit = iota + 1
	FrameRange
	FrameGroups
)

func (u FrameUnit) String() string {
	switch u {
	case FrameRows:
		return "ROWS"
	case FrameRange:
		return "RANGE"
	case FrameGroups:
		return "GROUPS"
	}
	return fmt.Sprintf("FrameUnit(%d)", uint8(u))
}

// BoundKind is the kind of a frame bound.
type BoundKind uint8

// The frame bound kinds.
const (
	UnboundedPreceding BoundKind = iota + 1
	OffsetPreceding
	CurrentRow
	OffsetFollowing
	UnboundedFollowing
)

// FrameBound is one end of a frame. Offset is set for OffsetPreceding
// and OffsetFollowing: a non-negative bigint for ROWS and GROUPS; for
// RANGE a value of the ORDER BY column's type, or an interval when that
// column is a date or timestamp.
type FrameBound struct {
	Kind   BoundKind
	Offset types.Datum
}

func (b FrameBound) String() string {
	switch b.Kind {
	case UnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case OffsetPreceding:
		return b.Offset.String() + " PRECEDING"
	case CurrentRow:
		return "CURRENT ROW"
	case OffsetFollowing:
		return b.Offset.String() + " FOLLOWING"
	case UnboundedFollowing:
		return "UNBOUNDED FOLLOWING"
	}
	return "?"
}

// Frame is a window frame. The default frame, RANGE BETWEEN UNBOUNDED
// PRECEDING AND CURRENT ROW, covers the partition's rows up to the
// current row's last peer (all rows when there is no ORDER BY).
type Frame struct {
	Unit       FrameUnit
	Start, End FrameBound
}

// DefaultFrame returns Postgres's default frame.
func DefaultFrame() Frame {
	return Frame{Unit: FrameRange, Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: CurrentRow}}
}

func (f Frame) String() string {
	return fmt.Sprintf("%s BETWEEN %s AND %s", f.Unit, f.Start, f.End)
}

// WindowCall is one window function of a Window node. Args are ordinals
// of the Window's input; for lag/lead they are (value, offset, default),
// for ntile (buckets), for nth_value (value, n). Filter is the ordinal of
// an aggregate's FILTER condition, or -1.
type WindowCall struct {
	Kind WindowFuncKind
	// Agg is the aggregate overload for WinAggregate.
	Agg *functions.Aggregate
	// Detector and Params (one value per detector parameter) are set
	// for WinDetector.
	Detector *functions.Detector
	Params   []float64
	Args     []int
	ArgTypes []types.Type
	Filter   int
	Frame    Frame
	Typ      types.Type
	Name     string
}

// Window computes window functions that share one PARTITION BY and ORDER
// BY. Its output is the input's columns followed by one column per
// function. Rows of a partition are ordered by OrderBy; peers (rows equal
// on every ORDER BY key) get the same rank and, in RANGE and GROUPS
// frames, the same frame. Partition and order keys are input ordinals
// (the binder projects expressions first). A query with several window
// specifications stacks one Window per specification.
type Window struct {
	Input       Node
	PartitionBy []int
	OrderBy     []SortKey
	Funcs       []WindowCall
}

// Schema implements Node.
func (w *Window) Schema() types.Schema {
	in := w.Input.Schema()
	s := make(types.Schema, 0, len(in)+len(w.Funcs))
	s = append(s, in...)
	for _, f := range w.Funcs {
		s = append(s, types.Column{Name: f.Name, Type: f.Typ, Nullable: true})
	}
	return s
}

// Children implements Node.
func (w *Window) Children() []Node { return []Node{w.Input} }

func (w *Window) explain() string {
	in := w.Input.Schema()
	var b strings.Builder
	b.WriteString("Window")
	if len(w.PartitionBy) > 0 {
		parts := make([]string, len(w.PartitionBy))
		for i, p := range w.PartitionBy {
			parts[i] = fmt.Sprintf("%s#%d", in[p].Name, p)
		}
		b.WriteString(" partition=[" + strings.Join(parts, ", ") + "]")
	}
	if len(w.OrderBy) > 0 {
		b.WriteString(" order=[" + sortKeys(in, w.OrderBy) + "]")
	}
	funcs := make([]string, len(w.Funcs))
	for i, f := range w.Funcs {
		name := f.Kind.String()
		switch f.Kind {
		case WinAggregate:
			name = f.Agg.Name
		case WinDetector:
			name = f.Detector.Name
		}
		args := make([]string, len(f.Args))
		for j, a := range f.Args {
			args[j] = fmt.Sprintf("#%d", a)
		}
		s := name + "(" + strings.Join(args, ", ") + ")"
		if f.Kind == WinAggregate && f.Agg.Star {
			s = name + "(*)"
		}
		if f.Filter >= 0 {
			s += fmt.Sprintf(" FILTER #%d", f.Filter)
		}
		if f.Kind.UsesFrame() && f.Frame != DefaultFrame() {
			s += " " + f.Frame.String()
		}
		funcs[i] = s
	}
	b.WriteString(" funcs=[" + strings.Join(funcs, ", ") + "]")
	return b.String()
}

// sortKeys prints ORDER BY keys over schema in.
func sortKeys(in types.Schema, keys []SortKey) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s#%d", in[k.Col].Name, k.Col)
		if k.Desc {
			out[i] += " DESC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				out[i] += " NULLS FIRST"
			} else {
				out[i] += " NULLS LAST"
			}
		}
	}
	return strings.Join(out, ", ")
}
