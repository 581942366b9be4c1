package ast

// Node is any syntax tree node.
type Node interface {
	// Position returns the 0-based byte offset of the node in the query
	// text, or -1.
	Position() int
	node()
}

// Statement is a top-level statement.
type Statement interface {
	Node
	statement()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// Query is something that yields rows: a SELECT, a set operation or a
// VALUES list.
type Query interface {
	Node
	query()
}

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	tableExpr()
}

// Pos is embedded in every node to record its position.
type Pos struct{ Off int }

// Position implements Node.
func (p Pos) Position() int { return p.Off }

// At returns a Pos at offset off.
func At(off int) Pos { return Pos{Off: off} }

// NoPos is the position of synthesised nodes.
var NoPos = Pos{Off: -1}

// Ident is a possibly-qualified name: ["pg_catalog", "pg_class"].
type Ident struct {
	Pos
	Parts []string
}

// Name returns the last part.
func (i Ident) Name() string {
	if len(i.Parts) == 0 {
		return ""
	}
	return i.Parts[len(i.Parts)-1]
}

// Schema returns the qualifier ("" if unqualified), i.e. all but the last
// part joined with dots.
func (i Ident) Schema() string {
	if len(i.Parts) < 2 {
		return ""
	}
	s := i.Parts[0]
	for _, p := range i.Parts[1 : len(i.Parts)-1] {
		s += "." + p
	}
	return s
}

// String joins the parts with dots.
func (i Ident) String() string {
	if i.Schema() == "" {
		return i.Name()
	}
	return i.Schema() + "." + i.Name()
}

// TypeName is a type as written: Name is the canonical spelling after
// folding ("double precision", "timestamp with time zone",
// "character varying"), Args the modifiers (VARCHAR(20) → [20]) and
// Array whether it ended in [].
type TypeName struct {
	Pos
	Name  string
	Args  []int
	Array bool
}

// Option is one `key = value` item of a WITH (...) clause. Keys keep
// their dots (properties.bootstrap.server) and are lower-cased; Value is
// the literal's text (unquoted) and Quoted tells whether it was a string.
type Option struct {
	Pos
	Key    string
	Value  string
	Quoted bool
}
