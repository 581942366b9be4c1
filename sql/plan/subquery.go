package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/sql/types"
)

// SubqueryKind is what a subquery expression computes from its rows.
type SubqueryKind uint8

// The subquery kinds. x IN (SELECT ...) is bound as x = ANY (SELECT ...)
// and NOT IN as its negation, which gives SQL's NULL semantics.
const (
	// SubScalar is (SELECT ...) used as a value: the single row's first
	// column, NULL when there is no row, SQLSTATE 21000 for more than one.
	SubScalar SubqueryKind = iota + 1
	// SubExists is EXISTS (SELECT ...): whether there is any row.
	SubExists
	// SubAny is x op ANY (SELECT ...): true if the comparison is true for
	// some row, else NULL if it is NULL for some row, else false (false
	// for no rows).
	SubAny
	// SubAll is x op ALL (SELECT ...): false if the comparison is false
	// for some row, else NULL if it is NULL for some row, else true (true
	// for no rows).
	SubAll
)

func (k SubqueryKind) String() string {
	switch k {
	case SubScalar:
		return "SCALAR"
	case SubExists:
		return "EXISTS"
	case SubAny:
		return "ANY"
	case SubAll:
		return "ALL"
	}
	return fmt.Sprintf("SubqueryKind(%d)", uint8(k))
}

// Subquery is a subquery used as an expression. Plan is bound in its own
// scope; a reference it makes to a column of an enclosing query is an
// OuterRef{Slot: i} that reads Args[i], an expression over the enclosing
// node's input (so correlation is explicit and grouping, projection and
// substitution treat Args like any other child expression). A subquery
// with no Args is uncorrelated and can be computed once per query.
//
// For SubAny and SubAll, X is the left operand (over the enclosing input)
// and Cmp the comparison, bound over a two-column pair row: column 0 is X
// and column 1 the subquery's single output column (casts included), so
// an executor may evaluate it vectorised over the subquery's rows or, for
// an equality, hash both sides.
//
// Executors evaluate Plan once per distinct combination of Args values,
// after replacing its OuterRefs with those values (SubstituteOuter).
type Subquery struct {
	// ID numbers the subquery within its statement ("SubPlan 1" in
	// EXPLAIN).
	ID   int
	Kind SubqueryKind
	Plan Node
	Args []Expr
	X    Expr
	Cmp  Expr
	// Op is the comparison operator as written (for EXPLAIN).
	Op  string
	Typ types.Type
}

// OuterRef reads the value of Args[Slot] of the innermost enclosing
// Subquery: a correlated reference to a column of an outer query. It
// only appears inside a Subquery's Plan and never reaches an evaluator:
// executors substitute a constant for it first.
type OuterRef struct {
	Slot int
	Typ  types.Type
	Name string
}

// WindowRef stands for the result of window function Idx of the
// enclosing SELECT while the binder builds its Window nodes; like
// AggRef, it never reaches execution.
type WindowRef struct {
	Idx int
	Typ types.Type
}

// Type implements Expr.
func (e *Subquery) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *OuterRef) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *WindowRef) Type() types.Type { return e.Typ }

func (e *Subquery) String() string {
	var b strings.Builder
	switch e.Kind {
	case SubExists:
		fmt.Fprintf(&b, "EXISTS(SubPlan %d", e.ID)
	case SubAny, SubAll:
		fmt.Fprintf(&b, "(%s %s %s(SubPlan %d", e.X, e.Op, e.Kind, e.ID)
	default:
		fmt.Fprintf(&b, "(SubPlan %d", e.ID)
	}
	if len(e.Args) > 0 {
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = a.String()
		}
		b.WriteString(" $(" + strings.Join(args, ", ") + ")")
	}
	b.WriteString(")")
	if e.Kind == SubAny || e.Kind == SubAll {
		b.WriteString(")")
	}
	return b.String()
}

func (e *OuterRef) String() string {
	if e.Name != "" {
		return fmt.Sprintf("outer.%s$%d", e.Name, e.Slot)
	}
	return fmt.Sprintf("outer$%d", e.Slot)
}

func (e *WindowRef) String() string { return fmt.Sprintf("win#%d", e.Idx) }

func (*Subquery) expr()  {}
func (*OuterRef) expr()  {}
func (*WindowRef) expr() {}

// ContainsSubquery reports whether e has a subquery expression (which
// only the batch query runner evaluates).
func ContainsSubquery(e Expr) bool {
	found := false
	Walk(e, func(x Expr) {
		if _, ok := x.(*Subquery); ok {
			found = true
		}
	})
	return found
}
