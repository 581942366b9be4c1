package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Node is a logical plan node.
type Node interface {
	Schema() types.Schema
	Children() []Node
	explain() string
}

// Scan reads a catalog relation: a source, table or materialized view.
type Scan struct {
	Rel   *catalog.Object
	Alias string
}

// WindowKind is the kind of a window table function.
type WindowKind uint8

// The window kinds.
const (
	Tumble WindowKind = iota + 1
	Hop
	Session
)

func (k WindowKind) String() string {
	switch k {
	case Tumble:
		return "TUMBLE"
	case Hop:
		return "HOP"
	case Session:
		return "SESSION"
	}
	return "WINDOW"
}

// WindowTVF assigns each input row to windows on its TimeCol and appends
// window_start and window_end. Sizes are in microseconds. HOP emits one
// row per window a row falls in.
type WindowTVF struct {
	Input   Node
	Kind    WindowKind
	TimeCol int
	Size    int64
	Slide   int64
	Offset  int64
	schema  types.Schema
}

// NewWindowTVF builds a WindowTVF and its schema.
func NewWindowTVF(input Node, kind WindowKind, timeCol int, size, slide, offset int64) *WindowTVF {
	in := input.Schema()
	s := make(types.Schema, 0, len(in)+2)
	s = append(s, in...)
	tt := in[timeCol].Type
	s = append(s, types.Column{Name: "window_start", Type: tt}, types.Column{Name: "window_end", Type: tt})
	return &WindowTVF{Input: input, Kind: kind, TimeCol: timeCol, Size: size, Slide: slide, Offset: offset, schema: s}
}

// StartCol and EndCol are the ordinals of window_start and window_end.
func (w *WindowTVF) StartCol() int { return len(w.schema) - 2 }

// EndCol returns the ordinal of window_end.
func (w *WindowTVF) EndCol() int { return len(w.schema) - 1 }

// Filter keeps rows for which Pred is true.
type Filter struct {
	Input Node
	Pred  Expr
}

// Project computes Exprs over each input row.
type Project struct {
	Input Node
	Exprs []Expr
	Names []string
	// Hidden marks output columns not shown by SELECT * (carried keys).
	Hidden []bool
}

// AggCall is one aggregate in an Aggregate node. Args and Filter are
// ordinals of the Aggregate's input (Filter is -1 when there is no
// FILTER clause).
type AggCall struct {
	Fn *functions.Aggregate
	// Args are the direct arguments followed by the ordering arguments
	// (ORDER BY inside the call, or WITHIN GROUP), one per Order key.
	Args     []int
	ArgTypes []types.Type
	Order    []functions.OrderKey
	Filter   int
	Distinct bool
	Typ      types.Type
	Name     string
}

// Options returns the aggregate options of the call; retractable says
// whether its input is an updating stream.
func (a *AggCall) Options(retractable bool) functions.AggOptions {
	return functions.AggOptions{Retractable: retractable, Distinct: a.Distinct, Order: a.Order}
}

// Aggregate groups its input by Keys (input ordinals) and computes Aggs.
// Its output is the key columns followed by one column per aggregate.
type Aggregate struct {
	Input Node
	Keys  []int
	Aggs  []AggCall
	// KeyNames are the output names of the keys.
	KeyNames []string
}

// SortKey is one ORDER BY key over the input's columns.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit keeps Count rows (-1 = all) after skipping Offset.
type Limit struct {
	Input  Node
	Count  int64
	Offset int64
}

// Values is a constant relation (SELECT without FROM is one empty row).
type Values struct {
	Rows [][]Expr
	Cols types.Schema
}

// Schema implements Node.
func (s *Scan) Schema() types.Schema { return s.Rel.Schema }

// Schema implements Node.
func (w *WindowTVF) Schema() types.Schema { return w.schema }

// Schema implements Node.
func (f *Filter) Schema() types.Schema { return f.Input.Schema() }

// Schema implements Node.
func (p *Project) Schema() types.Schema {
	s := make(types.Schema, len(p.Exprs))
	for i, e := range p.Exprs {
		s[i] = types.Column{Name: p.Names[i], Type: e.Type(), Nullable: true}
		if p.Hidden != nil {
			s[i].Hidden = p.Hidden[i]
		}
	}
	return s
}

// Schema implements Node.
func (a *Aggregate) Schema() types.Schema {
	in := a.Input.Schema()
	s := make(types.Schema, 0, len(a.Keys)+len(a.Aggs))
	for i, k := range a.Keys {
		c := in[k]
		if i < len(a.KeyNames) && a.KeyNames[i] != "" {
			c.Name = a.KeyNames[i]
		}
		c.Hidden = false
		s = append(s, c)
	}
	for _, ag := range a.Aggs {
		s = append(s, types.Column{Name: ag.Name, Type: ag.Typ, Nullable: true})
	}
	return s
}

// Schema implements Node.
func (s *Sort) Schema() types.Schema { return s.Input.Schema() }

// Schema implements Node.
func (l *Limit) Schema() types.Schema { return l.Input.Schema() }

// Schema implements Node.
func (v *Values) Schema() types.Schema { return v.Cols }

// Children implements Node.
func (s *Scan) Children() []Node { return nil }

// Children implements Node.
func (w *WindowTVF) Children() []Node { return []Node{w.Input} }

// Children implements Node.
func (f *Filter) Children() []Node { return []Node{f.Input} }

// Children implements Node.
func (p *Project) Children() []Node { return []Node{p.Input} }

// Children implements Node.
func (a *Aggregate) Children() []Node { return []Node{a.Input} }

// Children implements Node.
func (s *Sort) Children() []Node { return []Node{s.Input} }

// Children implements Node.
func (l *Limit) Children() []Node { return []Node{l.Input} }

// Children implements Node.
func (v *Values) Children() []Node { return nil }

func (s *Scan) explain() string {
	return fmt.Sprintf("Scan %s %s", s.Rel.Kind, s.Rel.Name)
}

func (w *WindowTVF) explain() string {
	in := w.Input.Schema()
	switch w.Kind {
	case Hop:
		return fmt.Sprintf("WindowTVF HOP(%s, slide=%s, size=%s)", in[w.TimeCol].Name, micros(w.Slide), micros(w.Size))
	case Session:
		return fmt.Sprintf("WindowTVF SESSION(%s, gap=%s)", in[w.TimeCol].Name, micros(w.Size))
	}
	s := fmt.Sprintf("WindowTVF TUMBLE(%s, size=%s", in[w.TimeCol].Name, micros(w.Size))
	if w.Offset != 0 {
		s += ", offset=" + micros(w.Offset)
	}
	return s + ")"
}

func micros(us int64) string {
	return types.IntervalValue{Micros: us}.String()
}

func (f *Filter) explain() string { return "Filter " + f.Pred.String() }

func (p *Project) explain() string {
	parts := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		parts[i] = e.String()
		if c, ok := e.(*ColRef); !ok || c.Name != p.Names[i] {
			parts[i] += " AS " + p.Names[i]
		}
	}
	return "Project " + strings.Join(parts, ", ")
}

func (a *Aggregate) explain() string {
	in := a.Input.Schema()
	keys := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		keys[i] = fmt.Sprintf("%s#%d", in[k].Name, k)
	}
	aggs := make([]string, len(a.Aggs))
	for i, ag := range a.Aggs {
		args := make([]string, len(ag.Args))
		for j, x := range ag.Args {
			args[j] = fmt.Sprintf("#%d", x)
		}
		s := ag.Fn.Name + "("
		if ag.Distinct {
			s += "DISTINCT "
		}
		if ag.Fn.Star {
			s += "*"
		}
		s += strings.Join(args, ", ") + ")"
		if ag.Filter >= 0 {
			s += fmt.Sprintf(" FILTER #%d", ag.Filter)
		}
		aggs[i] = s
	}
	return fmt.Sprintf("Aggregate keys=[%s] aggs=[%s]", strings.Join(keys, ", "), strings.Join(aggs, ", "))
}

func (s *Sort) explain() string {
	return "Sort " + sortKeys(s.Input.Schema(), s.Keys)
}

func (l *Limit) explain() string {
	return fmt.Sprintf("Limit %d offset %d", l.Count, l.Offset)
}

func (v *Values) explain() string { return fmt.Sprintf("Values %d rows", len(v.Rows)) }

// Explain renders the plan as an indented tree, one node per line. The
// plans of subquery expressions follow the node that uses them, as
// "SubPlan n" entries.
func Explain(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.explain())
		b.WriteByte('\n')
		for _, sq := range subqueriesOf(n) {
			b.WriteString(strings.Repeat("  ", depth+1))
			fmt.Fprintf(&b, "SubPlan %d", sq.ID)
			if len(sq.Args) == 0 {
				b.WriteString(" (uncorrelated)")
			}
			b.WriteByte('\n')
			walk(sq.Plan, depth+2)
		}
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// subqueriesOf lists the subquery expressions in n's own expressions.
func subqueriesOf(n Node) []*Subquery {
	var out []*Subquery
	for _, e := range NodeExprs(n) {
		Walk(e, func(x Expr) {
			if sq, ok := x.(*Subquery); ok {
				out = append(out, sq)
			}
		})
	}
	return out
}
