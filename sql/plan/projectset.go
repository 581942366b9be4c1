package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/sql/types"
)

// SRFCall is a call of a set-returning function (unnest,
// generate_series, generate_subscripts, _pg_expandarray) in a select
// list. The binder produces it while binding the select list and, once
// grouping and window functions are placed, moves every SRFCall into a
// ProjectSet below the projection, leaving a ColRef to the ProjectSet's
// column in its place; an executor never evaluates an SRFCall itself.
//
// Field selects the function's output column the expression stands for;
// -1 means the whole row of a function with several output columns, a
// composite value carried as text in PostgreSQL's record form
// ("(1,2)"), whose field names and types are Cols.
type SRFCall struct {
	Name  string
	Args  []Expr
	Cols  types.Schema
	Field int
	// Gen returns the function's rows for one evaluation of Args, one
	// Datum slice per column of Cols. It is not called when an argument
	// is NULL (a strict set-returning function then returns no rows).
	Gen func(args []types.Datum) ([][]types.Datum, error)
}

// Type implements Expr.
func (e *SRFCall) Type() types.Type {
	if e.Field < 0 {
		return types.TextType
	}
	return e.Cols[e.Field].Type
}

func (e *SRFCall) String() string {
	s := e.Name + "(" + exprList(e.Args) + ")"
	if e.Field >= 0 && len(e.Cols) > 1 {
		s = "(" + s + ")." + e.Cols[e.Field].Name
	}
	return s
}

func (*SRFCall) expr() {}

// ProjectSet evaluates set-returning functions over each input row, with
// PostgreSQL's (10 and later) semantics: the functions of one row
// advance in lockstep, so the row yields as many output rows as its
// longest function returns, a shorter function's column is NULL on the
// extra rows, and a row for which every function returns no rows yields
// none. Its output is the input's columns, repeated on each generated
// row, followed by one column per function (the column Field selects,
// or the record form of the whole row).
type ProjectSet struct {
	Input Node
	Funcs []*SRFCall
}

// Schema implements Node.
func (p *ProjectSet) Schema() types.Schema {
	in := p.Input.Schema()
	s := make(types.Schema, 0, len(in)+len(p.Funcs))
	s = append(s, in...)
	for _, f := range p.Funcs {
		name := f.Name
		if f.Field >= 0 {
			name = f.Cols[f.Field].Name
		}
		s = append(s, types.Column{Name: name, Type: f.Type(), Nullable: true, Hidden: true})
	}
	return s
}

// Children implements Node.
func (p *ProjectSet) Children() []Node { return []Node{p.Input} }

func (p *ProjectSet) explain() string {
	parts := make([]string, len(p.Funcs))
	for i, f := range p.Funcs {
		parts[i] = f.String()
	}
	return fmt.Sprintf("ProjectSet %s", strings.Join(parts, ", "))
}

// SRFArgs returns the argument expressions of every function, in order.
func (p *ProjectSet) SRFArgs() []Expr {
	var out []Expr
	for _, f := range p.Funcs {
		out = append(out, f.Args...)
	}
	return out
}

// ContainsSRF reports whether e has a set-returning function call.
func ContainsSRF(e Expr) bool {
	found := false
	Walk(e, func(x Expr) {
		if _, ok := x.(*SRFCall); ok {
			found = true
		}
	})
	return found
}

var (
	_ Node = (*ProjectSet)(nil)
	_ Expr = (*SRFCall)(nil)
)
