package ast

// ColumnRef is a column reference: Parts is [col], [table, col] or
// [schema, table, col].
type ColumnRef struct {
	Pos
	Parts []string
}

// Name returns the column name (the last part).
func (c *ColumnRef) Name() string { return c.Parts[len(c.Parts)-1] }

// Qualifier returns the table qualifier ("" if none).
func (c *ColumnRef) Qualifier() string {
	if len(c.Parts) < 2 {
		return ""
	}
	return c.Parts[len(c.Parts)-2]
}

// LitKind is the kind of a literal.
type LitKind uint8

// The literal kinds. Numbers keep their text so the binder can type them
// exactly (integer if it fits, else numeric/float).
const (
	LitNull LitKind = iota + 1
	LitBool
	LitInt
	LitFloat
	LitString
	// LitBitString is B'0101' / X'ff' (Value holds the text after the
	// prefix and quotes, Prefix the letter).
	LitBitString
)

// Literal is a constant as written. For LitString, Value is the string
// after unescaping (E” escapes, doubled quotes); for numbers the
// digits; for LitBool "true"/"false".
type Literal struct {
	Pos
	Kind  LitKind
	Value string
	// Prefix is the letter of a B'..' or X'..' literal.
	Prefix byte
}

// IntervalLit is an interval literal: INTERVAL '5' SECOND (Value "5",
// Unit "second") or INTERVAL '1 minute' (Value "1 minute", Unit "").
type IntervalLit struct {
	Pos
	Value string
	Unit  string
}

// TypedLit is a literal with a type prefix: TIMESTAMP '2024-01-01',
// DATE '...', TIMESTAMPTZ '...', JSONB '...'.
type TypedLit struct {
	Pos
	Type  TypeName
	Value string
}

// Param is a placeholder $n (1-based). `?` placeholders are numbered in
// order of appearance.
type Param struct {
	Pos
	Index int
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

// The prefix operators.
const (
	UNeg UnaryOp = iota + 1
	UPlus
	UNot
	UBitNot
)

// Unary is a prefix operator applied to X.
type Unary struct {
	Pos
	Op UnaryOp
	X  Expr
}

// BinaryOp is an infix operator.
type BinaryOp uint8

// The infix operators.
const (
	OpAdd BinaryOp = iota + 1
	OpSub
	OpMul
	OpDiv
	OpMod
	OpPow
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpAnd
	OpOr
	OpConcat
	// OpRegexMatch is ~, OpRegexIMatch ~*, OpNotRegexMatch !~,
	// OpNotRegexIMatch !~*.
	OpRegexMatch
	OpRegexIMatch
	OpNotRegexMatch
	OpNotRegexIMatch
	// OpJSONGet is ->, OpJSONGetText ->>, OpJSONPath #>, OpJSONPathText #>>.
	OpJSONGet
	OpJSONGetText
	OpJSONPath
	OpJSONPathText
	OpBitAnd
	OpBitOr
	OpBitXor
	OpShiftLeft
	OpShiftRight
	// OpIsDistinctFrom is IS DISTINCT FROM; OpIsNotDistinctFrom its negation.
	OpIsDistinctFrom
	OpIsNotDistinctFrom
)

var binaryOpText = map[BinaryOp]string{
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%", OpPow: "^",
	OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpAnd: "AND", OpOr: "OR", OpConcat: "||",
	OpRegexMatch: "~", OpRegexIMatch: "~*", OpNotRegexMatch: "!~", OpNotRegexIMatch: "!~*",
	OpJSONGet: "->", OpJSONGetText: "->>", OpJSONPath: "#>", OpJSONPathText: "#>>",
	OpBitAnd: "&", OpBitOr: "|", OpBitXor: "#", OpShiftLeft: "<<", OpShiftRight: ">>",
	OpIsDistinctFrom: "IS DISTINCT FROM", OpIsNotDistinctFrom: "IS NOT DISTINCT FROM",
}

// String returns the operator as written in SQL.
func (op BinaryOp) String() string { return binaryOpText[op] }

// Binary is L op R.
type Binary struct {
	Pos
	Op   BinaryOp
	L, R Expr
}

// Quantifier is ANY/SOME or ALL in `x op ANY (...)`.
type Quantifier uint8

// The quantifiers.
const (
	QuantAny Quantifier = iota + 1
	QuantAll
)

// Quantified is `x op ANY (array-or-subquery)` / `x op ALL (...)`.
// Exactly one of Array and Query is set.
type Quantified struct {
	Pos
	Op    BinaryOp
	Quant Quantifier
	X     Expr
	Array Expr
	Query Query
}

// WindowFrameUnit is ROWS, RANGE or GROUPS.
type WindowFrameUnit uint8

// The frame units.
const (
	FrameRows WindowFrameUnit = iota + 1
	FrameRange
	FrameGroups
)

// BoundKind is the kind of a frame bound.
type BoundKind uint8

// The frame bound kinds.
const (
	BoundUnboundedPreceding BoundKind = iota + 1
	BoundPreceding
	BoundCurrentRow
	BoundFollowing
	BoundUnboundedFollowing
)

// FrameBound is one end of a window frame; Offset is set for
// BoundPreceding and BoundFollowing (a number or an interval).
type FrameBound struct {
	Kind   BoundKind
	Offset Expr
}

// WindowFrame is `ROWS|RANGE BETWEEN start AND end`.
type WindowFrame struct {
	Unit  WindowFrameUnit
	Start FrameBound
	End   FrameBound
}

// WindowSpec is the OVER (...) clause. Ref names a window defined in a
// WINDOW clause (OVER w, or OVER (w ...)).
type WindowSpec struct {
	Pos
	Ref         string
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *WindowFrame
}

// FuncCall is a function call, including aggregates and window
// functions. Name is lower-cased and may be qualified ("pg_catalog" is
// kept in Schema so binders can ignore it).
type FuncCall struct {
	Pos
	Schema   string
	Name     string
	Args     []Expr
	Star     bool // count(*)
	Distinct bool
	// OrderBy is an ORDER BY inside the argument list (string_agg(x, ','
	// ORDER BY y)).
	OrderBy []OrderItem
	// WithinGroup is WITHIN GROUP (ORDER BY ...) for ordered-set
	// aggregates such as percentile_cont.
	WithinGroup []OrderItem
	Filter      Expr
	Over        *WindowSpec
}

// Cast is CAST(x AS type) or x::type.
type Cast struct {
	Pos
	X    Expr
	Type TypeName
}

// When is one WHEN cond THEN result arm.
type When struct {
	Cond   Expr
	Result Expr
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Pos
	Operand Expr
	Whens   []When
	Else    Expr
}

// Between is x [NOT] BETWEEN [SYMMETRIC] lo AND hi.
type Between struct {
	Pos
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// InList is x [NOT] IN (a, b, ...).
type InList struct {
	Pos
	X    Expr
	List []Expr
	Not  bool
}

// InSubquery is x [NOT] IN (SELECT ...).
type InSubquery struct {
	Pos
	X     Expr
	Query Query
	Not   bool
}

// Exists is [NOT] EXISTS (SELECT ...).
type Exists struct {
	Pos
	Query Query
	Not   bool
}

// SubqueryExpr is a scalar subquery (SELECT ...) used as a value.
type SubqueryExpr struct {
	Pos
	Query Query
}

// ArraySubquery is ARRAY(SELECT ...).
type ArraySubquery struct {
	Pos
	Query Query
}

// ArrayLit is ARRAY[a, b, ...].
type ArrayLit struct {
	Pos
	Elems []Expr
}

// Subscript is x[i] (1-based, as in Postgres).
type Subscript struct {
	Pos
	X     Expr
	Index Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	Pos
	X   Expr
	Not bool
}

// IsBool is x IS [NOT] TRUE|FALSE|UNKNOWN. Value is nil for UNKNOWN.
type IsBool struct {
	Pos
	X     Expr
	Value *bool
	Not   bool
}

// Like is x [NOT] LIKE|ILIKE pattern [ESCAPE e].
type Like struct {
	Pos
	X, Pattern      Expr
	Escape          Expr
	Not             bool
	CaseInsensitive bool
}

// Row is ROW(a, b) or (a, b).
type Row struct {
	Pos
	Elems []Expr
}

// Collate is x COLLATE name; Tocsin ignores the collation (all text
// compares bytewise, as with COLLATE "C").
type Collate struct {
	Pos
	X         Expr
	Collation string
}

// Extract is EXTRACT(field FROM x). Field is lower-cased.
type Extract struct {
	Pos
	Field string
	X     Expr
}

func (*ColumnRef) expr()     {}
func (*Literal) expr()       {}
func (*IntervalLit) expr()   {}
func (*TypedLit) expr()      {}
func (*Param) expr()         {}
func (*Unary) expr()         {}
func (*Binary) expr()        {}
func (*Quantified) expr()    {}
func (*FuncCall) expr()      {}
func (*Cast) expr()          {}
func (*Case) expr()          {}
func (*Between) expr()       {}
func (*InList) expr()        {}
func (*InSubquery) expr()    {}
func (*Exists) expr()        {}
func (*SubqueryExpr) expr()  {}
func (*ArraySubquery) expr() {}
func (*ArrayLit) expr()      {}
func (*Subscript) expr()     {}
func (*IsNull) expr()        {}
func (*IsBool) expr()        {}
func (*Like) expr()          {}
func (*Row) expr()           {}
func (*Collate) expr()       {}
func (*Extract) expr()       {}
