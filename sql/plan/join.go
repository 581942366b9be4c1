package plan

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/sql/types"
)

// JoinKind is the kind of a join.
type JoinKind uint8

// The join kinds. A comma in FROM and CROSS JOIN are JoinCross (an inner
// join without condition).
const (
	JoinInner JoinKind = iota + 1
	JoinLeft
	JoinRight
	JoinFull
	JoinCross
)

func (k JoinKind) String() string {
	switch k {
	case JoinInner:
		return "INNER"
	case JoinLeft:
		return "LEFT"
	case JoinRight:
		return "RIGHT"
	case JoinFull:
		return "FULL"
	case JoinCross:
		return "CROSS"
	}
	return fmt.Sprintf("JoinKind(%d)", uint8(k))
}

// EquiKey is one equality conjunct of a join condition between a column
// of the left input and a column of the right input (ordinals of each
// input's own schema). The two columns compare by value without a cast
// that changes their representation (integers of any width, floats of
// any width, strings of any kind, timestamps), so an executor can hash
// or sort both sides on them directly. A NULL key never matches.
type EquiKey struct {
	Left, Right int
}

// Join combines rows of Left and Right. Its schema is the left columns
// followed by the right columns; the columns of the side that may be
// padded with NULLs (right for LEFT, left for RIGHT, both for FULL) are
// nullable.
//
// On is the whole join condition over that combined schema (nil for
// CROSS); EquiKeys are the equalities of On that an executor can hash or
// merge on, and Residual is the rest of On (nil when On is exactly the
// equi-keys and literal TRUEs). On == AND(EquiKeys..., Residual) always
// holds, so an executor may use either form; build joins with NewJoin,
// which maintains it. For outer joins the condition decides matching
// only: unmatched rows of the preserved side are still emitted.
//
// The batch runner executes a Join as a hash join on EquiKeys (nested
// loops when there are none); a streaming lowering may turn the same node
// into a stream-table or interval join by inspecting the keys and the
// residual time bounds.
type Join struct {
	Kind        JoinKind
	Left, Right Node
	On          Expr
	EquiKeys    []EquiKey
	Residual    Expr
}

// NewJoin returns a join with condition on (nil for none), splitting it
// into equi-keys and a residual: a conjunct counts as an equi-key when
// keyable says its two sides are columns of opposite inputs that compare
// without a representation-changing cast.
func NewJoin(kind JoinKind, left, right Node, on Expr, keyable func(Expr) (l, r int, ok bool)) *Join {
	j := &Join{Kind: kind, Left: left, Right: right, On: on}
	j.splitOn(keyable)
	return j
}

func (j *Join) splitOn(keyable func(Expr) (int, int, bool)) {
	j.EquiKeys, j.Residual = nil, nil
	if j.On == nil {
		return
	}
	var rest []Expr
	for _, c := range Conjuncts(j.On) {
		if k, ok := c.(*Const); ok && !k.Val.Null && k.Val.Type.Kind == types.Bool && k.Val.Bool() {
			continue // ON true
		}
		if keyable != nil {
			if l, r, ok := keyable(c); ok {
				j.EquiKeys = append(j.EquiKeys, EquiKey{Left: l, Right: r})
				continue
			}
		}
		rest = append(rest, c)
	}
	j.Residual = AndOf(rest)
}

// Conjuncts splits e into its top-level AND operands.
func Conjuncts(e Expr) []Expr {
	if b, ok := e.(*BoolOp); ok && b.And {
		var out []Expr
		for _, a := range b.Args {
			out = append(out, Conjuncts(a)...)
		}
		return out
	}
	return []Expr{e}
}

// AndOf joins conjuncts with AND (nil for none).
func AndOf(es []Expr) Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &BoolOp{And: true, Args: es}
}

// Schema implements Node.
func (j *Join) Schema() types.Schema {
	l, r := j.Left.Schema(), j.Right.Schema()
	s := make(types.Schema, 0, len(l)+len(r))
	for _, c := range l {
		if j.Kind == JoinRight || j.Kind == JoinFull {
			c.Nullable = true
		}
		s = append(s, c)
	}
	for _, c := range r {
		if j.Kind == JoinLeft || j.Kind == JoinFull {
			c.Nullable = true
		}
		s = append(s, c)
	}
	return s
}

// Children implements Node.
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }

func (j *Join) explain() string {
	var b strings.Builder
	b.WriteString("Join " + j.Kind.String())
	if len(j.EquiKeys) > 0 {
		l, r := j.Left.Schema(), j.Right.Schema()
		keys := make([]string, len(j.EquiKeys))
		for i, k := range j.EquiKeys {
			keys[i] = fmt.Sprintf("%s#%d = %s#%d", l[k.Left].Name, k.Left, r[k.Right].Name, len(l)+k.Right)
		}
		b.WriteString(" hash[" + strings.Join(keys, ", ") + "]")
	}
	if j.Residual != nil {
		b.WriteString(" filter " + j.Residual.String())
	}
	return b.String()
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

// The set operations.
const (
	Union SetOpKind = iota + 1
	Intersect
	Except
)

func (k SetOpKind) String() string {
	switch k {
	case Union:
		return "UNION"
	case Intersect:
		return "INTERSECT"
	case Except:
		return "EXCEPT"
	}
	return fmt.Sprintf("SetOpKind(%d)", uint8(k))
}

// SetOp combines two inputs of the same column types (the binder casts
// both to Postgres's unified types). Without All the result has no
// duplicate rows; with All, UNION keeps every row, INTERSECT keeps a row
// min(m, n) times and EXCEPT max(m-n, 0) times, where m and n are its
// multiplicities on the left and right. Rows compare as in DISTINCT:
// NULLs are equal to each other. The schema is the left input's.
type SetOp struct {
	Kind        SetOpKind
	All         bool
	Left, Right Node
}

// Schema implements Node.
func (s *SetOp) Schema() types.Schema {
	l, r := s.Left.Schema(), s.Right.Schema()
	out := make(types.Schema, len(l))
	for i, c := range l {
		c.Nullable = c.Nullable || r[i].Nullable
		out[i] = c
	}
	return out
}

// Children implements Node.
func (s *SetOp) Children() []Node { return []Node{s.Left, s.Right} }

func (s *SetOp) explain() string {
	if s.All {
		return "SetOp " + s.Kind.String() + " ALL"
	}
	return "SetOp " + s.Kind.String()
}

// With defines common table expressions for its Input: each CTE is
// computed at most once per execution of the With (and not at all if no
// CTEScan reads it), however many times Input reads it.
type With struct {
	CTEs  []*CTEDef
	Input Node
}

// CTEDef is one WITH query. ID is unique within the statement; CTEScans
// name it by ID.
type CTEDef struct {
	ID   int
	Name string
	Plan Node
}

// CTEScan reads the rows of the CTE with the given ID, defined by an
// enclosing With. Cols is the CTE's schema (with its column aliases).
type CTEScan struct {
	ID    int
	Name  string
	Alias string
	Cols  types.Schema
}

// Schema implements Node.
func (w *With) Schema() types.Schema { return w.Input.Schema() }

// Schema implements Node.
func (c *CTEDef) Schema() types.Schema { return c.Plan.Schema() }

// Schema implements Node.
func (c *CTEScan) Schema() types.Schema { return c.Cols }

// Children implements Node: the CTE definitions, then the input.
func (w *With) Children() []Node {
	out := make([]Node, 0, len(w.CTEs)+1)
	for _, c := range w.CTEs {
		out = append(out, c)
	}
	return append(out, w.Input)
}

// Children implements Node.
func (c *CTEDef) Children() []Node { return []Node{c.Plan} }

// Children implements Node.
func (c *CTEScan) Children() []Node { return nil }

func (w *With) explain() string { return "With" }

func (c *CTEDef) explain() string { return fmt.Sprintf("CTE %s (cte#%d)", c.Name, c.ID) }

func (c *CTEScan) explain() string {
	s := fmt.Sprintf("CTEScan %s (cte#%d)", c.Name, c.ID)
	if c.Alias != "" && c.Alias != c.Name {
		s += " AS " + c.Alias
	}
	return s
}
