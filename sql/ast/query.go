package ast

// SelectItem is one item of a SELECT list: an expression with an optional
// alias, `*`, or `t.*` (Star with StarTable set).
type SelectItem struct {
	Pos
	Expr      Expr
	Alias     string
	Star      bool
	StarTable string
}

// OrderItem is one ORDER BY item.
type OrderItem struct {
	Pos
	Expr Expr
	Desc bool
	// Nulls is NullsDefault unless NULLS FIRST/LAST was written.
	Nulls NullsOrder
}

// NullsOrder is an explicit NULLS FIRST / NULLS LAST.
type NullsOrder uint8

// The NULLS orders.
const (
	NullsDefault NullsOrder = iota
	NullsFirst
	NullsLast
)

// CTE is one `name [(cols)] AS (query)` of a WITH clause.
type CTE struct {
	Pos
	Name    string
	Columns []string
	Query   Query
}

// NamedWindow is `WINDOW w AS (spec)`.
type NamedWindow struct {
	Pos
	Name string
	Spec *WindowSpec
}

// Select is a SELECT block.
type Select struct {
	Pos
	With     []CTE
	Distinct bool
	Items    []SelectItem
	// From is nil for SELECT without FROM.
	From    TableExpr
	Where   Expr
	GroupBy []Expr
	Having  Expr
	Windows []NamedWindow
	OrderBy []OrderItem
	Limit   Expr
	Offset  Expr
}

// SetOpKind is UNION / INTERSECT / EXCEPT.
type SetOpKind uint8

// The set operations.
const (
	Union SetOpKind = iota + 1
	Intersect
	Except
)

// SetOp is `left UNION [ALL] right` (and INTERSECT, EXCEPT), with the
// ORDER BY / LIMIT that apply to the whole result.
type SetOp struct {
	Pos
	With    []CTE
	Kind    SetOpKind
	All     bool
	Left    Query
	Right   Query
	OrderBy []OrderItem
	Limit   Expr
	Offset  Expr
}

// Values is a VALUES list.
type Values struct {
	Pos
	Rows [][]Expr
}

// TableName is a named relation in FROM.
type TableName struct {
	Pos
	Name  Ident
	Alias string
}

// TableFunc is a table-valued function in FROM: the window functions
// TUMBLE(src, ts, size [, offset]), HOP(src, ts, slide, size [, offset]),
// SESSION(src, ts, gap), and set-returning functions such as
// generate_series and unnest. Name is lower-cased. For the window
// functions the first argument is a *ColumnRef naming the relation.
type TableFunc struct {
	Pos
	Name  string
	Args  []Expr
	Alias string
	// ColumnAliases renames output columns: AS t(a, b).
	ColumnAliases []string
}

// Subquery is a parenthesised query in FROM.
type Subquery struct {
	Pos
	Query   Query
	Alias   string
	Lateral bool
}

// JoinKind is the kind of a join.
type JoinKind uint8

// The join kinds.
const (
	JoinInner JoinKind = iota + 1
	JoinLeft
	JoinRight
	JoinFull
	JoinCross
)

// Join is `left <kind> JOIN right [ON cond | USING (cols)]`. A comma in
// FROM is a JoinCross.
type Join struct {
	Pos
	Kind    JoinKind
	Left    TableExpr
	Right   TableExpr
	On      Expr
	Using   []string
	Natural bool
}

func (*Select) query()        {}
func (*SetOp) query()         {}
func (*Values) query()        {}
func (*TableName) tableExpr() {}
func (*TableFunc) tableExpr() {}
func (*Subquery) tableExpr()  {}
func (*Join) tableExpr()      {}
