package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Expr is a bound scalar expression over the columns of one input row.
type Expr interface {
	Type() types.Type
	String() string
	expr()
}

// ColRef reads column Idx of the input.
type ColRef struct {
	Idx  int
	Typ  types.Type
	Name string
}

// Const is a constant.
type Const struct{ Val types.Datum }

// Call applies a resolved scalar function. Kernel is the kernel to run
// (Fn.Kernel, or what Fn.Prepare returned for constant arguments).
type Call struct {
	Fn     *functions.Scalar
	Kernel functions.Kernel
	Args   []Expr
	Typ    types.Type
	// State is the call site's state, for stateful functions.
	State functions.KernelState
}

// Cast converts X to To.
type Cast struct {
	X      Expr
	To     types.Type
	Kernel functions.CastKernel
}

// BoolOp is AND or OR over two or more boolean operands, with SQL's
// three-valued logic.
type BoolOp struct {
	And  bool
	Args []Expr
}

// Not is boolean negation (NULL stays NULL).
type Not struct{ X Expr }

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Case is CASE WHEN cond THEN result ... ELSE else END (simple CASE is
// bound to this searched form). Else is a NULL constant when absent.
type Case struct {
	Whens []When
	Else  Expr
	Typ   types.Type
}

// When is one WHEN arm.
type When struct {
	Cond, Result Expr
}

// Coalesce returns its first non-NULL argument.
type Coalesce struct {
	Args []Expr
	Typ  types.Type
}

// Param is a query parameter $Idx (1-based) of type Typ.
type Param struct {
	Idx int
	Typ types.Type
}

// AggRef stands for the result of aggregate Idx of the enclosing SELECT
// while the binder builds an Aggregate node; it never reaches execution.
type AggRef struct {
	Idx int
	Typ types.Type
}

// Type implements Expr.
func (e *AggRef) Type() types.Type { return e.Typ }

func (e *AggRef) String() string { return fmt.Sprintf("agg#%d", e.Idx) }

func (*AggRef) expr() {}

// Type implements Expr.
func (e *ColRef) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *Const) Type() types.Type { return e.Val.Type }

// Type implements Expr.
func (e *Call) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *Cast) Type() types.Type { return e.To }

// Type implements Expr.
func (e *BoolOp) Type() types.Type { return types.BoolType }

// Type implements Expr.
func (e *Not) Type() types.Type { return types.BoolType }

// Type implements Expr.
func (e *IsNull) Type() types.Type { return types.BoolType }

// Type implements Expr.
func (e *Param) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *Case) Type() types.Type { return e.Typ }

// Type implements Expr.
func (e *Coalesce) Type() types.Type { return e.Typ }

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	b.WriteString(" ELSE " + e.Else.String() + " END")
	return b.String()
}

func (e *Coalesce) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return "COALESCE(" + strings.Join(args, ", ") + ")"
}

func (*Case) expr()     {}
func (*Coalesce) expr() {}

func (e *ColRef) String() string {
	if e.Name != "" {
		return fmt.Sprintf("%s#%d", e.Name, e.Idx)
	}
	return fmt.Sprintf("#%d", e.Idx)
}

func (e *Const) String() string {
	if e.Val.Type.IsString() || e.Val.Type.Kind == types.Unknown {
		if e.Val.Null {
			return "NULL"
		}
		return "'" + strings.ReplaceAll(e.Val.S, "'", "''") + "'"
	}
	if e.Val.Type.IsTimestamp() || e.Val.Type.Kind == types.Interval || e.Val.Type.Kind == types.Date {
		return fmt.Sprintf("'%s'::%s", e.Val, e.Val.Type)
	}
	return e.Val.String()
}

func (e *Call) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	if len(args) == 2 && !isWord(e.Fn.Name) {
		return "(" + args[0] + " " + e.Fn.Name + " " + args[1] + ")"
	}
	return e.Fn.Name + "(" + strings.Join(args, ", ") + ")"
}

func isWord(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (e *Cast) String() string { return e.X.String() + "::" + e.To.String() }

func (e *BoolOp) String() string {
	op := " OR "
	if e.And {
		op = " AND "
	}
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return "(" + strings.Join(args, op) + ")"
}

func (e *Not) String() string { return "NOT " + e.X.String() }

func (e *IsNull) String() string {
	if e.Not {
		return e.X.String() + " IS NOT NULL"
	}
	return e.X.String() + " IS NULL"
}

func (e *Param) String() string { return fmt.Sprintf("$%d", e.Idx) }

func (*ColRef) expr() {}
func (*Const) expr()  {}
func (*Call) expr()   {}
func (*Cast) expr()   {}
func (*BoolOp) expr() {}
func (*Not) expr()    {}
func (*IsNull) expr() {}
func (*Param) expr()  {}

// Equal reports whether two bound expressions are structurally equal
// (same functions, same columns, same constants).
func Equal(a, b Expr) bool {
	switch x := a.(type) {
	case *ColRef:
		y, ok := b.(*ColRef)
		return ok && x.Idx == y.Idx
	case *Const:
		y, ok := b.(*Const)
		return ok && x.Val.Type == y.Val.Type && x.Val.String() == y.Val.String() && x.Val.Null == y.Val.Null
	case *Call:
		y, ok := b.(*Call)
		return ok && x.Fn == y.Fn && equalList(x.Args, y.Args)
	case *Cast:
		y, ok := b.(*Cast)
		return ok && x.To == y.To && Equal(x.X, y.X)
	case *BoolOp:
		y, ok := b.(*BoolOp)
		return ok && x.And == y.And && equalList(x.Args, y.Args)
	case *Not:
		y, ok := b.(*Not)
		return ok && Equal(x.X, y.X)
	case *IsNull:
		y, ok := b.(*IsNull)
		return ok && x.Not == y.Not && Equal(x.X, y.X)
	case *Param:
		y, ok := b.(*Param)
		return ok && x.Idx == y.Idx
	case *AggRef:
		y, ok := b.(*AggRef)
		return ok && x.Idx == y.Idx
	case *Case:
		y, ok := b.(*Case)
		if !ok || len(x.Whens) != len(y.Whens) || !Equal(x.Else, y.Else) {
			return false
		}
		for i := range x.Whens {
			if !Equal(x.Whens[i].Cond, y.Whens[i].Cond) || !Equal(x.Whens[i].Result, y.Whens[i].Result) {
				return false
			}
		}
		return true
	case *Coalesce:
		y, ok := b.(*Coalesce)
		return ok && equalList(x.Args, y.Args)
	case *OuterRef:
		y, ok := b.(*OuterRef)
		return ok && x.Slot == y.Slot
	case *WindowRef:
		y, ok := b.(*WindowRef)
		return ok && x.Idx == y.Idx
	case *SRFCall:
		// Each call of a set-returning function is its own generator.
		y, ok := b.(*SRFCall)
		return ok && x == y
	case *Subquery:
		// Two subqueries are the same expression only if they are the
		// same bound occurrence.
		y, ok := b.(*Subquery)
		return ok && x == y
	}
	return false
}

func equalList(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Rewrite returns e with f applied bottom-up: children first, then the
// node itself. f returns its argument unchanged to keep a node.
func Rewrite(e Expr, f func(Expr) Expr) Expr {
	switch x := e.(type) {
	case *Call:
		c := *x
		c.Args = rewriteList(x.Args, f)
		return f(&c)
	case *Cast:
		c := *x
		c.X = Rewrite(x.X, f)
		return f(&c)
	case *BoolOp:
		c := *x
		c.Args = rewriteList(x.Args, f)
		return f(&c)
	case *Not:
		return f(&Not{X: Rewrite(x.X, f)})
	case *IsNull:
		return f(&IsNull{X: Rewrite(x.X, f), Not: x.Not})
	case *Case, *Coalesce, *Subquery, *SRFCall:
		y, _ := MapChildren(e, func(c Expr) (Expr, error) { return Rewrite(c, f), nil })
		return f(y)
	}
	return f(e)
}

func rewriteList(es []Expr, f func(Expr) Expr) []Expr {
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = Rewrite(e, f)
	}
	return out
}

// Walk calls f on e and every sub-expression, parents first.
func Walk(e Expr, f func(Expr)) {
	f(e)
	switch x := e.(type) {
	case *Call:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case *Cast:
		Walk(x.X, f)
	case *BoolOp:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case *Not:
		Walk(x.X, f)
	case *IsNull:
		Walk(x.X, f)
	case *Case:
		for _, w := range x.Whens {
			Walk(w.Cond, f)
			Walk(w.Result, f)
		}
		Walk(x.Else, f)
	case *Coalesce:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case *SRFCall:
		for _, a := range x.Args {
			Walk(a, f)
		}
	case *Subquery:
		// The subquery's own plan is another scope; only its correlated
		// arguments and left operand are expressions over this input.
		if x.X != nil {
			Walk(x.X, f)
		}
		for _, a := range x.Args {
			Walk(a, f)
		}
	}
}

// Columns returns the input columns e reads, in first-use order.
func Columns(e Expr) []int {
	var out []int
	seen := map[int]bool{}
	Walk(e, func(x Expr) {
		if c, ok := x.(*ColRef); ok && !seen[c.Idx] {
			seen[c.Idx] = true
			out = append(out, c.Idx)
		}
	})
	return out
}

// MapChildren returns e rebuilt with f applied to each direct child
// expression (e itself is returned for leaves).
func MapChildren(e Expr, f func(Expr) (Expr, error)) (Expr, error) {
	mapList := func(es []Expr) ([]Expr, error) {
		out := make([]Expr, len(es))
		for i, x := range es {
			y, err := f(x)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	switch x := e.(type) {
	case *Call:
		args, err := mapList(x.Args)
		if err != nil {
			return nil, err
		}
		c := *x
		c.Args = args
		return &c, nil
	case *Cast:
		y, err := f(x.X)
		if err != nil {
			return nil, err
		}
		c := *x
		c.X = y
		return &c, nil
	case *BoolOp:
		args, err := mapList(x.Args)
		if err != nil {
			return nil, err
		}
		return &BoolOp{And: x.And, Args: args}, nil
	case *Not:
		y, err := f(x.X)
		if err != nil {
			return nil, err
		}
		return &Not{X: y}, nil
	case *IsNull:
		y, err := f(x.X)
		if err != nil {
			return nil, err
		}
		return &IsNull{X: y, Not: x.Not}, nil
	case *Case:
		c := &Case{Typ: x.Typ, Whens: make([]When, len(x.Whens))}
		for i, w := range x.Whens {
			cond, err := f(w.Cond)
			if err != nil {
				return nil, err
			}
			res, err := f(w.Result)
			if err != nil {
				return nil, err
			}
			c.Whens[i] = When{Cond: cond, Result: res}
		}
		els, err := f(x.Else)
		if err != nil {
			return nil, err
		}
		c.Else = els
		return c, nil
	case *Coalesce:
		args, err := mapList(x.Args)
		if err != nil {
			return nil, err
		}
		return &Coalesce{Args: args, Typ: x.Typ}, nil
	case *SRFCall:
		args, err := mapList(x.Args)
		if err != nil {
			return nil, err
		}
		c := *x
		c.Args = args
		return &c, nil
	case *Subquery:
		c := *x
		if x.X != nil {
			y, err := f(x.X)
			if err != nil {
				return nil, err
			}
			c.X = y
		}
		args, err := mapList(x.Args)
		if err != nil {
			return nil, err
		}
		c.Args = args
		return &c, nil
	}
	return e, nil
}
